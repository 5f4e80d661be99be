// Interceptors run on every call, so each one here does its work only at the
// edges of a call (start and status) and builds log fields only when the
// level that would print them is on.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from './logger.js';

/** The level a finished call is logged at: failures the server owns are errors. */
export function levelFor(code: grpc.status): 'info' | 'warn' | 'error' {
  switch (code) {
    case grpc.status.OK:
      return 'info';
    case grpc.status.INTERNAL:
    case grpc.status.UNKNOWN:
    case grpc.status.DATA_LOSS:
    case grpc.status.UNIMPLEMENTED:
      return 'error';
    default:
      return 'warn';
  }
}

function elapsedMs(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}

/**
 * One log line per server call: method, status code, duration and peer,
 * written when the status goes out, or when the client cancels first.
 */
export function serverLoggingInterceptor(logger: Logger): grpc.ServerInterceptor {
  return (method, call) => {
    const started = performance.now();
    let logged = false;
    const log = (code: grpc.status) => {
      if (logged) return;
      logged = true;
      const level = levelFor(code);
      if (!logger.isLevelEnabled(level)) return;
      logger[level]({ method: method.path, code: grpc.status[code], duration_ms: elapsedMs(started), peer: call.getPeer() }, 'served');
    };
    const listener = new grpc.ServerListenerBuilder().withOnCancel(() => log(grpc.status.CANCELLED)).build();
    const responder = new grpc.ResponderBuilder()
      .withStart((next) => next(listener))
      .withSendStatus((status, next) => {
        log(status.code);
        next(status);
      })
      .build();
    return new grpc.ServerInterceptingCall(call, responder);
  };
}

/** The client's view of the same call: method, status code, duration and target. */
export function clientLoggingInterceptor(logger: Logger): grpc.Interceptor {
  return (options, nextCall) => {
    const started = performance.now();
    return new grpc.InterceptingCall(nextCall(options), {
      start(metadata, _listener, next) {
        next(metadata, {
          onReceiveStatus(status, nextStatus) {
            const level = levelFor(status.code);
            if (logger.isLevelEnabled(level)) {
              logger[level](
                { method: options.method_definition.path, code: grpc.status[status.code], duration_ms: elapsedMs(started) },
                'called',
              );
            }
            nextStatus(status);
          },
        });
      },
    });
  };
}

/**
 * Gives every unary call a deadline when its caller set none: such a call
 * could otherwise wait forever. Streams are left alone: a chat may rightly
 * last as long as the person stays.
 */
export function defaultDeadlineInterceptor(ms: number): grpc.Interceptor {
  return (options, nextCall) => {
    const { requestStream, responseStream } = options.method_definition;
    const unset = options.deadline === undefined || options.deadline === Number.POSITIVE_INFINITY;
    return new grpc.InterceptingCall(
      nextCall(unset && !requestStream && !responseStream ? { ...options, deadline: Date.now() + ms } : options),
    );
  };
}
