import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type Block, lessonChecks, linePattern, mismatch, parseAttributes, parseBlocks, readyLine, testCommand } from '../check-docs.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fence = '```';

describe('parseBlocks', () => {
  it('finds sh blocks with their line, text and defaults, and ignores other languages', () => {
    const md = [
      '# Title',
      '',
      `${fence}sh`,
      'echo one',
      'echo two',
      fence,
      '',
      `${fence}ts`,
      'const x = 1;',
      fence,
      '',
      `${fence}proto`,
      fence,
    ].join('\n');
    const { blocks, errors } = parseBlocks(md);
    expect(errors).toEqual([]);
    expect(blocks).toEqual([{ line: 3, text: 'echo one\necho two', kind: 'run', exit: 0, timeout: 60, reason: '' }]);
  });

  it('reads attributes: exit, timeout, background, norun with a quoted reason, test', () => {
    expect(parseAttributes('exit=2 timeout=120 norun="no grpcurl here" background')).toEqual(
      new Map<string, string | true>([
        ['exit', '2'],
        ['timeout', '120'],
        ['norun', 'no grpcurl here'],
        ['background', true],
      ]),
    );
    const md = [
      `${fence}sh exit=2 timeout=5`,
      'x',
      fence,
      `${fence}sh background`,
      'y',
      fence,
      `${fence}sh norun="not here"`,
      'z',
      fence,
      `${fence}sh test`,
      'pnpm test',
      fence,
      `${fence}sh`,
      'pnpm test --project 01-unary',
      fence,
    ].join('\n');
    const { blocks, errors } = parseBlocks(md);
    expect(errors).toEqual([]);
    expect(blocks.map((b) => [b.kind, b.exit, b.timeout, b.reason])).toEqual([
      ['run', 2, 5, ''],
      ['background', 0, 30, ''],
      ['norun', 0, 60, 'not here'],
      ['test', 0, 600, ''],
      ['run', 0, 600, ''], // a lesson's tests: vitest's own per-test limits are the hang guard
    ]);
  });

  it('pairs a text block directly after a sh block (blank lines only) as its expected output', () => {
    const md = [`${fence}sh`, 'echo a', fence, '', '', `${fence}text`, '  a  ', '', 'b', fence].join('\n');
    expect(parseBlocks(md).blocks[0]?.expected).toEqual(['a', 'b']);
    const console = [`${fence}sh`, 'echo a', fence, `${fence}console`, 'a', fence].join('\n');
    expect(parseBlocks(console)).toEqual({ blocks: [expect.objectContaining({ expected: ['a'] })], errors: [] });
  });

  it('does not pair a text block after prose, nor a second text block', () => {
    const md = [`${fence}sh`, 'echo a', fence, 'Some prose.', `${fence}text`, 'a', fence, `${fence}text`, 'b', fence].join('\n');
    expect(parseBlocks(md).blocks[0]?.expected).toBeUndefined();
    const twice = [`${fence}sh`, 'echo a', fence, `${fence}text`, 'a', fence, `${fence}text`, 'b', fence].join('\n');
    expect(parseBlocks(twice).blocks[0]?.expected).toEqual(['a']);
  });

  it('refuses bash, shell and console blocks, so nothing escapes the check', () => {
    const md = [`${fence}bash`, 'ls', fence, '', `${fence}shell`, 'ls', fence, '', `${fence}console`, '$ ls', fence].join('\n');
    const { blocks, errors } = parseBlocks(md);
    expect(blocks).toEqual([]);
    expect(errors.map((e) => e.line)).toEqual([1, 5, 9]);
    expect(errors[0]?.message).toMatch(/use sh/);
  });

  it('refuses norun without a reason, unknown attributes, bad numbers and unclosed fences', () => {
    const errors = (info: string) => parseBlocks(`${fence}sh ${info}\nx\n${fence}\n`).errors.map((e) => e.message);
    expect(errors('norun')).toEqual([expect.stringMatching(/norun needs a reason/)]);
    expect(errors('norun=""')).toEqual([expect.stringMatching(/norun needs a reason/)]);
    expect(errors('norun="  "')).toEqual([expect.stringMatching(/norun needs a reason/)]);
    expect(errors('exti=2')).toEqual([expect.stringMatching(/unknown attribute 'exti'/)]);
    expect(errors('timeout=soon')).toEqual([expect.stringMatching(/whole number/)]);
    expect(errors('background exit=1')).toEqual([expect.stringMatching(/exit= applies/)]);
    expect(parseBlocks(`${fence}sh norun\nx\n${fence}`).blocks).toEqual([]);
    expect(parseBlocks(`${fence}sh\necho\n`).errors).toEqual([{ line: 1, message: 'code fence never closed' }]);
  });

  it('keeps a longer fence open across a shorter one, and strips a list indent', () => {
    const md = ['````sh', 'cat <<EOF', '```', 'EOF', '````', '', '- step:', '  ```sh', '  echo indented', '  ```'].join('\n');
    expect(parseBlocks(md).blocks.map((b) => b.text)).toEqual(['cat <<EOF\n```\nEOF', 'echo indented']);
  });
});

