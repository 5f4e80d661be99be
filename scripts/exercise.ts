// `pnpm exercise NN.K` runs one exercise's checks (steps/NN-*/exercises/K.test.ts) against your copy of the
// lesson and says, one line each, which pass and what the first failing one expected; `pnpm exercise NN` lists
// a lesson's exercises; `pnpm exercise --verify` checks every exercise against its reference solution (CI).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { pc, row } from '@course/kit';
import type { TestCase, TestModule } from 'vitest/node';
import { createVitest } from 'vitest/node';

export const root = fileURLToPath(new URL('..', import.meta.url));

export interface Exercise {
  /** "05.1" */
  id: string;
  lesson: string;
  /** steps/05-metadata-auth */
  stepDir: string;
  /** steps/05-metadata-auth/exercises/1.test.ts */
  file: string;
  /** The check file's first line: what is asked, in one sentence. */
  summary: string;
}

/** Every exercise under root's steps/, in lesson then number order. */
export function exercises(base = root): Exercise[] {
  const found: Exercise[] = [];
  for (const dir of readdirSync(join(base, 'steps')).sort()) {
    const lesson = /^(\d\d)-/.exec(dir)?.[1];
    const folder = join(base, 'steps', dir, 'exercises');
    let names: string[];
    try {
      names = readdirSync(folder);
    } catch {
      continue;
    }
    for (const name of names.filter((n) => /^\d\.test\.ts$/.test(n)).sort()) {
      const file = join('steps', dir, 'exercises', name);
      const first = readFileSync(join(base, file), 'utf8').split('\n')[0] ?? '';
      found.push({
        id: `${lesson}.${name[0]}`,
        lesson: lesson ?? '',
        stepDir: join('steps', dir),
        file,
        summary: first.replace(/^\/\/\s*/, ''),
      });
    }
  }
  return found;
}

export interface Check {
  name: string;
  passed: boolean;
  /** For a failed check: what it expected, on one line. */
  reason?: string;
}

export interface CheckRun {
  checks: Check[];
  /** Failures outside any check (the file did not load, a hook threw). */
  errors: string[];
}

/** True when every check ran and passed. */
export const passed = (run: CheckRun) => run.errors.length === 0 && run.checks.length > 0 && run.checks.every((c) => c.passed);

interface ErrorLike {
  name?: string;
  message?: string;
  stack?: string;
}

/**
 * One line for a failed check. An assertion says what it expected; anything else (a TypeError in
 * the lesson, say) is a bug in the code under test, so its line also names where it was thrown.
 */
export function reasonOf(error: ErrorLike | undefined, base = root): string {
  const text = stripVTControlCharacters(error?.message ?? 'failed');
  const [first = 'failed', second] = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  // "Transform failed with 1 error:" says nothing by itself: the line after it does.
  const message = (first.endsWith(':') && second ? `${first} ${second}` : first)
    .replace(/\s*\/\/ (Object\.is|deep) equality$/, '')
    // chai writes 0 as +0 (to tell it from -0): a person expects 0.
    .replace(/(?<![\w.])\+0(?![\w.])/g, '0');
  if (error?.name === 'AssertionError' || error?.name === 'CheckError' || /^Test timed out/.test(message)) return message;
  // A syntax error's code frame names the place as [ file:line:col ]; a thrown error's stack does.
  const framed = /\[\s*([^\s\]]+):(\d+):\d+\s*\]/.exec(text);
  const frame = error?.stack
    ?.split('\n')
    .map((l) => /\((\/[^)]+):(\d+):\d+\)$|at (\/\S+):(\d+):\d+$/.exec(l.trim()))
    .find((m) => m && !(m[1] ?? m[3] ?? '').includes('node_modules'));
  const file = framed?.[1] ?? (frame ? relative(base, frame[1] ?? frame[3] ?? '') : undefined);
  const where = file ? ` (${file}:${framed?.[2] ?? frame?.[2] ?? frame?.[4]})` : '';
  return `${error?.name && !message.startsWith(error.name) ? `${error.name}: ` : ''}${message}${where}`;
}

