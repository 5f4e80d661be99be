// Runs the shell commands shown in the course's READMEs and checks what they print, so a README that rots fails CI.
//
// How to tag a fenced block (the info string after ```), for README authors:
//   ```sh                 run by bash (`set -eo pipefail`) from the repo root; must exit 0 within 60 s
//   ```sh exit=2          must exit with code 2 (a usage error, say)
//   ```sh timeout=120     allow 120 s instead of 60 (for `background`: to be ready, default 30 s; for a block
//                         that runs a lesson's tests, `pnpm test …`: 600 s, vitest's per-test limits guard hangs)
//   ```sh background      a server: started, awaited until it is ready, left running until the end of the
//                         README, then stopped with Ctrl-C (SIGINT); must exit 0 within 15 s. Ready means the
//                         step runner's own line for the mode it runs (`pnpm step NN serve`: "server  listening
//                         on", `pnpm step 10 logger`: "logger  listening on"), not the first "listening" of a
//                         server it starts before (lesson 10's Logger); any other command: a line with "listening"
//   ```sh norun="why"     shown but not run (e.g. grpcurl); the reason is required
//   ```sh test            the course's test command (root README); .ci/run runs it as its own stage
//   ```text               directly after a sh block (only blank lines between; ```console works too): what
//                         that block prints, all of it, line by line (blank lines and runs of spaces aside);
//                         `<anything>` matches any text in a line, and a line `...` stands for any lines
// ```bash, ```shell and ```console (except as expected output) are refused: write ```sh. Other languages are not run.
// A lesson README (steps/NN-*/README.md) must show `pnpm step NN` with its expected output, a background
// `pnpm step NN serve` and a `pnpm step NN client`.
//
// Usage: node --import tsx scripts/check-docs.ts [--json FILE] [FILE.md ...]   (default: README.md, steps/*/README.md)
//        node --import tsx scripts/check-docs.ts --print-test-command           (the README's ```sh test block)
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));

export interface Block {
  line: number; // of the opening fence, 1-based
  text: string;
  kind: 'run' | 'background' | 'norun' | 'test';
  exit: number;
  timeout: number; // seconds
  seconds?: number; // how long it took to run, once run
  reason: string; // for norun
  expected?: string[]; // the non-blank lines of the expected-output block, trimmed
}

export interface DocError {
  line: number;
  message: string;
}

const ATTRIBUTES = ['exit', 'timeout', 'background', 'norun', 'test'];
const REFUSED = ['bash', 'shell', 'console', 'zsh'];
const OUTPUT = ['text', 'console'];

/** `exit=2 norun="no grpcurl here" background` → exit: '2', norun: 'no grpcurl here', background: true */
export function parseAttributes(info: string): Map<string, string | true> {
  const attributes = new Map<string, string | true>();
  for (const m of info.matchAll(/([\w-]+)(?:=(?:"([^"]*)"|(\S*)))?/g)) attributes.set(m[1] ?? '', m[2] ?? m[3] ?? true);
  return attributes;
}

function toBlock(line: number, info: string, text: string, error: (message: string) => void): Block {
  const attributes = parseAttributes(info);
  for (const name of attributes.keys())
    if (!ATTRIBUTES.includes(name)) error(`unknown attribute '${name}' (known: ${ATTRIBUTES.join(', ')})`);
  const kinds = (['background', 'norun', 'test'] as const).filter((k) => attributes.has(k));
  if (kinds.length > 1) error(`a block is one of ${kinds.join(', ')}, not several`);
  const kind = kinds[0] ?? 'run';
  const number = (name: string, fallback: number) => {
    const value = attributes.get(name);
    if (value === undefined) return fallback;
    if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
    error(`${name}= takes a whole number`);
    return fallback;
  };
  const exit = number('exit', 0);
  const timeout = number('timeout', kind === 'background' ? 30 : /^\s*pnpm test\b/.test(text) ? 600 : 60);
  if (attributes.has('exit') && kind !== 'run') error(`exit= applies to a plain sh block, not a ${kind} block`);
  const norun = attributes.get('norun');
  const reason = typeof norun === 'string' ? norun.trim() : '';
  if (kind === 'norun' && reason === '') error('norun needs a reason: norun="why it is not run"');
  return { line, text, kind, exit, timeout, reason };
}

/** The sh blocks of a Markdown text, each with the expected output that follows it, and what is wrong with them. */
export function parseBlocks(markdown: string): { blocks: Block[]; errors: DocError[] } {
  const lines = markdown.split(/\r?\n/);
  const blocks: Block[] = [];
  const errors: DocError[] = [];
  let previous: Block | undefined; // the sh block just above, while only blank lines follow it
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,})\s*([^`]*)$/.exec(lines[i] ?? '');
    if (!open) {
      if (lines[i]?.trim()) previous = undefined;
      continue;
    }
    const [, indent = '', fence = '', info = ''] = open;
    const line = i + 1;
    const body: string[] = [];
    const close = new RegExp(`^\\s*${fence}\`*\\s*$`);
    for (i++; i < lines.length && !close.test(lines[i] ?? ''); i++) {
      const content = lines[i] ?? '';
      body.push(content.startsWith(indent) ? content.slice(indent.length) : content.trimStart());
    }
    if (i >= lines.length) {
      errors.push({ line, message: 'code fence never closed' });
      break;
    }
    const [, lang = '', rest = ''] = /^(\S*)\s*(.*)$/.exec(info.trim()) ?? [];
    const above = previous;
    previous = undefined;
    if (above && OUTPUT.includes(lang)) {
      above.expected = body.map((l) => l.trim()).filter((l) => l !== '');
      if (above.expected.length === 0) errors.push({ line, message: 'empty expected-output block' });
    } else if (REFUSED.includes(lang)) {
      errors.push({ line, message: `\`\`\`${lang} block: use sh (or text for output)` });
    } else if (lang === 'sh') {
      const before = errors.length;
      previous = toBlock(line, rest, body.join('\n'), (message) => errors.push({ line, message }));
      if (errors.length === before) blocks.push(previous);
    }
  }
  return { blocks, errors };
}

