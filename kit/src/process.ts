// Runs a lesson in its own Node process, as `pnpm step` does, for tests that
// check what a person would see: the output, the exit code, the signals.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';

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
  /** The address from the runner's `server  listening on HOST:PORT` line; rejects if the process exits first. */
  listening: Promise<string>;
  /** The same for a row with another label: another of the step's servers (`logger  listening on ...`). */
  listeningAs(label: string): Promise<string>;
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
  const listeningAs = (label: string) => {
    const line = new RegExp(`^\\s*${label}\\s+listening on (\\S+?),?(\\s|$)`, 'm');
    const listening = new Promise<string>((resolve, reject) => {
      const check = () => {
        const found = line.exec(stripVTControlCharacters(stdout));
        if (found?.[1]) resolve(found[1]);
      };
      check();
      child.stdout.on('data', check);
      void exited.then(({ code }) => reject(new Error(`exited ${code} before ${label} was listening:\n${stdout}${stderr}`)));
    });
    listening.catch(() => {});
    return listening;
  };
  return { child, stdout: () => stdout, stderr: () => stderr, listening: listeningAs('server'), listeningAs, exited };
}

/** A lesson's `demo | serve | client` in its own process; preloads go first, as the runner puts them. */
export function startLesson(
  stepDir: string,
  args: string[],
  { env = {}, preload = [] }: { env?: NodeJS.ProcessEnv; preload?: string[] } = {},
): NodeProcess {
  return startNode([...preload.flatMap((p) => ['--import', p]), RUN, stepDir, ...args], env);
}
