// Graceful shutdown, the piece every later server keeps: tell health checkers
// first, stop taking calls, let in-flight calls finish, and cancel what is
// still running when the grace period ends.
import { ConfigError } from '@course/05-metadata-auth';
import type { HealthImplementation } from 'grpc-health-check';

/** How long in-flight calls get to finish after a stop signal, unless SHUTDOWN_GRACE_MS says otherwise. */
export const DEFAULT_GRACE_MS = 10_000;

export function graceFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.SHUTDOWN_GRACE_MS;
  if (text === undefined || text === '') return DEFAULT_GRACE_MS;
  if (!/^\d+$/.test(text)) throw new ConfigError(`SHUTDOWN_GRACE_MS must be a whole number of milliseconds, got '${text}'`);
  return Number(text);
}

/**
 * Wraps a server's stop(): health goes NOT_SERVING for every service first,
 * so load balancers stop sending work; then stop() refuses new calls, waits
 * for in-flight ones and, after the grace period it was built with, cancels
 * the rest (lesson 01's startServer pairs tryShutdown with forceShutdown).
 */
export function gracefulStop(stop: () => Promise<void>, health: HealthImplementation, services: readonly string[]): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= (() => {
      for (const service of services) health.setStatus(service, 'NOT_SERVING');
      return stop();
    })();
    return stopping;
  };
}
