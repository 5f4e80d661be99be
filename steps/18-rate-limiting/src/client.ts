// A call that, refused with RESOURCE_EXHAUSTED, waits the RetryInfo's delay and
// tries again. By hand: grpc-js's retryPolicy honours only `grpc-retry-pushback-ms`.
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { retryDelayMs } from './status-details.js';

export interface RetryInfoOptions {
  /** Attempts in all, the first included. */
  maxAttempts?: number;
  /** A longer delay is not waited: the error is the answer (default 5 s). */
  maxWaitMs?: number;
  /** Told before each wait. */
  onWait?(delayMs: number, error: grpc.ServiceError): void;
}

export async function withRetryInfo<T>(
  call: () => Promise<T>,
  { maxAttempts = 3, maxWaitMs = 5000, onWait }: RetryInfoOptions = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const error = err as grpc.ServiceError;
      const delay = error.code === grpc.status.RESOURCE_EXHAUSTED ? retryDelayMs(error) : undefined;
      if (delay === undefined || delay > maxWaitMs || attempt >= maxAttempts) throw err;
      onWait?.(delay, error);
      await sleep(delay);
    }
  }
}
