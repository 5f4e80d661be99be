// A backend worth retrying against: lesson 12's, failing the first K attempts
// of each call with UNAVAILABLE, and refusing at once work it cannot finish
// before the caller's deadline; it counts both, so a test can see every attempt.
import { sayHelloAsCaller } from '@course/05-metadata-auth';
import { msLeft } from '@course/10-two-services';
import { REQUEST_ID } from '@course/11-metadata-propagation';
import { type BackendHandle, type BackendOptions, startBackend } from '@course/12-load-balancing';
import type { GreeterHandlers } from '@course/proto/gen/greeter/v1/Greeter';
import * as grpc from '@grpc/grpc-js';

/** Set by grpc-js on every attempt after the first: how many went before it. */
export const PREVIOUS_ATTEMPTS = 'grpc-previous-rpc-attempts';
/** How long the caller asks SayHello to work, in ms: the lesson's stand-in for a slow query. */
export const WORK_HEADER = 'x-work-ms';
/** The most work one call may ask for. */
export const MAX_WORK_MS = 10_000;
const GREETER_PATH = '/greeter.v1.Greeter/';
/** Calls remembered by the flaky interceptor: the oldest is forgotten past this. */
const MAX_TRACKED_CALLS = 1_000;
/** More than grpc-node.retry_max_attempts_limit would sensibly be. */
const MAX_PREVIOUS = 100;

/** How flaky the backend is, and what it saw: for the tests and the demo. */
export interface Attempts {
  /** Attempts of each call that fail with UNAVAILABLE before one passes; may be changed while it runs. */
  failFirst: number;
  /** Every attempt that reached the backend. */
  total: number;
  /** Attempts, by the `grpc-previous-rpc-attempts` they carried (0: none, a first attempt; -1: not a count). */
  byPrevious: Record<number, number>;
  /** Calls whose work was done, and calls refused before it started because the deadline left too little. */
  workDone: number;
  workNotStarted: number;
}

export const newAttempts = (failFirst = 0): Attempts => ({ failFirst, total: 0, byPrevious: {}, workDone: 0, workNotStarted: 0 });

/**
 * Counts every attempt at a Greeter method, and fails the first `failFirst`
 * of each call with UNAVAILABLE. The attempts of one call are the ones with
 * its `x-request-id` (grpc-js resends the same headers on every attempt);
 * calls without one share a single count.
 */
export function flakyInterceptor(attempts: Attempts): grpc.ServerInterceptor {
  const seen = new Map<string, number>();
  return (method, call) => {
    // Only the Greeter is flaky: health and reflection answer, as they would for a backend whose database is down.
    if (!method.path.startsWith(GREETER_PATH)) return new grpc.ServerInterceptingCall(call);
    let failed = false;
    const listener: grpc.ServerListener = {
      onReceiveMetadata(metadata, next) {
        // Whatever a caller sends here is tallied under a bounded set of keys: -1 for anything but a plausible count.
        const sent = Number(metadata.get(PREVIOUS_ATTEMPTS)[0] ?? 0);
        const previous = Number.isInteger(sent) && sent >= 0 && sent < MAX_PREVIOUS ? sent : -1;
        attempts.total++;
        attempts.byPrevious[previous] = (attempts.byPrevious[previous] ?? 0) + 1;
        const [id = ''] = metadata.get(REQUEST_ID) as string[];
        const attempt = (seen.get(id) ?? 0) + 1;
        const { failFirst } = attempts;
        if (attempt > failFirst) {
          seen.delete(id);
          return next(metadata);
        }
        if (!seen.has(id) && seen.size >= MAX_TRACKED_CALLS) seen.delete(seen.keys().next().value as string);
        seen.set(id, attempt);
        failed = true;
        call.sendStatus({ code: grpc.status.UNAVAILABLE, details: `flaky: attempt ${attempt} of the first ${failFirst} fails` });
      },
      onReceiveMessage(message, next) {
        if (!failed) next(message);
      },
      onReceiveHalfClose(next) {
        if (!failed) next();
      },
    };
    return new grpc.ServerInterceptingCall(call, { start: (next) => next(listener) });
  };
}

/**
 * Wraps a SayHello: the work the caller asks for (`x-work-ms`) is done first,
 * unless the deadline leaves too little for it. Then the call ends at once
 * with DEADLINE_EXCEEDED: the caller would not wait for the answer anyway.
 */
export function withDeadlineAwareWork(sayHello: GreeterHandlers['SayHello'], attempts: Attempts): GreeterHandlers['SayHello'] {
  return (call, callback) => {
    const [asked] = call.metadata.get(WORK_HEADER);
    const workMs = Math.min(Number(asked ?? 0) || 0, MAX_WORK_MS);
    if (workMs <= 0) return sayHello(call, callback);
    const left = msLeft(call.getDeadline());
    if (left < workMs) {
      attempts.workNotStarted++;
      return callback({
        code: grpc.status.DEADLINE_EXCEEDED,
        details: `needs ${workMs} ms, ${Math.max(0, Math.floor(left))} ms left: not started`,
      });
    }
    const timer = setTimeout(() => {
      attempts.workDone++;
      sayHello(call, callback);
    }, workMs);
    // A caller that gives up (or runs out of time) stops the work too.
    call.once('cancelled', () => clearTimeout(timer));
  };
}

export interface RetryServerOptions extends BackendOptions {
  /** Attempts of each call that fail with UNAVAILABLE before one passes (default 0); `attempts.failFirst` on the handle later. */
  failFirst?: number;
}

export interface RetryServerHandle extends BackendHandle {
  attempts: Attempts;
}

/**
 * Lesson 12's backend, flaky and deadline-aware. The flaky interceptor goes
 * after lesson 11's and 12's (they add their ids to the trailers of its
 * failures), and before auth (lesson 05 puts it last).
 */
export async function startRetryServer({ failFirst = 0, ...options }: RetryServerOptions): Promise<RetryServerHandle> {
  const attempts = newAttempts(failFirst);
  const handle = await startBackend({
    ...options,
    // Lesson 10 still logs the greeting (and lesson 14 can wrap that Log call): only the work before it is this lesson's.
    greet: withDeadlineAwareWork(options.greet ?? sayHelloAsCaller, attempts),
    // After logging and metrics too (lessons 04, 08): failed attempts are logged and counted.
    serverOptions: { ...options.serverOptions, interceptors: [flakyInterceptor(attempts), ...(options.serverOptions?.interceptors ?? [])] },
  });
  return { ...handle, attempts };
}
