// Runs a lesson in its own Node process, as `pnpm step` does, for tests that
// check what a person would see: the output, the exit code, the signals.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const RUN = fileURLToPath(new URL('./run.ts', import.meta.url));

export interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface NodeProcess {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** The address from the first `listening on HOST:PORT` line; rejects if the process exits first. */
  listening: Promise<string>;
  exited: Promise<Exit>;
}

/** `node --import tsx ...args`, with NO_COLOR and the given environment on top of this one. */
export function startNode(args: string[], env: NodeJS.ProcessEnv = {}): NodeProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { env: { ...process.env, NO_COLOR: '1', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => {
    stdout += c;
  });
  child.stderr.on('data', (c) => {
    stderr += c;
  });
  // 'close', not 'exit': the last output may still be in the pipes when the process exits.
  const exited = once(child, 'close').then(([code]) => ({ code: code as number | null, stdout, stderr }));
  const listening = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const found = /listening on (\S+?),?(\s|$)/.exec(stdout);
      if (found?.[1]) resolve(found[1]);
    });
    void exited.then(({ code }) => reject(new Error(`exited ${code} before listening:\n${stdout}${stderr}`)));
  });
  listening.catch(() => {});
  return { child, stdout: () => stdout, stderr: () => stderr, listening, exited };
}

/** A lesson's `demo | serve | client` in its own process; preloads go first, as the runner puts them. */
export function startLesson(
  stepDir: string,
  args: string[],
  { env = {}, preload = [] }: { env?: NodeJS.ProcessEnv; preload?: string[] } = {},
): NodeProcess {
  return startNode([...preload.flatMap((p) => ['--import', p]), RUN, stepDir, ...args], env);
}
