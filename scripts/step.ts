// The step runner: `pnpm step NN [demo|serve|client] [flags]`, `pnpm step list`.
// It finds the lesson and hands its process over to it, a fresh Node with the
// lesson's preloads (`--import`, e.g. tracing) ahead of everything else.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeVersionProblem } from './node-version.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const stepsDir = join(root, 'steps');

interface Step {
  dir: string;
  number: string;
  title: string;
  preload: string[];
}

function steps(): Step[] {
  return readdirSync(stepsDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && /^\d\d-/.test(e.name))
    .map((e) => {
      const pkg = JSON.parse(readFileSync(join(stepsDir, e.name, 'package.json'), 'utf8'));
      return { dir: e.name, number: e.name.slice(0, 2), title: pkg.course?.title ?? e.name, preload: pkg.course?.preload ?? [] };
    })
    .sort((a, b) => a.dir.localeCompare(b.dir));
}

const USAGE = `usage: pnpm step NN [demo|serve|client] [flags]   run lesson NN (5, 05 or 05-metadata-auth)
       pnpm step NN --help                        what lesson NN takes
       pnpm step list                             the lessons`;

function fail(message: string): never {
  process.stderr.write(`error: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

/** "5", "05" and "05-metadata-auth" all select step 05. */
export function selectStep(all: Step[], selector: string): Step | undefined {
  if (/^\d{1,2}$/.test(selector)) return all.find((s) => s.number === selector.padStart(2, '0'));
  return all.find((s) => s.dir === selector.replace(/\/$/, '').replace(/^steps\//, ''));
}

// First, before anything a newer Node provides is needed.
const tooOld = nodeVersionProblem(process.version, JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).engines.node);
if (tooOld) {
  process.stderr.write(`error: ${tooOld}\n`);
  process.exit(1);
}

const [selector, ...rest] = process.argv.slice(2);
const all = steps();
if (selector === undefined) fail('which step? name one, or `list`');
if (selector === 'list') {
  for (const s of all) process.stdout.write(`  ${s.number}  ${s.title.padEnd(28)} steps/${s.dir}\n`);
  process.exit(0);
}
if (selector === '--help' || selector === '-h') {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const step = selectStep(all, selector);
if (!step) fail(`no step '${selector}' (there are ${all.length}: ${all.map((s) => s.number).join(', ')})`);

const stepDir = join(stepsDir, step.dir);
const args = [
  '--import',
  'tsx',
  ...step.preload.flatMap((p) => ['--import', join(stepDir, p)]),
  join(root, 'kit/src/run.ts'),
  stepDir,
  ...rest,
];
process.chdir(root);
// The lesson takes over this process (same pid), so whatever signals `pnpm
// step` (a terminal's Ctrl-C, a `kill`, pnpm passing one on) reaches the
// lesson exactly once, and its exit status is this process's.
const { execve } = process as { execve?: (file: string, args: string[], env: NodeJS.ProcessEnv) => never };
if (execve) execve.call(process, process.execPath, [process.execPath, ...args], process.env);

// Where there is no execve (Windows, Node before 22.15), the lesson runs as a
// child. A `kill` reaches only this process, so it passes signals on; the
// lesson then takes a repeat that comes at once for the same signal.
const child = spawn(process.execPath, args, { stdio: 'inherit', env: { ...process.env, COURSE_RUNNER_FORWARDS_SIGNALS: '1' } });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  if (signal === null) process.exit(code ?? 1);
  // End the way the lesson did, killed by the same signal: a shell then
  // reports 128 + its number (130 for Ctrl-C), as for any other tool.
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
});
