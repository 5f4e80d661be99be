// The deploy bundle: built by bundle.sh (the Dockerfile runs the same script)
// and started the way the container starts it, from its own directory.
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';

export const STEP_DIR = fileURLToPath(new URL('..', import.meta.url));
export const BUNDLE_SCRIPT = join(STEP_DIR, 'bundle.sh');

const pkg = JSON.parse(readFileSync(join(STEP_DIR, 'package.json'), 'utf8')) as {
  course: { preload: string[] };
  devDependencies: Record<string, string>;
};

/**
 * Node's arguments in the bundle, before the mode: tsx to run the TypeScript
 * sources (Node's own type stripping refuses files under node_modules, where
 * the workspace packages are), the step's preloads (tracing, before grpc-js
 * loads), and the course's runner on the bundle's root. The Dockerfile's
 * ENTRYPOINT is `node` and these; a test checks that they match.
 */
export const BUNDLE_ENTRY: readonly string[] = [
  '--import',
  'tsx',
  ...pkg.course.preload.flatMap((p) => ['--import', p]),
  './node_modules/@course/kit/src/run.ts',
  '.',
];

/** The step's devDependencies: none of them may be in the bundle. */
export const DEV_DEPENDENCIES = Object.keys(pkg.devDependencies);

export interface Bundle {
  dir: string;
  ms: number;
  bytes: number;
  /** Packages in the bundle's store (node_modules/.pnpm). */
  packages: string[];
}

/** Bytes under dir, symlinks counted as links (pnpm's node_modules is mostly links into .pnpm). */
export function sizeOf(dir: string): number {
  let bytes = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    bytes += entry.isDirectory() ? sizeOf(path) : lstatSync(path).size;
  }
  return bytes;
}

/** Runs bundle.sh into dir (new or empty); rejects with pnpm's output if it fails. */
export async function buildBundle(dir: string): Promise<Bundle> {
  const started = performance.now();
  const child = spawn('sh', [BUNDLE_SCRIPT, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c) => {
    output += c;
  });
  child.stderr.on('data', (c) => {
    output += c;
  });
  const [code] = await once(child, 'close');
  if (code !== 0) throw Object.assign(new Error(`bundle.sh exited ${code}:\n${output.trim()}`), { code: 'EBUNDLE' });
  const packages = readdirSync(join(dir, 'node_modules/.pnpm')).filter((name) => name !== 'node_modules' && name !== 'lock.yaml');
  return { dir, ms: performance.now() - started, bytes: sizeOf(dir), packages };
}

/**
 * The step's devDependencies that the bundle links at its top level, as it
 * links every dependency it was given: should be none. (One may still be in
 * the store as a production dependency of another package: yaml is one.)
 */
export function devDependenciesIn(bundle: Bundle): string[] {
  return DEV_DEPENDENCIES.filter((name) => existsSync(join(bundle.dir, 'node_modules', name)));
}

export interface BundleProcess {
  child: ChildProcessWithoutNullStreams;
  output(): string;
  /** Resolves once the mode's `listening` line is out; rejects if the process exits first. */
  listening: Promise<string>;
  exited: Promise<number | NodeJS.Signals>;
}

/**
 * `node BUNDLE_ENTRY mode ...args` in the bundle's directory, with env on top
 * of this process's. `wrapper` goes in front (a test's `unshare --pid --fork`,
 * which makes Node PID 1 as in a container).
 */
export function startBundle(dir: string, mode: string, args: string[], env: NodeJS.ProcessEnv, wrapper: string[] = []): BundleProcess {
  const [command = process.execPath, ...before] = [...wrapper, process.execPath];
  const child = spawn(command, [...before, ...BUNDLE_ENTRY, mode, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1', ...env } });
  let output = '';
  const collect = (c: Buffer) => {
    output += c;
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = once(child, 'close').then(([code, signal]) => (code ?? signal) as number | NodeJS.Signals);
  const line = new RegExp(`^\\s*${mode}\\s+listening on (\\S+)`, 'm');
  const listening = new Promise<string>((resolve, reject) => {
    const check = () => {
      const found = line.exec(stripVTControlCharacters(output));
      if (found?.[1]) resolve(found[1]);
    };
    child.stdout.on('data', check);
    void exited.then((code) => reject(Object.assign(new Error(`${mode} exited ${code}: ${output.trim()}`), { code: 'ECHILD' })));
  });
  listening.catch(() => {});
  return { child, output: () => output, listening, exited };
}

/** A process's resident memory in MB, as `ps` reports it (Linux and macOS): what a container's memory limit counts. */
export function residentMb(pid: number): number {
  return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim()) / 1024;
}