/** Runs the given check files under base with vitest; returns each file's checks and errors, by file. */
export async function runChecks(
  files: string[],
  base = root,
  { onLog, maxWorkers }: { onLog?: (text: string) => void; maxWorkers?: number } = {},
): Promise<Map<string, CheckRun>> {
  const runs = new Map<string, CheckRun>(files.map((f) => [f, { checks: [], errors: [] }]));
  const runOf = (module: TestModule) => runs.get(relative(base, module.moduleId)) ?? { checks: [], errors: [] };
  const vitest = await createVitest(
    'test',
    {
      root: base,
      config: join(base, 'vitest.exercises.config.ts'),
      watch: false,
      ...(maxWorkers ? { maxWorkers } : {}),
      reporters: [
        {
          onUserConsoleLog: (log) => onLog?.(log.content.trimEnd()),
          onTestCaseResult(test: TestCase) {
            const result = test.result();
            if (result.state === 'skipped' || result.state === 'pending') return;
            const ok = result.state === 'passed';
            runOf(test.module).checks.push({ name: test.name, passed: ok, ...(ok ? {} : { reason: reasonOf(result.errors?.[0], base) }) });
          },
          onTestModuleEnd(module: TestModule) {
            for (const error of module.errors()) runOf(module).errors.push(reasonOf(error, base));
          },
        },
      ],
    },
    // A learner's console.log shows; vitest's own banner and summary do not.
    { logLevel: 'silent' },
  );
  try {
    await vitest.start(files.map((f) => join(base, f)));
  } finally {
    await vitest.close();
  }
  return runs;
}

const USAGE = 'pnpm exercise NN.K runs one (pnpm exercise 05.1), pnpm exercise NN lists a lesson, pnpm exercise list lists all';

function usageError(message: string): number {
  process.stderr.write(`error: ${message}\n`);
  return 2;
}

function list(all: Exercise[]): void {
  for (const lesson of new Set(all.map((e) => e.lesson))) {
    const ofLesson = all.filter((e) => e.lesson === lesson);
    const title = JSON.parse(readFileSync(join(root, ofLesson[0]?.stepDir ?? '', 'package.json'), 'utf8')).course?.title ?? '';
    process.stdout.write(`${pc.bold(`lesson ${lesson}`)} ${pc.dim('·')} ${title}\n`);
    for (const e of ofLesson) row(e.id, e.summary);
  }
}

async function runOne(exercise: Exercise): Promise<number> {
  process.stdout.write(`${pc.bold(`exercise ${exercise.id}`)} ${pc.dim('·')} ${exercise.summary}\n`);
  const run = (await runChecks([exercise.file], root, { onLog: (text) => row('console', pc.dim(text)) })).get(exercise.file);
  const { checks = [], errors = [] } = run ?? {};
  let explained = false;
  for (const check of checks) {
    if (check.passed) {
      row('ok', check.name);
      continue;
    }
    row('FAIL', pc.red(check.name));
    if (!explained && check.reason) row('', check.reason);
    explained = true;
  }
  for (const error of errors) row('FAIL', pc.red(error));
  const good = checks.filter((c) => c.passed).length;
  const ok = run !== undefined && passed(run);
  const tail = ok ? pc.green('solved') : `the exercise is in ${exercise.stepDir}/README.md, under Exercises`;
  row('', checks.length === 0 ? 'no check could run: the error above comes first' : `${good} of ${checks.length} checks pass: ${tail}`);
  return ok ? 0 : 1;
}

async function main(args: string[]): Promise<number> {
  if (args[0] === '--verify') return (await import('./exercise-verify.js')).verify(args.slice(1));
  if (args.length !== 1) return usageError(args.length === 0 ? `which exercise? ${USAGE}` : `one exercise at a time: ${USAGE}`);
  const [selector = ''] = args;
  const all = exercises();
  if (selector === '--help' || selector === '-h') {
    process.stdout.write(`usage: ${USAGE}\n`);
    return 0;
  }
  if (selector === 'list') {
    list(all);
    return 0;
  }
  const match = /^(\d{1,2})(?:\.(\d))?$/.exec(selector);
  if (!match) return usageError(`'${selector}' is not an exercise: ${USAGE}`);
  const lesson = (match[1] ?? '').padStart(2, '0');
  const ofLesson = all.filter((e) => e.lesson === lesson);
  if (ofLesson.length === 0) {
    const lessons = [...new Set(all.map((e) => e.lesson))];
    return usageError(`lesson ${lesson} has no exercises (these do: ${lessons.join(', ')})`);
  }
  if (match[2] === undefined) {
    list(ofLesson);
    return 0;
  }
  const exercise = ofLesson.find((e) => e.id === `${lesson}.${match[2]}`);
  if (!exercise) return usageError(`no exercise ${lesson}.${match[2]} (lesson ${lesson} has ${ofLesson.map((e) => e.id).join(', ')})`);
  return runOne(exercise);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
