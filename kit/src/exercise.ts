// What the exercises' checks share: how a call or a process ended, as one line a person reads,
// so a failed check says "expected 'OK' to match /^UNAUTHENTICATED/", not a stack trace.
import { describeStatus, isServiceError } from './errors.js';
import type { NodeProcess } from './process.js';

/** A check's expectation not met, said in its own words: `pnpm exercise` shows its message and no location. */
export class CheckError extends Error {
  override name = 'CheckError';
}

/** "OK", or the status the call ended with ("INVALID_ARGUMENT: name is required"); other errors are rethrown. */
export async function howItEnded(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'OK';
  } catch (err) {
    if (!isServiceError(err)) throw err;
    return describeStatus(err);
  }
}

/** "exit 0", or the exit code and the first line of stderr: "exit 2: error: unknown flag --stop-after for client". */
export function exitLine({ code, stderr }: { code: number | null; stderr: string }): string {
  const first = stderr.trim().split('\n')[0] ?? '';
  return code === 0 ? 'exit 0' : `exit ${code}${first ? `: ${first}` : ''}`;
}

/**
 * Resolves with the first match of pattern in the process's stdout, as soon as it is printed;
 * rejects with the process's exit line if it ends without printing it.
 */
export function printed(process: NodeProcess, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const look = () => {
      const found = pattern.exec(process.stdout());
      if (found) {
        process.child.stdout.off('data', look);
        resolve(found);
      }
    };
    process.child.stdout.on('data', look);
    look();
    void process.exited.then((exit) => {
      look();
      reject(new CheckError(`${exitLine(exit)}, before printing ${pattern}`));
    });
  });
}
