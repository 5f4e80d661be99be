// Lesson 06's server plus grpc.health.v1.Health, server reflection (not in
// production), and a graceful stop driven by health.
import { greeterDefinition, LOADER_OPTIONS } from '@course/01-unary';
import type { LoggedServerHandle } from '@course/04-interceptors';
import { startGreeterServer as startTlsServer, type TlsServerOptions } from '@course/06-tls';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import { addHealth, drainDelayFromEnv, graceFromEnv, gracefulStop, type HealthWatches } from './shutdown.js';

/** What health answers for: the whole server ("") and each service by name. */
export const HEALTH_SERVICES = ['', 'greeter.v1.Greeter'] as const;

/** Health and reflection answer without a token: probes and tools carry none. */
export function isPublicMethod(path: string): boolean {
  return path.startsWith('/grpc.health.v1.Health/') || /^\/grpc\.reflection\.v1(alpha)?\.ServerReflection\//.test(path);
}

/**
 * What reflection describes: Greeter and Health. (A package definition is a
 * plain object keyed by full names, so two merge with a spread.) Tools such
 * as grpcurl then call either without being handed a .proto file.
 */
export const describedServices: protoLoader.PackageDefinition = {
  ...greeterDefinition,
  ...protoLoader.loadSync(healthProtoPath, LOADER_OPTIONS),
};

/** Reflection tells anyone your whole API: on in development, off in production. */
export function reflectionEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NODE_ENV !== 'production';
}

export interface HealthServerOptions extends TlsServerOptions {
  reflection?: boolean;
  /** Default: SHUTDOWN_GRACE_MS, else 10 s. */
  graceMs?: number;
  /** How long a stop keeps serving with health NOT_SERVING. Default: DRAIN_DELAY_MS, else 1 s. */
  drainDelayMs?: number;
}

export interface HealthServerHandle extends LoggedServerHandle {
  health: HealthImplementation;
  graceMs: number;
  drainDelayMs: number;
}

export async function startGreeterServer(options: HealthServerOptions = {}): Promise<HealthServerHandle> {
  const graceMs = options.graceMs ?? graceFromEnv();
  const drainDelayMs = options.drainDelayMs ?? drainDelayFromEnv();
  const reflection = options.reflection ?? reflectionEnabled();
  const health = new HealthImplementation(Object.fromEntries(HEALTH_SERVICES.map((s) => [s, 'SERVING'])));
  // Filled in by register(), which runs before the server binds.
  let watches: HealthWatches = new Set();
  const handle = await startTlsServer({
    ...options,
    stopTimeoutMs: graceMs,
    isPublic: (path) => isPublicMethod(path) || (options.isPublic?.(path) ?? false),
    register(server) {
      watches = addHealth(server, health);
      if (reflection) new ReflectionService(describedServices).addToServer(server);
      options.register?.(server);
    },
  });
  const stop = gracefulStop(handle.stop, { health, services: HEALTH_SERVICES, watches, drainDelayMs });
  return { ...handle, health, graceMs, drainDelayMs, stop };
}