/** The text of the first ```sh test block: the course's test command. */
export function testCommand(markdown: string): string | undefined {
  return parseBlocks(markdown).blocks.find((b) => b.kind === 'test')?.text;
}

/** An expected line as a whole-line pattern: `<...>` matches any text, the rest is literal. */
export function linePattern(expected: string): RegExp {
  const literal = expected
    .trim()
    .split(/<[^<>]+>/)
    // Runs of spaces compare as one: column padding is layout, not content.
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+'));
  return new RegExp(`^${literal.join('.*?')}$`);
}

/** A line of an expected-output block that stands for any number of output lines (zero or more). */
export const ELISION = '...';

/**
 * Why the output does not match the expected block, or undefined when it does. The block is the
 * whole output: every non-blank output line must match the expected line in the same place, and
 * a `...` line stands for any lines in between (so a README says where it shows only part).
 */
export function mismatch(expected: string[], output: string): string | undefined {
  const want = expected.map((l) => l.trim()).filter((l) => l !== '');
  const got = stripVTControlCharacters(output)
    .split(/\r\n|\r|\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const patterns = want.map((l) => (l === ELISION ? undefined : linePattern(l)));
  // matches(i, j): want[i..] matches got[j..]. Memoised; blocks are a few dozen lines.
  const memo = new Map<number, boolean>();
  let furthest = { i: 0, j: 0 };
  const matches = (i: number, j: number): boolean => {
    const key = i * (got.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    if (i > furthest.i || (i === furthest.i && j > furthest.j)) furthest = { i, j };
    let result: boolean;
    if (i === want.length) result = j === got.length;
    else if (patterns[i] === undefined) result = matches(i + 1, j) || (j < got.length && matches(i, j + 1));
    else result = j < got.length && (patterns[i] as RegExp).test(got[j] ?? '') && matches(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  if (matches(0, 0)) return undefined;
  const { i, j } = furthest;
  const next = want.slice(i).find((l) => l !== ELISION);
  if (next === undefined || i === want.length) return `unexpected line: ${got[j] ?? ''} (show it, or a ${ELISION} line)`;
  if (j >= got.length) return `expected line not found: ${next}`;
  return `expected line: ${next}\n  got line:      ${got[j]}`;
}

/** What every lesson README must show: the demo with its output, the server in the background, the client. */
export function lessonChecks(nn: string, blocks: Block[]): { ok: boolean; label: string }[] {
  const has = (kind: Block['kind'], pattern: RegExp, expected = false) =>
    blocks.some((b) => b.kind === kind && (!expected || b.expected) && b.text.split('\n').some((l) => pattern.test(l)));
  const checks = [
    [has('run', new RegExp(`\\bpnpm step ${nn}\\b(?!.*\\b(serve|client)\\b)`), true), 'demo block with expected output'],
    [has('background', new RegExp(`\\bpnpm step ${nn} serve\\b`)), `background block running \`pnpm step ${nn} serve\``],
    [has('run', new RegExp(`\\bpnpm step ${nn} client\\b`)), `block running \`pnpm step ${nn} client\``],
  ] as const;
  return checks.map(([ok, what]) => ({ ok, label: `lesson ${nn}: ${ok ? '' : 'no '}${what}` }));
}

// ---- running -------------------------------------------------------------------------------------------

interface Run {
  child: ChildProcess;
  output: string; // stdout and stderr, interleaved as they arrive
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const groups = new Set<number>(); // process groups still running, killed whatever happens

function killGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal);
  } catch {} // already gone
}

function start(text: string): Run {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.FORCE_COLOR;
  const child = spawn('bash', ['-c', `set -eo pipefail\n${text}`], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start bash');
  groups.add(pid);
  const run: Run = { child, output: '', done: Promise.resolve({ code: null, signal: null }) };
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      run.output += chunk;
    });
  }
  // When bash is done, whatever it left behind goes too (and stops holding the output pipes open).
  child.on('exit', () => killGroup(pid, 'SIGKILL'));
  run.done = new Promise((done) =>
    child.on('close', (code, signal) => {
      groups.delete(pid);
      done({ code, signal });
    }),
  );
  return run;
}

