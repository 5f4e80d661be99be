// Lesson 04's server behind token auth, with a SayHello that knows its caller.
import { checkName, greeting, statusError } from '@course/01-unary';
import { type LoggedServerHandle, type LoggedServerOptions, startGreeterServer as startLoggedServer } from '@course/04-interceptors';
import type { GreeterHandlers } from '@course/proto/gen/greeter/v1/Greeter';
import * as grpc from '@grpc/grpc-js';
import { type AuthOptions, authInterceptor, currentCaller, tokenFromEnv } from './auth.js';

/** SayHello as before, naming the caller when the call says who it is for. */
export const sayHelloAsCaller: GreeterHandlers['SayHello'] = (call, callback) => {
  const problem = checkName(call.request.name);
  if (problem) return callback(statusError(grpc.status.INVALID_ARGUMENT, problem));
  const userId = currentCaller()?.userId;
  callback(null, { message: userId ? `${greeting(call.request.name)} (for user ${userId})` : greeting(call.request.name) });
};

export interface AuthServerOptions extends LoggedServerOptions {
  /** The accepted token; default: AUTH_TOKEN, see tokenFromEnv. */
  token?: string;
  isPublic?: AuthOptions['isPublic'];
  /** Interceptors that run after auth, in the caller's context (lesson 18: limits per caller). */
  afterAuth?: grpc.ServerInterceptor[];
}

export function startGreeterServer(options: AuthServerOptions = {}): Promise<LoggedServerHandle> {
  // Read before anything starts: a production server with the dev token must not come up at all.
  const token = options.token ?? tokenFromEnv();
  return startLoggedServer({
    ...options,
    handlers: { SayHello: sayHelloAsCaller, ...options.handlers },
    serverOptions: {
      ...options.serverOptions,
      // Last in the list: logging (earlier) still records refused calls.
      interceptors: [
        ...(options.serverOptions?.interceptors ?? []),
        authInterceptor({ token, isPublic: options.isPublic }),
        ...(options.afterAuth ?? []),
      ],
    },
  });
}
