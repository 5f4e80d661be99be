// Lesson 10's Greeter and Logger with the ids that travel: both take the
// allow-listed headers in, the Greeter passes them on to the Logger, the
// Logger keeps them with each entry, and both write the request id in their logs.
import { createLogger } from '@course/04-interceptors';
import type { MetricsServerOptions } from '@course/08-prometheus-metrics';
import { traceFields } from '@course/09-tracing';
import {
  type LoggerServerOptions,
  type LoggingGreeterOptions,
  startGreeterServer as startLoggingGreeter,
  startLoggerServer as startPlainLogger,
} from '@course/10-two-services';
import { forwardedHeaders, forwardingInterceptor, propagationInterceptor, REQUEST_ID, requestFields, USER_ID } from './propagation.js';

/** Log lines carry the trace ids (lesson 09) and the request id. */
export const logFields = () => ({ ...traceFields(), ...requestFields() });

/** The options of either server with the propagation interceptor in its chain, and ids in its log lines. */
function propagating<T extends MetricsServerOptions>(options: T): T {
  return {
    ...options,
    logger: options.logger ?? createLogger({ mixin: logFields }),
    // Ahead of auth (lesson 05 always puts auth last): a refused call gets its request id too.
    serverOptions: { ...options.serverOptions, interceptors: [propagationInterceptor(), ...(options.serverOptions?.interceptors ?? [])] },
  };
}

export function startGreeterServer(options: LoggingGreeterOptions) {
  return startLoggingGreeter(
    propagating({ ...options, loggerInterceptors: [...(options.loggerInterceptors ?? []), forwardingInterceptor()] }),
  );
}

export function startLoggerServer(options: LoggerServerOptions = {}) {
  return startPlainLogger(
    propagating({
      ...options,
      annotate: () => {
        const headers = forwardedHeaders();
        return { userId: headers?.[USER_ID] ?? '', requestId: headers?.[REQUEST_ID] ?? '', ...options.annotate?.() };
      },
    }),
  );
}
