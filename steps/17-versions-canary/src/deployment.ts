// The two deployments behind the proxy: stable (release 1.0, greeter.v1
// only: lesson 16's Greeter as it was) and canary (release 1.1: greeter.v1
// on v2's logic, and greeter.v2 beside it). Every reply says which release
// answered in its trailers, `x-version`.

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serviceDefinition } from '@course/01-unary';
import { createLogger, recoverHandlers } from '@course/04-interceptors';
import { describedServices, REFLECTED_SERVICES, reflectionEnabled } from '@course/07-reflection-health';
import { logFields } from '@course/11-metadata-propagation';
// The previous step's Greeter, imported here and nowhere else.
import { type EventsGreeterHandle, type EventsGreeterOptions, startGreeterServer } from '@course/16-async-events';
import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { GREETER_V2, sayHelloV1OnV2, sayHelloV2Handler } from './versions.js';

export const TRACKS = ['stable', 'canary'] as const;
export type Track = (typeof TRACKS)[number];
export const VERSIONS: Record<Track, string> = { stable: '1.0', canary: '1.1' };
export const VERSION_TRAILER = 'x-version';

/** Adds `x-version` to the trailers: they end every call, an error too, so no call goes without it. */
export function versionInterceptor(version: string): grpc.ServerInterceptor {
  return (_method, call) =>
    new grpc.ServerInterceptingCall(call, {
      sendStatus(status, next) {
        // A handler's status often comes without metadata of its own.
        const metadata = status.metadata ?? new grpc.Metadata();
        metadata.set(VERSION_TRAILER, version);
        next({ ...status, metadata });
      },
    });
}

export interface DeploymentOptions extends Omit<EventsGreeterOptions, 'id' | 'outboxPath'> {
  track: Track;
  /** Default: OUTBOX_PATH, or one per track and port (per process for port 0) in the temp dir. */
  outboxPath?: string;
}

export interface DeploymentHandle extends EventsGreeterHandle {
  track: Track;
  version: string;
}

export async function startDeployment({ track, outboxPath, ...options }: DeploymentOptions): Promise<DeploymentHandle> {
  const version = VERSIONS[track];
  const canary = track === 'canary';
  const logger = options.logger ?? createLogger({ mixin: logFields });
  const reflection = options.reflection ?? reflectionEnabled();
  const handle = await startGreeterServer({
    ...options,
    id: track,
    logger,
    outboxPath:
      outboxPath ?? process.env.OUTBOX_PATH ?? join(tmpdir(), `grpc-course-outbox-17-${track}-${options.port || `pid${process.pid}`}.db`),
    // The canary answers v1 with v2's logic, logged and evented like every greeting before it.
    ...(canary && { greet: sayHelloV1OnV2 }),
    // The canary describes greeter.v2 too: it serves reflection itself, below.
    reflection: canary ? false : reflection,
    serverOptions: {
      ...options.serverOptions,
      interceptors: [versionInterceptor(version), ...(options.serverOptions?.interceptors ?? [])],
    },
    register(server) {
      if (canary) {
        server.addService(serviceDefinition(GREETER_V2), recoverHandlers(GREETER_V2.name, { SayHello: sayHelloV2Handler }, logger));
        if (reflection)
          new ReflectionService(describedServices, { services: [...REFLECTED_SERVICES, GREETER_V2.name] }).addToServer(server);
      }
      options.register?.(server);
    },
  });
  if (canary) handle.health.setStatus(GREETER_V2.name, 'SERVING');
  return {
    ...handle,
    track,
    version,
    async stop() {
      // Lesson 07's stop turns the services it knows NOT_SERVING; v2 is this lesson's.
      if (canary) handle.health.setStatus(GREETER_V2.name, 'NOT_SERVING');
      await handle.stop();
    },
  };
}
