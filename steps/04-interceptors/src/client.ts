// A Greeter client with the client-side interceptors: logging and a default deadline.
import { type ClientOptions, createGreeterClient as createPlainClient, DEFAULT_DEADLINE_MS } from '@course/01-unary';
import type { GreeterClient } from '@course/proto/gen/greeter/v1/Greeter';
import { clientLoggingInterceptor, defaultDeadlineInterceptor } from './interceptors.js';
import type { Logger } from './logger.js';

export interface LoggedClientOptions extends ClientOptions {
  logger?: Logger;
}

export function createGreeterClient(target: string, options: LoggedClientOptions = {}): GreeterClient {
  const interceptors = [
    ...(options.logger ? [clientLoggingInterceptor(options.logger)] : []),
    defaultDeadlineInterceptor(DEFAULT_DEADLINE_MS),
    ...(options.channelOptions?.interceptors ?? []),
  ];
  return createPlainClient(target, { ...options, channelOptions: { ...options.channelOptions, interceptors } });
}
