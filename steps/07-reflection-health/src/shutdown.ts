// Graceful shutdown, the piece every later server keeps: tell health checkers
// first and give them time to see it, stop taking calls, let in-flight calls
// finish, and cancel what is still running when the grace period ends.
import { setTimeout as sleep } from 'node:timers/promises';
import { statusError } from '@course/01-unary';
import { ConfigError } from '@course/05-metadata-auth';
import * as grpc from '@grpc/grpc-js';
import type { HealthImplementation } from 'grpc-health-check';

/** How long in-flight calls get to finish after a stop signal, unless SHUTDOWN_GRACE_MS says otherwise. */
export const DEFAULT_GRACE_MS = 10_000;
/** How long health says NOT_SERVING before the server stops taking calls, unless DRAIN_DELAY_MS says otherwise. */
export const DEFAULT_DRAIN_DELAY_MS = 1_000;

function millisecondsFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  if (!/^\d+$/.test(text)) throw new ConfigError(`${name} must be a whole number of milliseconds, got '${text}'`);
  return Number(text);
}

export function graceFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  return millisecondsFromEnv(env, 'SHUTDOWN_GRACE_MS', DEFAULT_GRACE_MS);
}

export function drainDelayFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  return millisecondsFromEnv(env, 'DRAIN_DELAY_MS', DEFAULT_DRAIN_DELAY_MS);
}

type WatchCall = grpc.ServerWritableStream<unknown, unknown>;
/** The Watch calls open on a server. */
export type HealthWatches = Set<WatchCall>;

/**
 * Adds health to a server and keeps its open Watch calls. grpc-health-check
 * never ends a Watch (a watcher hears each change for as long as it stays),
 * so a stop has to, or it would wait for every watcher until the grace
 * period cancels them.
 */
export function addHealth(server: grpc.Server, health: HealthImplementation): HealthWatches {
  const watches: HealthWatches = new Set();
  // addToServer takes anything with addService: this one wraps Watch on its way to the real server.
  health.addToServer({
    addService(service, implementation) {
      const watch = implementation.watch as grpc.handleServerStreamingCall<unknown, unknown>;
      server.addService(service, {
        ...implementation,
        watch(call: WatchCall) {
          watches.add(call);
          call.once('cancelled', () => watches.delete(call));
          watch(call);
        },
      });
    },
  });
  return watches;
}

export interface GracefulStopOptions {
  health: HealthImplementation;
  services: readonly string[];
  /** The open Watch calls, from addHealth. */
  watches: HealthWatches;
  drainDelayMs: number;
}

/**
 * Wraps a server's stop(): health goes NOT_SERVING for every service first,
 * so load balancers stop sending work. For the drain delay the server still
 * serves, and a balancer that polls Check, rather than watching, sees
 * NOT_SERVING instead of a refused connection. Then the Watch calls end, and
 * stop() refuses new calls, waits for in-flight ones and, after the grace
 * period it was built with, cancels the rest (lesson 01's startServer).
 */
export function gracefulStop(
  stop: () => Promise<void>,
  { health, services, watches, drainDelayMs }: GracefulStopOptions,
): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= (async () => {
      for (const service of services) health.setStatus(service, 'NOT_SERVING');
      if (drainDelayMs > 0) await sleep(drainDelayMs);
      for (const call of watches) call.emit('error', statusError(grpc.status.UNAVAILABLE, 'the server is stopping'));
      await stop();
    })();
    return stopping;
  };
}