describe('testCommand', () => {
  it('returns the first sh test block, or undefined', () => {
    expect(testCommand(`${fence}sh\npnpm install\n${fence}\n${fence}sh test\npnpm test\n${fence}\n${fence}sh test\nother\n${fence}`)).toBe(
      'pnpm test',
    );
    expect(testCommand(`${fence}sh\npnpm test\n${fence}`)).toBeUndefined();
  });
});

describe('mismatch', () => {
  it('requires the whole output, line by line, trimmed, blank lines aside', () => {
    const output = 'starting\n  greeting: Hello, Ada  \n\ndone\n';
    expect(mismatch(['starting', 'greeting: Hello, Ada', 'done'], output)).toBeUndefined();
    // A subset is not enough: the README must show what runs.
    expect(mismatch(['greeting: Hello, Ada', 'done'], output)).toMatch(/expected line: greeting: Hello, Ada\n.*got line: +starting/);
    expect(mismatch(['starting', 'greeting: Hello, Ada'], output)).toMatch(/unexpected line: done/);
    expect(mismatch(['starting', 'greeting: Hello, Ada', 'done', 'more'], output)).toMatch(/expected line not found: more/);
    expect(mismatch(['done', 'greeting: Hello, Ada', 'starting'], output)).toMatch(/expected line: done/);
  });

  it('lets a ... line stand for any lines, zero or more, where the README says so', () => {
    const output = 'starting\n#1\n#2\n#3\ndone\n';
    expect(mismatch(['starting', '...', 'done'], output)).toBeUndefined();
    expect(mismatch(['starting', '#1', '...', '#3', 'done'], output)).toBeUndefined();
    expect(mismatch(['starting', '#1', '#2', '...', '#3', 'done'], output)).toBeUndefined();
    expect(mismatch(['...', 'done'], output)).toBeUndefined();
    expect(mismatch(['starting', '...'], output)).toBeUndefined();
    expect(mismatch(['starting', '...', '#4', 'done'], output)).toMatch(/#4/);
  });

  it('lets <placeholders> match any text, and takes the rest literally', () => {
    expect(mismatch(['listening on 127.0.0.1:<port>', 'took <ms> ms'], 'listening on 127.0.0.1:50051\ntook 12.5 ms')).toBeUndefined();
    expect(mismatch(['[<empty>]'], '[]')).toBeUndefined();
    expect(mismatch(['a.c (x)'], 'abc (x)')).toMatch(/a\.c/);
    expect(mismatch(['a.c (x)'], 'a.c (x)')).toBeUndefined();
    expect(linePattern('<a> and <b>').test('1 and 2')).toBe(true);
    expect(linePattern('<a> and <b>').test('1 or 2')).toBe(false);
  });

  it('strips ANSI colour codes from the output', () => {
    expect(mismatch(['ok: 3 passed'], '\u001b[32mok\u001b[39m: \u001b[1m3\u001b[22m passed\n')).toBeUndefined();
  });
});

describe('lessonChecks', () => {
  const block = (text: string, kind: Block['kind'] = 'run', expected?: string[]): Block => ({
    line: 1,
    text,
    kind,
    exit: 0,
    timeout: 60,
    reason: '',
    expected,
  });
  const failing = (blocks: Block[]) =>
    lessonChecks('03', blocks)
      .filter((c) => !c.ok)
      .map((c) => c.label);

  it('passes a lesson that shows its demo with output, its server in the background and its client', () => {
    expect(
      failing([block('pnpm step 03', 'run', ['hi']), block('pnpm step 03 serve', 'background'), block('pnpm step 03 client --name Ada')]),
    ).toEqual([]);
  });

  it('names what a lesson README lacks', () => {
    expect(failing([block('pnpm step 03'), block('pnpm step 03 serve'), block('pnpm step 03 client', 'norun')])).toEqual([
      'lesson 03: no demo block with expected output',
      'lesson 03: no background block running `pnpm step 03 serve`',
      'lesson 03: no block running `pnpm step 03 client`',
    ]);
    expect(failing([block('pnpm step 03 client', 'run', ['hi']), block('pnpm step 04', 'run', ['hi'])])[0]).toBe(
      'lesson 03: no demo block with expected output',
    );
  });
});

// ---- end to end: the script on temporary READMEs ----

const dir = mkdtempSync(join(tmpdir(), 'check-docs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function checkDocs(markdown: string, ...flags: string[]): Promise<{ code: number | null; output: string; last: string }> {
  const file = join(dir, `doc-${Math.random().toString(36).slice(2)}.md`);
  writeFileSync(file, markdown);
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/check-docs.ts', ...flags, file], { cwd: root });
  let output = '';
  child.stdout.on('data', (d) => {
    output += d;
  });
  child.stderr.on('data', (d) => {
    output += d;
  });
  return new Promise((done) => child.on('close', (code) => done({ code, output, last: output.trimEnd().split('\n').at(-1) ?? '' })));
}

describe('check-docs.ts', () => {
  it('passes a good README: output, exit=2, a background server used and stopped, norun skipped', async () => {
    const pidFile = join(dir, 'server.pid');
    const md = `# Demo

${fence}sh
echo "hello from the docs"
printf '\\033[32mport 50051 ready\\033[0m\\n'
test -n "$NO_COLOR" && test -z "$FORCE_COLOR" && echo "no colour please"
${fence}

${fence}text
hello from the docs
port <port> ready
no colour please
${fence}

${fence}sh exit=2
echo "usage: thing" >&2; exit 2
${fence}

${fence}text
usage: thing
${fence}

${fence}sh background
sh -c 'echo $$ > ${pidFile}; echo "server listening on 127.0.0.1:50051"; trap "echo stopped; exit 0" INT; while :; do sleep 0.1; done'
${fence}

${fence}text
server listening on <address>
stopped
${fence}

${fence}sh
kill -0 "$(cat ${pidFile})" && echo "server alive"
${fence}

${fence}text
server alive
${fence}

${fence}sh norun="grpcurl is not installed here"
grpcurl -plaintext localhost:50051 list
${fence}

${fence}ts
this is not run
${fence}
`;
    const json = join(dir, 'counts.json');
    const { code, output, last } = await checkDocs(md, '--json', json);
    expect(last, output).toBe('4 passed, 0 failed');
    expect(code).toBe(0);
    expect(output).toMatch(/ {2}skip {2}\S+:\d+ {2}grpcurl is not installed here/);
    expect(output).toMatch(/ {2}ok {4}\S+:23 {2}sh -c 'echo/);
    expect(JSON.parse(readFileSync(json, 'utf8'))).toEqual({ passed: 4, failed: 0 });
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(() => process.kill(pid, 0)).toThrow(); // the server is gone
  });

  it('fails a README whose output does not match, naming the line', async () => {
    const md = `${fence}sh\necho "Hello, Ada"\necho "bye"\n${fence}\n\n${fence}text\nHello, Ada\nHello, Grace\n${fence}\n`;
    const { code, output, last } = await checkDocs(md);
    expect(last).toBe('0 passed, 1 failed');
    expect(code).toBe(1);
    expect(output).toContain('FAIL');
    expect(output).toContain('expected line: Hello, Grace');
    expect(output).toContain('| bye');
  });

  it('fails a command that exits 1 (set -e stops the block), and goes on with the next', async () => {
    const md = `${fence}sh\necho before\nfalse\necho after\n${fence}\n\n${fence}sh\necho next\n${fence}\n`;
    const { code, output, last } = await checkDocs(md);
    expect(last).toBe('1 passed, 1 failed');
    expect(code).toBe(1);
    expect(output).toContain('exited with 1, expected 0');
    expect(output).not.toContain('| after');
  });

  it('checks exit=N: the code shown must be the code returned', async () => {
    const md = `${fence}sh exit=2\nexit 2\n${fence}\n\n${fence}sh exit=2\necho fine\n${fence}\n`;
    const { code, output, last } = await checkDocs(md);
    expect(last).toBe('1 passed, 1 failed');
    expect(code).toBe(1);
    expect(output).toContain('exited with 0, expected 2');
  });

  it('fails a server that never says listening, one that fails on Ctrl-C, and a refused bash block', async () => {
    const md = `${fence}sh background timeout=1\nsleep 30\n${fence}\n\n${fence}sh background\ntrap "exit 3" INT; echo listening; while :; do sleep 0.1; done\n${fence}\n\n${fence}bash\nls\n${fence}\n`;
    const { code, output, last } = await checkDocs(md);
    expect(last).toBe('0 passed, 3 failed');
    expect(code).toBe(1);
    expect(output).toContain('no line with "listening" within 1 s');
    expect(output).toContain('exited with 3, expected 0');
    expect(output).toContain('use sh');
  });

  it('waits for the step runner\'s ready line, not the first "listening": a serve whose Logger starts first', async () => {
    // The fake serve prints the Logger's line, then holds the Greeter's back until the next block has run
    // (or 2 s have passed): a client block started at the Logger's line finds no Greeter.
    const up = join(dir, 'greeter-up');
    const started = join(dir, 'client-started');
    const md = `${fence}sh background
pnpm() {
  trap "exit 0" INT
  echo "logger     listening on 127.0.0.1:50052"
  for _ in $(seq 20); do test -e ${started} && break; sleep 0.1; done
  touch ${up}; echo "server     listening on 127.0.0.1:50051"
  while :; do sleep 0.1; done
}
pnpm step 10 serve --logger-port 50052
${fence}

${fence}sh
test -e ${up} || { touch ${started}; echo "the client ran before the Greeter listened"; exit 1; }
${fence}
`;
    const { code, output, last } = await checkDocs(md);
    expect(last, output).toBe('2 passed, 0 failed');
    expect(code).toBe(0);
  });

  it('waits for a named server mode\'s own line: `pnpm step 10 logger` is ready at "logger  listening"', () => {
    expect(readyLine('pnpm step 10 serve --logger-port 50052').pattern.test('logger     listening on 127.0.0.1:50052\n')).toBe(false);
    expect(readyLine('pnpm step 10 serve --logger-port 50052').pattern.test('  server     listening on 127.0.0.1:50051\n')).toBe(true);
    expect(readyLine('METRICS_PORT=9466 pnpm step 10 logger --port 50053').pattern.test('logger     listening on 127.0.0.1:50053\n')).toBe(
      true,
    );
    expect(readyLine('METRICS_PORT=9466 pnpm step 10 logger --port 50053').pattern.test('server     listening on 127.0.0.1:50051\n')).toBe(
      false,
    );
    // Anything that is not the step runner is ready at its first line with "listening", as before.
    expect(readyLine('sh -c "echo listening; sleep 9"').pattern.test('listening\n')).toBe(true);
  });

  it('--print-test-command prints the root README test block', async () => {
    const readme = join(root, 'README.md');
    const expected = existsSync(readme) ? testCommand(readFileSync(readme, 'utf8')) : undefined;
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/check-docs.ts', '--print-test-command'], { cwd: root });
    let stdout = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    const code = await new Promise((done) => child.on('close', done));
    expect(code).toBe(expected === undefined ? 1 : 0);
    expect(stdout).toBe(expected === undefined ? '' : `${expected}\n`);
  });
});
