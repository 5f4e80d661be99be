// StreamGreetings: many replies to one request, paced by the client's reading
// (backpressure) and stopped the moment the client cancels.
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  checkName,
  type GreeterServerOptions,
  greeting,
  type ServerHandle,
  startGreeterServer as startUnaryServer,
  statusError,
} from '@course/01-unary';
import type { GreeterHandlers } from '@course/proto/gen/greeter/v1/Greeter';
import * as grpc from '@grpc/grpc-js';

/** Greetings sent when the request leaves `count` at 0. */
export const DEFAULT_COUNT = 5;
/** The most greetings one call may ask for: beyond it, INVALID_ARGUMENT. */
export const MAX_COUNT = 10_000;
/** Pause between two greetings. */
export const DEFAULT_INTERVAL_MS = 100;

/**
 * What a stream handler did. Kept as a server hook, not only for the demo and
 * the tests: a real server counts backpressure waits and cancelled streams
 * (its metrics or logs), and no client sees the server's buffer or its timer.
 */
export type StreamEvent =
  | { type: 'sent'; sequence: number; buffered: number }
  | { type: 'backpressure'; sequence: number }
  | { type: 'done'; sent: number; reason: 'completed' | 'cancelled' };

export interface StreamOptions {
  intervalMs?: number;
  onEvent?(event: StreamEvent): void;
}

export function streamGreetingsHandler({
  intervalMs = DEFAULT_INTERVAL_MS,
  onEvent,
}: StreamOptions = {}): GreeterHandlers['StreamGreetings'] {
  return (call) => {
    const { name, count: asked } = call.request;
    const problem = checkName(name) ?? (asked > MAX_COUNT ? `count must be at most ${MAX_COUNT}, got ${asked}` : undefined);
    // On a server stream, an 'error' event is how a handler ends the call with a status.
    if (problem) return void call.emit('error', statusError(grpc.status.INVALID_ARGUMENT, problem));
    const count = asked || DEFAULT_COUNT;

    // One signal stops every wait below: the interval timer and a pending 'drain'.
    const cancelled = new AbortController();
    call.once('cancelled', () => cancelled.abort());
    const { signal } = cancelled;
    let sent = 0;

    const run = async () => {
      for (let sequence = 1; sequence <= count; sequence++) {
        if (sequence > 1 && intervalMs > 0) await sleep(intervalMs, undefined, { signal });
        const flushed = call.write({ message: greeting(name), sequence });
        sent = sequence;
        onEvent?.({ type: 'sent', sequence, buffered: call.writableLength });
        if (!flushed) {
          // The client reads slower than we write: wait until the buffered
          // messages have gone out instead of piling up more in memory.
          onEvent?.({ type: 'backpressure', sequence });
          await once(call, 'drain', { signal });
        }
      }
      call.end();
      onEvent?.({ type: 'done', sent, reason: 'completed' });
    };
    run().catch((err: unknown) => {
      if (signal.aborted) return onEvent?.({ type: 'done', sent, reason: 'cancelled' });
      // A bug, not the client's doing: log it here, tell the client only INTERNAL.
      console.error('StreamGreetings failed:', err);
      call.emit('error', statusError(grpc.status.INTERNAL, 'internal error'));
    });
  };
}

export interface StreamServerOptions extends GreeterServerOptions {
  stream?: StreamOptions;
}

/** Lesson 01's server plus StreamGreetings. */
export function startGreeterServer(options: StreamServerOptions = {}): Promise<ServerHandle> {
  return startUnaryServer({ ...options, handlers: { StreamGreetings: streamGreetingsHandler(options.stream), ...options.handlers } });
}
