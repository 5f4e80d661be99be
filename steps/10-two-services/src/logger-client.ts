// A client of the Logger over TLS with the Logger's own token, counted in
// grpc_client_* series like the Greeter's own callers are.
import { DEFAULT_DEADLINE_MS, deadlineIn } from '@course/01-unary';
import { type ChannelTlsOptions, channelCredentials } from '@course/06-tls';
import { clientMetricsInterceptor, type GrpcMetrics } from '@course/08-prometheus-metrics';
import type { LoggerServiceClient } from '@course/proto/gen/logger/v1/LoggerService';
import type { StoredEntry__Output } from '@course/proto/gen/logger/v1/StoredEntry';
import type * as grpc from '@grpc/grpc-js';
import { loggerV1 } from './proto.js';

export interface LoggerClientOptions extends ChannelTlsOptions {
  metrics?: GrpcMetrics;
  /** After the metrics interceptor (lesson 11: the ids that travel with each call). */
  interceptors?: grpc.Interceptor[];
  /** Lesson 14: a reconnect backoff that keeps up with its circuit breaker. */
  channelOptions?: grpc.ChannelOptions;
}

/** One client is one channel: make it once and share it, and its connection is reused by every call. */
export function createLoggerClient(
  target: string,
  { metrics, interceptors = [], channelOptions, ...tls }: LoggerClientOptions,
): LoggerServiceClient {
  return new loggerV1.LoggerService(target, channelCredentials(tls), {
    ...channelOptions,
    interceptors: [...(metrics ? [clientMetricsInterceptor(metrics)] : []), ...interceptors],
  });
}

/** ListEntries as a promise: the newest entries the Logger keeps, oldest first. */
export function listEntries(client: LoggerServiceClient, limit = 20): Promise<StoredEntry__Output[]> {
  return new Promise((resolve, reject) => {
    client.ListEntries({ limit }, { deadline: deadlineIn(DEFAULT_DEADLINE_MS) }, (err, res) =>
      err || !res ? reject(err) : resolve(res.entries),
    );
  });
}
