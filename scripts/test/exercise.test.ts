// `pnpm exercise` through real processes: usage errors, the lists, an unsolved exercise's one-line
// report, and --verify running one exercise both ways; plus how a failed check becomes one line.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Exit, startNode } from '@course/kit';
import { describe, expect, it } from 'vitest';
import { exercises, reasonOf } from '../exercise.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

function exercise(args: string[]): Promise<Exit> {
  const child = startNode([join(root, 'scripts/exercise.ts'), ...args]);
  child.child.stdin.end();
  return child.exited;
}

describe('pnpm exercise', () => {
  it.each([
    [[], /^error: which exercise\?/],
    [['foo'], /^error: 'foo' is not an exercise/],
    [['01.9'], /^error: no exercise 01\.9 \(lesson 01 has 01\.1, 01\.2\)\n$/],
    [['99'], /^error: lesson 99 has no exercises/],
    [['01.1', '01.2'], /^error: one exercise at a time/],
  ])('refuses %j with one line and exit 2', async (args, message) => {
    const { code, stdout, stderr } = await exercise(args);
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(message);
    expect(stdout).toBe('');
  });

  it("lists a lesson's exercises with one sentence each", async () => {
    const { code, stdout } = await exercise(['1']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^lesson 01 · Unary RPC\n/);
    for (const e of exercises().filter((x) => x.lesson === '01')) expect(stdout).toContain(`${e.id}       ${e.summary}`);
  });

  it('finds at least two exercises for each of lessons 01 to 09, each opening with its sentence', () => {
    const all = exercises();
    for (const lesson of ['01', '02', '03', '04', '05', '06', '07', '08', '09']) {
      expect(all.filter((e) => e.lesson === lesson).length, `lesson ${lesson}`).toBeGreaterThanOrEqual(2);
    }
    for (const e of all) expect(e.summary, e.file).toMatch(/^[A-Z].{20,}[.]$/);
  });

  it('fails an unsolved exercise with exit 1: each check on one line, the first failure saying what it expected', async () => {
    const { code, stdout, stderr } = await exercise(['01.1']);
    expect(code).toBe(1);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^exercise 01\.1 · Control characters: /);
    const fail = lines.findIndex((l) => /^\s+FAIL\s/.test(l));
    expect(lines[fail + 1]).toMatch(/^\s+expected 'OK' to match \/\^INVALID_ARGUMENT/);
    expect(lines.at(-1)).toMatch(/^\s+\d of \d checks pass: the exercise is in steps\/01-unary\/README\.md/);
    expect(`${stdout}${stderr}`).not.toMatch(/^\s+at /m);
  });

  it('--verify runs an exercise unsolved and solved, and writes the counts as JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'exercise-verify-'));
    try {
      const { code, stdout } = await exercise(['--verify', '--json', join(dir, 'counts.json'), '01.2']);
      expect(stdout).toMatch(/ok {4}01\.2 fails unsolved \(\d of \d checks fail\)/);
      expect(stdout).toMatch(/ok {4}01\.2 passes with solutions\/01-2\.patch/);
      expect(code).toBe(0);
      const counts = JSON.parse(readFileSync(join(dir, 'counts.json'), 'utf8'));
      expect(counts).toMatchObject({ passed: 5, failed: 0, exercises: 1 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a failed check, on one line', () => {
  it("is an assertion's message without vitest's suffix, 0 written as 0", () => {
    expect(reasonOf({ name: 'AssertionError', message: 'expected 2 to be +0 // Object.is equality\n\n- Expected\n+ Received' })).toBe(
      'expected 2 to be 0',
    );
  });

  it('names where an unexpected error was thrown, outside node_modules', () => {
    const stack = [
      "TypeError: Cannot read properties of undefined (reading 'name')",
      `    at check (${root}node_modules/x/index.js:1:1)`,
      `    at sayHelloHandler (${root}steps/01-unary/src/server.ts:91:30)`,
    ].join('\n');
    expect(reasonOf({ name: 'TypeError', message: "Cannot read properties of undefined (reading 'name')", stack })).toBe(
      "TypeError: Cannot read properties of undefined (reading 'name') (steps/01-unary/src/server.ts:91)",
    );
  });
});
