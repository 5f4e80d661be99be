// A Greeter backend that says which one it is: lesson 11's Greeter with an
// `x-backend` header on every answer, so a client can see where the
// balancer sent each call.
import type { LoggingGreeterHandle, LoggingGreeterOptions } from '@course/10-two-services';
import { startGreeterServer, withTrailer } from '@course/11-metadata-propagation';
import * as grpc from '@grpc/grpc-js';

export const BACKEND_HEADER = 'x-backend';

/**
 * Adds `x-backend: id` to the response headers, or to the trailers of a
 * status that goes out alone: never headers of its own, which would commit
 * the call and so stop a client's retry policy (lesson 13).
 */
export function backendIdInterceptor(id: string): grpc.ServerInterceptor {
  return (_method, call) => {
    let headersSent = false;
    return new grpc.ServerInterceptingCall(call, {
      sendMetadata(metadata, next) {
        headersSent = true;
        metadata.set(BACKEND_HEADER, id);
        next(metadata);
      },
      sendStatus: (status, next) => next(headersSent ? status : withTrailer(status, BACKEND_HEADER, id)),
    });
  };
}

export interface BackendOptions extends LoggingGreeterOptions {
  /** What the backend answers in `x-backend`. */
  id: string;
}

export interface BackendHandle extends LoggingGreeterHandle {
  id: string;
}

export async function startBackend({ id, ...options }: BackendOptions): Promise<BackendHandle> {
  const handle = await startGreeterServer({
    ...options,
    // Ahead of auth (lesson 05 always puts auth last): a refused call says which backend refused it too.
    serverOptions: { ...options.serverOptions, interceptors: [backendIdInterceptor(id), ...(options.serverOptions?.interceptors ?? [])] },
  });
  return { ...handle, id };
}
