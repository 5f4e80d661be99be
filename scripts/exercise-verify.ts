// `pnpm exercise --verify [--json FILE] [--jobs N] [NN.K ...]`: every exercise's checks must fail on the lesson as it
// is and pass with its reference solution (solutions/NN-K.patch) applied; the solution must also typecheck
// and lint. Runs in a scratch copy of this working tree, so the lessons here are never touched.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { type CheckRun, type Exercise, exercises, passed, root, runChecks } from './exercise.js';

const count = { passed: 0, failed: 0 };

function report(what: string, failure?: string): void {
  if (failure === undefined) count.passed++;
  else count.failed++;
  process.stdout.write(`  ${failure === undefined ? 'ok  ' : 'FAIL'}  ${what}\n`);
  if (failure !== undefined) process.stdout.write(`${failure.replace(/^/gm, '        ')}\n`);
}

const since = (started: number) => `${((performance.now() - started) / 1000).toFixed(1)} s`;

export const solutionFile = (e: Exercise) => join('solutions', `${e.id.replace('.', '-')}.patch`);

/** The lesson's README names `pnpm exercise NN.K` in its Exercises section. */
function namedInReadme(e: Exercise): string | undefined {
  const readme = readFileSync(join(root, e.stepDir, 'README.md'), 'utf8');
  const section = /^## Exercises\s*$([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(readme)?.[1];
  if (section === undefined) return `${e.stepDir}/README.md has no "## Exercises" section`;
  return section.includes(`pnpm exercise ${e.id}`)
    ? undefined
    : `${e.stepDir}/README.md's Exercises section does not name \`pnpm exercise ${e.id}\``;
}

/**
 * A copy of the working tree (tracked and untracked files, not ignored ones) in a temporary folder, with the
 * installed dependencies: the root node_modules linked, each package's own node_modules copied link for link,
 * so that `@course/01-unary` inside the copy resolves to the copy's lesson 01, not to this one.
 */
function scratchCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'course-exercises-'));
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' })
    .split('\0')
    .filter((f) => f !== '' && existsSync(join(root, f)));
  for (const file of files) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(root, file), join(dir, file));
  }
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  const packages = ['proto', 'kit', ...readdirSync(join(root, 'steps')).map((s) => join('steps', s))];
  for (const pkg of packages) {
    const modules = join(root, pkg, 'node_modules');
    if (existsSync(modules)) cpSync(modules, join(dir, pkg, 'node_modules'), { recursive: true, verbatimSymlinks: true });
  }
  // Its own repository, so that `git apply` works on the copy's paths whatever folder holds it.
  execFileSync('git', ['init', '-q'], { cwd: dir });
  return dir;
}

function git(dir: string, args: string[]): string | undefined {
  try {
    execFileSync('git', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    return undefined;
  } catch (err) {
    return String((err as { stderr?: Buffer }).stderr ?? err).trim();
  }
}

/** A command's output when it fails, undefined when it exits 0. */
function run(dir: string, command: string, args: string[]): Promise<string | undefined> {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c) => {
      output += c;
    });
    child.stderr.on('data', (c) => {
      output += c;
    });
    child.on('close', (code) => done(code === 0 ? undefined : output.trim() || `exit ${code}`));
  });
}

const patchedFiles = (patch: string) =>
  [...readFileSync(patch, 'utf8').matchAll(/^\+\+\+ b\/(\S+)/gm)].map((m) => m[1] ?? '').filter((f) => /\.ts$/.test(f));

function describeFailures(checks: CheckRun): string {
  const failed = checks.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.reason ?? 'failed'}`);
  return [...checks.errors, ...failed].join('\n') || 'no check ran';
}

async function solve(e: Exercise, scratch: string): Promise<void> {
  const patch = resolve(root, solutionFile(e));
  const conflict = git(scratch, ['apply', '--check', patch]);
  if (conflict) {
    report(`${e.id} passes with ${solutionFile(e)}`, `the patch no longer applies (regenerate it: see solutions/README.md):\n${conflict}`);
    return;
  }
  git(scratch, ['apply', patch]);
  const solvedStarted = performance.now();
  const types = run(scratch, process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', '.']);
  const result = await runChecks([e.file], scratch).then(
    (runs) => runs.get(e.file) ?? { checks: [], errors: ['did not run'] },
    (err: unknown) => ({ checks: [], errors: [`vitest failed: ${(err as Error).message}`] }),
  );
  report(
    `${e.id} passes with ${solutionFile(e)} (${result.checks.length} checks, ${since(solvedStarted)})`,
    passed(result) ? undefined : describeFailures(result),
  );
  const typeErrors = await types;
  const lint = await run(scratch, join(root, 'node_modules/.bin/biome'), ['check', ...patchedFiles(patch)]);
  report(`${e.id}'s solution typechecks and lints`, typeErrors ?? lint);
  const undo = git(scratch, ['apply', '-R', patch]);
  if (undo) throw new Error(`could not take ${solutionFile(e)} back out of the scratch copy: ${undo}`);
}

