// What the exercises' checks share: a call's end as one line a person reads,
// so a failed check says "expected 'OK' to match /^UNAUTHENTICATED/".
import { describeStatus, isServiceError } from './errors.js';

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
