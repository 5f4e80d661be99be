// A Greeter client that also counts its calls in grpc_client_* series.
import { createGreeterClient as createTlsClient, type TlsClientOptions } from '@course/06-tls';
import type { GreeterClient } from '@course/proto/gen/greeter/v1/Greeter';
import { clientMetricsInterceptor, type GrpcMetrics } from './metrics.js';

export interface MetricsClientOptions extends TlsClientOptions {
  metrics?: GrpcMetrics;
}

export function createGreeterClient(target: string, { metrics, ...options }: MetricsClientOptions): GreeterClient {
  // First in the list: the outermost interceptor sees the call as the caller does.
  const interceptors = [...(metrics ? [clientMetricsInterceptor(metrics)] : []), ...(options.channelOptions?.interceptors ?? [])];
  return createTlsClient(target, { ...options, channelOptions: { ...options.channelOptions, interceptors } });
}
