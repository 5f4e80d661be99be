// Lesson 09's Greeter, now a client as well: each greeting is logged to the
// Logger over one channel made once, within part of the caller's deadline, and
// a Logger that is slow, failing or gone costs a warning line, not the greeting.
import { serviceDefinition } from '@course/01-unary';
import { createLogger, type Logger } from '@course/04-interceptors';
import { sayHelloAsCaller } from '@course/05-metadata-auth';
import { courseCertificates } from '@course/06-tls';
import { GrpcMetrics, type MetricsServerHandle, type MetricsServerOptions, processRegistry } from '@course/08-prometheus-metrics';
import { startGreeterServer as startTracedServer, traceFields } from '@course/09-tracing';
import type { GreeterHandlers } from '@course/proto/gen/greeter/v1/Greeter';
import type { LogEntry } from '@course/proto/gen/logger/v1/LogEntry';
import type { LoggerServiceClient } from '@course/proto/gen/logger/v1/LoggerService';
import * as grpc from '@grpc/grpc-js';
import { createLoggerClient } from './logger-client.js';
import { loggerTokenFromEnv, msLeft } from './logger-service.js';
import { LOGGER } from './proto.js';

/** The most a Log call may take, however long the caller gives us. */
export const DEFAULT_LOG_BUDGET_MS = 500;

/**
 * When the Log call must end: half of what the caller has left, at most
 * budgetMs. The other half is the Greeter's own, to answer in even when the
 * Logger uses all of its share.
 */
export function logDeadline(call: { getDeadline(): grpc.Deadline }, budgetMs: number, now = Date.now()): number {
  return now + Math.min(budgetMs, msLeft(call.getDeadline(), now) / 2);
}

/** The Log call SayHello makes, as a function a later lesson can wrap (14: a circuit breaker). */
export type LogCall = (entry: LogEntry, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null) => void) => void;

/** A greeting (lesson 05's by default), answered once it is logged, or once logging it has failed. */
export function sayHelloAndLog(
  log: LogCall,
  logger: Logger,
  budgetMs: number,
  greet: GreeterHandlers['SayHello'] = sayHelloAsCaller,
): GreeterHandlers['SayHello'] {
  return (call, callback) =>
    greet(call, (err, reply) => {
      if (err || !reply) return callback(err, reply);
      const options: grpc.CallOptions = {
        deadline: logDeadline(call, budgetMs),
        // The caller cancels, the Log call is cancelled with it. The deadline
        // is ours (above): the parent's would leave us no time to answer.
        parent: call,
        propagate_flags: grpc.propagate.CANCELLATION,
      };
      log({ method: call.getPath(), text: reply.message }, options, (logErr) => {
        if (logErr && logger.isLevelEnabled('warn')) {
          logger.warn({ code: grpc.status[logErr.code], details: logErr.details }, 'greeting not logged; answered anyway');
        }
        callback(null, reply);
      });
    });
}

export interface LoggingGreeterOptions extends MetricsServerOptions {
  /** The Logger, by the name on its certificate: `localhost:PORT`. */
  loggerTarget: string;
  /** Default: LOGGER_TOKEN. The Greeter's own callers' token is never passed on. */
  loggerToken?: string;
  /** Client interceptors for the channel to the Logger (lesson 11: the ids that travel). */
  loggerInterceptors?: grpc.Interceptor[];
  /** Options for the channel to the Logger (lesson 14: its reconnect backoff). */
  loggerChannelOptions?: grpc.ChannelOptions;
  /** Default DEFAULT_LOG_BUDGET_MS. */
  logBudgetMs?: number;
  /** Wraps each greeting's Log call (lesson 14: a circuit breaker); default the client's own Log. */
  wrapLog?(log: LogCall, logger: Logger): LogCall;
  /** The greeting that is logged (lesson 17: v1 answered by v2's logic); default lesson 05's. */
  greet?: GreeterHandlers['SayHello'];
}

export interface LoggingGreeterHandle extends MetricsServerHandle {
  loggerClient: LoggerServiceClient;
}

export async function startGreeterServer(options: LoggingGreeterOptions): Promise<LoggingGreeterHandle> {
  const certs = options.certs ?? (await courseCertificates());
  const registry = options.registry ?? processRegistry();
  const logger = options.logger ?? createLogger({ mixin: traceFields });
  // The Greeter's calls to the Logger are counted beside the calls it serves.
  const clientMetrics = new GrpcMetrics(registry, 'client');
  clientMetrics.initialize(serviceDefinition(LOGGER));
  // One client, one channel, made before the first call: every greeting reuses its connection.
  const loggerClient = createLoggerClient(options.loggerTarget, {
    ca: certs.ca,
    ...(options.mtls ? { client: certs.client } : {}),
    token: options.loggerToken ?? loggerTokenFromEnv(),
    metrics: clientMetrics,
    interceptors: options.loggerInterceptors,
    channelOptions: options.loggerChannelOptions,
  });
  const log: LogCall = (entry, callOptions, callback) => loggerClient.Log(entry, callOptions, callback);
  let handle: MetricsServerHandle;
  try {
    handle = await startTracedServer({
      ...options,
      certs,
      registry,
      logger,
      handlers: {
        SayHello: sayHelloAndLog(
          options.wrapLog?.(log, logger) ?? log,
          logger,
          options.logBudgetMs ?? DEFAULT_LOG_BUDGET_MS,
          options.greet,
        ),
        ...options.handlers,
      },
    });
  } catch (err) {
    loggerClient.close();
    throw err;
  }
  return {
    ...handle,
    loggerClient,
    async stop() {
      // Drained first: the calls still in flight may still log.
      await handle.stop();
      loggerClient.close();
    },
  };
}
