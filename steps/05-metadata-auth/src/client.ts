// A Greeter client that sends the bearer token (and, optionally, a user id) on every call.
import { createGreeterClient as createLoggedClient, type LoggedClientOptions } from '@course/04-interceptors';
import type { GreeterClient } from '@course/proto/gen/greeter/v1/Greeter';
import { bearerTokenInterceptor } from './auth.js';

export interface AuthClientOptions extends LoggedClientOptions {
  token: string;
  userId?: string;
}

export function createGreeterClient(target: string, { token, userId, ...options }: AuthClientOptions): GreeterClient {
  const interceptors = [...(options.channelOptions?.interceptors ?? []), bearerTokenInterceptor(token, userId)];
  return createLoggedClient(target, { ...options, channelOptions: { ...options.channelOptions, interceptors } });
}
