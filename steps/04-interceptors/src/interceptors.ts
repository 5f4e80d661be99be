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
 * How near its deadline a cancelled call must be for the deadline to be the
 * reason: the client's timer fires when the server's does, and its cancel
 * may arrive a moment before the server's deadline.
 */
export const DEADLINE_MARGIN_MS = 100;

/**
 * Why a call ended with no status from its handler. grpc-js ends a call
 * whose deadline passed below the interceptors, so they see only a cancel:
 * the deadline tells DEADLINE_EXCEEDED from a client that cancelled or went
 * away (CANCELLED).
 */
export function cancelledCode(call: grpc.ServerInterceptingCallInterface): grpc.status {
  const deadline = call.getDeadline();
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  return Date.now() >= at - DEADLINE_MARGIN_MS ? grpc.status.DEADLINE_EXCEEDED : grpc.status.CANCELLED;
}

/**
 * The code a call really ends with when its handler sends `code`. A status
 * sent after the client's connection has gone reaches nobody (a chat whose
 * client was killed ends this way: the lost connection reads as the end of
 * its messages, and the room answers OK): that call was cancelled.
 */
export function deliveredCode(call: grpc.ServerInterceptingCallInterface, code: grpc.status): grpc.status {
  // getPeer() says "unknown" once the connection is gone; getConnectionInfo() keeps what it was.
  const gone = call.getConnectionInfo().remoteAddress !== undefined && call.getPeer() === 'unknown';
  return gone ? cancelledCode(call) : code;
}

/** "host:port" of the call's client, as getPeer() says it, from what grpc-js kept after the connection went. */
function peerOf(call: grpc.ServerInterceptingCallInterface): string {
  const { remoteAddress, remotePort } = call.getConnectionInfo();
  if (remoteAddress === undefined) return 'unknown';
  return remotePort === undefined ? remoteAddress : `${remoteAddress}:${remotePort}`;
}

function logServed(logger: Logger, path: string, call: grpc.ServerInterceptingCallInterface, started: number, code: grpc.status) {
  const level = levelFor(code);
  // The record, and the peer's string, only for a line that will be written.
  if (!logger.isLevelEnabled(level)) return;
  logger[level]({ method: path, code: grpc.status[code], duration_ms: elapsedMs(started), peer: peerOf(call) }, 'served');
}

/**
 * One log line per server call: method, status code, duration and peer,
 * written when the status goes out, or when the call ends without one.
 */
export function serverLoggingInterceptor(logger: Logger): grpc.ServerInterceptor {
  return (method, call) => {
    // Nothing this interceptor writes is on: the call passes through untouched.
    if (!logger.isLevelEnabled('error')) return new grpc.ServerInterceptingCall(call);
    const started = performance.now();
    let logged = false;
    // Object literals, not grpc-js's builders: a call then costs two objects and three closures here.
    return new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          // grpc-js calls onCancel when any call ends, after its status if it had one.
          onCancel() {
            if (logged) return;
            logged = true;
            logServed(logger, method.path, call, started, cancelledCode(call));
          },
        });
      },
      sendStatus(status, next) {
        if (!logged) {
          logged = true;
          logServed(logger, method.path, call, started, deliveredCode(call, status.code));
        }
        next(status);
      },
    });
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
