// Lesson 06's server plus grpc.health.v1.Health, server reflection (not in
// production), and a graceful stop driven by health.
import { readFileSync } from 'node:fs';
import { LOADER_OPTIONS } from '@course/01-unary';
import type { LoggedServerHandle } from '@course/04-interceptors';
import { startGreeterServer as startTlsServer, type TlsServerOptions } from '@course/06-tls';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import type { Message } from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { addHealth, drainDelayFromEnv, graceFromEnv, gracefulStop, type HealthWatches } from './shutdown.js';

/** What health answers for: the whole server ("") and each service by name. */
export const HEALTH_SERVICES = ['', 'greeter.v1.Greeter'] as const;

/** Health and reflection answer without a token: probes and tools carry none. */
export function isPublicMethod(path: string): boolean {
  return path.startsWith('/grpc.health.v1.Health/') || /^\/grpc\.reflection\.v1(alpha)?\.ServerReflection\//.test(path);
}

/** The services reflection describes: the ones this server serves. */
export const REFLECTED_SERVICES = ['greeter.v1.Greeter', 'grpc.health.v1.Health'];

/**
 * The descriptor set `pnpm gen` builds with `buf build` from proto/ and
 * grpc-health-check's health.proto (`pnpm check:gen` fails when it is stale).
 * Options survive in it as protoc writes them (lesson 19 reads the HTTP routes).
 */
export const descriptorSet = readFileSync(new URL('../api.binpb', import.meta.url));

/**
 * What reflection describes, as protoc-compatible compilers wrote it. The
 * descriptors proto-loader makes itself are rebuilt from protobufjs, and
 * strict clients (Python's descriptor pool, `buf curl`) refuse them: invented
 * file names (greeter_v1.proto), a map entry named Statuses, relative type
 * names. So each entry of the package definition carries the files from the
 * set as they are; those files are all @grpc/reflection reads.
 */
export const describedServices: protoLoader.PackageDefinition = (() => {
  const { file } = descriptor.FileDescriptorSet.decode(descriptorSet) as unknown as { file: Message[] };
  const files = file.map((f) => Buffer.from(descriptor.FileDescriptorProto.encode(f).finish()));
  const definition = protoLoader.loadFileDescriptorSetFromBuffer(descriptorSet, LOADER_OPTIONS);
  const withFiles = (entry: protoLoader.AnyDefinition) =>
    ('fileDescriptorProtos' in entry ? { ...entry, fileDescriptorProtos: files } : entry) as protoLoader.AnyDefinition;
  return Object.fromEntries(Object.entries(definition).map(([name, entry]) => [name, withFiles(entry)]));
})();

/** The parts of @grpc/reflection's index this reaches into (private in its types). */
interface ReflectionIndex {
  files: Record<string, { dependency?: string[] }>;
  fileDependencies: Map<object, object[]>;
}

/**
 * @grpc/reflection sends with a file only the files it finds through type
 * references (grpc/grpc-node#2595), so an import used for options alone
 * (google/api/annotations.proto, lesson 19) is left out, and strict clients
 * then refuse the file. This adds every import the file declares.
 */
function withDeclaredImports(service: ReflectionService): ReflectionService {
  const { v1, v1Alpha } = service as unknown as Record<'v1' | 'v1Alpha', ReflectionIndex>;
  for (const index of [v1, v1Alpha]) {
    for (const file of Object.values(index.files)) {
      const declared = (file.dependency ?? []).flatMap((name) => index.files[name] ?? []);
      index.fileDependencies.set(file, [...new Set([...(index.fileDependencies.get(file) ?? []), ...declared])]);
    }
  }
  return service;
}

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
  // Another service on this bootstrap (lesson 10's Logger) is the one health and reflection speak for.
  const services = options.service ? ['', options.service.name] : HEALTH_SERVICES;
  const reflected = options.service ? [options.service.name, 'grpc.health.v1.Health'] : REFLECTED_SERVICES;
  const health = new HealthImplementation(Object.fromEntries(services.map((s) => [s, 'SERVING'])));
  // Filled in by register(), which runs before the server binds.
  let watches: HealthWatches = new Set();
  const handle = await startTlsServer({
    ...options,
    stopTimeoutMs: graceMs,
    isPublic: (path) => isPublicMethod(path) || (options.isPublic?.(path) ?? false),
    register(server) {
      watches = addHealth(server, health);
      if (reflection) withDeclaredImports(new ReflectionService(describedServices, { services: reflected })).addToServer(server);
      options.register?.(server);
    },
  });
  const stop = gracefulStop(handle.stop, { health, services, watches, drainDelayMs });
  return { ...handle, health, graceMs, drainDelayMs, stop };
}