function within<T>(promise: Promise<T>, seconds: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((done) => {
    timer = setTimeout(() => done('timeout'), seconds * 1000);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function tail(output: string): string {
  const lines = stripVTControlCharacters(output)
    .trimEnd()
    .split(/\r\n|\r|\n/)
    .slice(-40);
  return `actual output (last 40 lines):\n${lines.map((l) => `  | ${l}`).join('\n')}`;
}

/** Why a finished block failed, or undefined when it did what the README says. */
function verdict(block: Block, run: Run, code: number | null, signal: string | null): string | undefined {
  if (code !== block.exit) return `exited with ${code ?? signal}, expected ${block.exit}\n${tail(run.output)}`;
  const wrong = block.expected && mismatch(block.expected, run.output);
  return wrong === undefined ? undefined : `${wrong}\n${tail(run.output)}`;
}

async function runBlock(block: Block): Promise<string | undefined> {
  const run = start(block.text);
  const started = performance.now();
  const result = await within(run.done, block.timeout);
  block.seconds = (performance.now() - started) / 1000;
  if (result !== 'timeout') return verdict(block, run, result.code, result.signal);
  if (run.child.pid) killGroup(run.child.pid, 'SIGKILL');
  await run.done;
  return `timed out after ${block.timeout} s\n${tail(run.output)}`;
}

/**
 * The line a background block is ready at. For the step runner, its own line for the mode it runs (the kit's
 * runServer prints it once that server listens): a serve that starts other servers first (lesson 10's Logger,
 * lesson 12's backends) prints their "listening" lines before it. For anything else, a line with "listening".
 */
export function readyLine(text: string): { pattern: RegExp; name: string } {
  const mode = /\bpnpm step \d+ ([\w-]+)/.exec(text)?.[1];
  if (mode === undefined) return { pattern: /listening/, name: 'line with "listening"' };
  const label = mode === 'serve' ? 'server' : mode;
  return { pattern: new RegExp(`^\\s*${label} +listening on `, 'm'), name: `"${label}  listening on" line` };
}

async function startServer(block: Block): Promise<Run | string> {
  const run = start(block.text);
  const { pattern, name } = readyLine(block.text);
  const isReady = () => pattern.test(stripVTControlCharacters(run.output));
  const ready = new Promise<boolean>((done) => {
    const check = () => isReady() && done(true);
    run.child.stdout?.on('data', check);
    run.child.stderr?.on('data', check);
    run.done.then(() => done(isReady()));
  });
  const result = await within(ready, block.timeout);
  if (result === true) return run;
  if (run.child.pid) killGroup(run.child.pid, 'SIGKILL');
  await run.done;
  return `${result === 'timeout' ? `no ${name} within ${block.timeout} s` : `exited before printing its ${name}`}\n${tail(run.output)}`;
}

async function stopServer(block: Block, run: Run): Promise<string | undefined> {
  if (run.child.pid) killGroup(run.child.pid, 'SIGINT'); // the whole group, like Ctrl-C in a terminal
  const result = await within(run.done, 15);
  if (result !== 'timeout') return verdict(block, run, result.code, result.signal);
  if (run.child.pid) killGroup(run.child.pid, 'SIGKILL');
  await run.done;
  return `still running 15 s after SIGINT\n${tail(run.output)}`;
}

// ---- the report ----------------------------------------------------------------------------------------

const count = { passed: 0, failed: 0 };

function report(where: string, what: string, failure?: string, seconds?: number) {
  if (failure === undefined) count.passed++;
  else count.failed++;
  // A block's time when it is long enough to matter: what to look at when a slow machine nears a timeout.
  const took = seconds !== undefined && seconds >= 5 ? `  (${Math.round(seconds)} s)` : '';
  process.stdout.write(`  ${failure === undefined ? 'ok  ' : 'FAIL'}  ${where}  ${what}${took}\n`);
  if (failure !== undefined) process.stdout.write(`${failure.replace(/^/gm, '        ')}\n`);
}

function firstLine(block: Block): string {
  const line =
    block.text
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? '';
  return line.length > 70 ? `${line.slice(0, 69)}…` : line;
}

async function checkFile(file: string) {
  const path = resolve(root, file);
  const inside = relative(root, path).split(sep).join('/');
  const name = inside.startsWith('../') ? path : inside;
  if (!existsSync(path)) return report(name, 'the file', 'no such file');
  const { blocks, errors } = parseBlocks(readFileSync(path, 'utf8'));
  for (const e of errors) report(`${name}:${e.line}`, e.message, 'not a valid block (see the tag syntax in scripts/check-docs.ts)');
  const lesson = /^steps\/(\d\d)-[^/]+\/README\.md$/.exec(name);
  if (lesson?.[1]) for (const c of lessonChecks(lesson[1], blocks)) report(name, c.label, c.ok ? undefined : 'missing');
  const servers: { block: Block; run: Run }[] = [];
  try {
    for (const block of blocks) {
      const where = `${name}:${block.line}`;
      if (block.kind === 'norun') process.stdout.write(`  skip  ${where}  ${block.reason}\n`);
      else if (block.kind === 'test') process.stdout.write(`  skip  ${where}  the test command (.ci/run runs it as a stage)\n`);
      else if (block.kind === 'run') report(where, firstLine(block), await runBlock(block), block.seconds);
      else {
        const run = await startServer(block);
        if (typeof run === 'string') report(where, firstLine(block), run);
        else servers.push({ block, run });
      }
    }
  } finally {
    for (const { block, run } of servers.reverse()) report(`${name}:${block.line}`, firstLine(block), await stopServer(block, run));
  }
}

function defaultFiles(): string[] {
  const steps = existsSync(join(root, 'steps')) ? readdirSync(join(root, 'steps')).sort() : [];
  const lessons = steps.map((dir) => `steps/${dir}/README.md`).filter((f) => existsSync(join(root, f)));
  return ['README.md', ...lessons];
}

async function main(args: string[]): Promise<number> {
  if (args.includes('--print-test-command')) {
    const readme = join(root, 'README.md');
    const command = existsSync(readme) ? testCommand(readFileSync(readme, 'utf8')) : undefined;
    if (command === undefined) process.stderr.write('check-docs: README.md has no ```sh test block\n');
    else process.stdout.write(`${command}\n`);
    return command === undefined ? 1 : 0;
  }
  const json = args.indexOf('--json');
  const jsonFile = json >= 0 ? args.splice(json, 2)[1] : undefined;
  if ((json >= 0 && !jsonFile) || args.some((a) => a.startsWith('-'))) {
    process.stderr.write('usage: check-docs.ts [--json FILE] [FILE.md ...] | --print-test-command\n');
    return 2;
  }
  for (const file of args.length > 0 ? args : defaultFiles()) await checkFile(file);
  process.stdout.write(`${count.passed} passed, ${count.failed} failed\n`);
  if (jsonFile) writeFileSync(resolve(jsonFile), `${JSON.stringify(count)}\n`);
  return count.failed > 0 ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.on('exit', () => {
    for (const pid of groups) killGroup(pid, 'SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
