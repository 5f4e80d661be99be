// Lesson 08's server with trace ids in its log lines. The spans themselves
// need no code here: the instrumentation, loaded first, wraps every handler.
import { createLogger } from '@course/04-interceptors';
import {
  type MetricsServerHandle,
  type MetricsServerOptions,
  startGreeterServer as startMetricsServer,
} from '@course/08-prometheus-metrics';
import { traceFields } from './tracing.js';

export function startGreeterServer(options: MetricsServerOptions = {}): Promise<MetricsServerHandle> {
  return startMetricsServer({ ...options, logger: options.logger ?? createLogger({ mixin: traceFields }) });
}
