// A bound for a test that could otherwise hang: what a promise settled with,
// or 'still pending' once the time is up. A guard against a hang, not a
// timing goal: tests give it many times what the wait should take.
import { setTimeout as sleep } from 'node:timers/promises';

export const STILL_PENDING = 'still pending';

export async function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof STILL_PENDING> {
  const bound = new AbortController();
  try {
    return await Promise.race([promise, sleep<typeof STILL_PENDING>(ms, STILL_PENDING, { signal: bound.signal })]);
  } finally {
    bound.abort();
  }
}
