// A Greeter client over TLS: it trusts our CA, presents a client certificate
// for mTLS, and sends the token as call credentials.
import { createGreeterClient as createLoggedClient, type LoggedClientOptions } from '@course/04-interceptors';
import { metadataInterceptor } from '@course/05-metadata-auth';
import type { GreeterClient } from '@course/proto/gen/greeter/v1/Greeter';
import { type ChannelTlsOptions, channelCredentials } from './credentials.js';

export interface TlsClientOptions extends LoggedClientOptions, ChannelTlsOptions {
  userId?: string;
}

export function createGreeterClient(target: string, { ca, client, token, userId, ...options }: TlsClientOptions): GreeterClient {
  const interceptors = [...(options.channelOptions?.interceptors ?? []), ...(userId ? [metadataInterceptor({ 'x-user-id': userId })] : [])];
  return createLoggedClient(target, {
    ...options,
    credentials: channelCredentials({ ca, client, token }),
    channelOptions: { ...options.channelOptions, interceptors },
  });
}