export async function verify(args: string[]): Promise<number> {
  const started = performance.now();
  const json = args.indexOf('--json');
  const jsonFile = json >= 0 ? args.splice(json, 2)[1] : undefined;
  const jobsAt = args.indexOf('--jobs');
  // The checks mostly wait on servers and processes, so one job more than cores pays.
  const jobsText = jobsAt >= 0 ? args.splice(jobsAt, 2)[1] : String(Math.min(4, availableParallelism() + 1));
  const jobs = Number(jobsText);
  if ((json >= 0 && !jsonFile) || !/^[1-9]\d*$/.test(jobsText ?? '') || args.some((a) => a.startsWith('-'))) {
    process.stderr.write('error: usage: pnpm exercise --verify [--json FILE] [--jobs N] [NN.K ...]\n');
    return 2;
  }
  const all = exercises().filter((e) => args.length === 0 || args.includes(e.id));
  if (all.length === 0) {
    process.stderr.write(`error: no exercise matches ${args.join(' ')}\n`);
    return 2;
  }

  for (const e of all) report(`${e.id} is named in its README`, namedInReadme(e));
  const withSolution = all.filter((e) => {
    const has = existsSync(join(root, solutionFile(e)));
    report(`${e.id} has a reference solution (${solutionFile(e)})`, has ? undefined : 'missing');
    return has;
  });
  if (args.length === 0) {
    const ids = new Set(all.map((e) => e.id.replace('.', '-')));
    const orphans = readdirSync(join(root, 'solutions')).filter((f) => f.endsWith('.patch') && !ids.has(f.replace(/\.patch$/, '')));
    for (const f of orphans) report(`solutions/${f} belongs to an exercise`, 'no such exercise');
  }

  // One scratch copy per job: a solution applied in one never leaks into another's checks.
  const scratches = Array.from({ length: Math.max(1, Math.min(jobs, withSolution.length)) }, scratchCopy);
  try {
    // Unsolved: every check file at once; each must load, and at least one of its checks must fail.
    const unsolvedStarted = performance.now();
    const unsolved = await runChecks(
      all.map((e) => e.file),
      scratches[0] ?? '(no scratch copy)',
      // The checks mostly wait on servers and processes: more files at once than cores pays.
      { maxWorkers: 2 * jobs },
    ).catch((err: unknown) => {
      report('the unsolved run', `vitest failed: ${(err as Error).message}`);
      return new Map<string, CheckRun>();
    });
    for (const e of all) {
      const result = unsolved.get(e.file) ?? { checks: [], errors: ['did not run'] };
      const failing = result.checks.filter((c) => !c.passed).length;
      const problem =
        result.errors.length > 0
          ? `the checks did not run cleanly on the unsolved lesson:\n${result.errors.join('\n')}`
          : result.checks.length === 0
            ? 'no check ran'
            : failing === 0
              ? 'every check passes on the unsolved lesson: a check that cannot fail'
              : undefined;
      report(`${e.id} fails unsolved (${failing} of ${result.checks.length} checks fail)`, problem);
    }
    process.stdout.write(`        (${all.length} exercises unsolved in ${since(unsolvedStarted)})\n`);

    // Solved: each job takes the next solution, applies it, checks, typechecks and lints, then takes it back.
    const queue = [...withSolution];
    await Promise.all(
      scratches.map(async (scratch) => {
        for (let e = queue.shift(); e; e = queue.shift()) await solve(e, scratch);
      }),
    );
  } finally {
    for (const scratch of scratches) rmSync(scratch, { recursive: true, force: true });
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(`${count.passed} passed, ${count.failed} failed (${all.length} exercises, ${seconds} s)\n`);
  if (jsonFile) writeFileSync(resolve(jsonFile), `${JSON.stringify({ ...count, exercises: all.length, seconds: Number(seconds) })}\n`);
  return count.failed > 0 ? 1 : 0;
}
