// Recovery: a handler that throws (or whose promise rejects) ends its call
// with INTERNAL and a generic message. The error and its stack go to the
// server's log, never to the client.
import type { EventEmitter } from 'node:events';
import { statusError } from '@course/01-unary';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from './logger.js';

/** What the client is told when a handler fails: nothing about why. */
export const INTERNAL_MESSAGE = 'internal error';

// Every kind of server call is an EventEmitter; only the streaming kinds end with 'error'.
type AnyHandler = (call: EventEmitter, callback?: grpc.sendUnaryData<unknown>) => unknown;

/**
 * grpc-js answers a synchronous throw with UNKNOWN and lets a rejected
 * promise go unhandled (which ends the process). A server interceptor sees
 * neither, so recovery wraps the handlers themselves.
 */
export function recoverHandlers<T extends grpc.UntypedServiceImplementation>(service: string, handlers: T, logger: Logger): T {
  const wrapped: grpc.UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(handlers)) {
    if (typeof handler !== 'function') continue;
    const method = `/${service}/${name}`;
    const original = handler as unknown as AnyHandler;
    const recovering: AnyHandler = (call, callback) => {
      const fail = (err: unknown) => {
        logger.error({ method, err }, 'handler failed');
        const status = statusError(grpc.status.INTERNAL, INTERNAL_MESSAGE);
        // Unary and client-streaming handlers answer through a callback; the
        // streaming ones end their call with an 'error' event.
        if (callback) callback(status as grpc.ServiceError);
        else call.emit('error', status);
      };
      try {
        const result = original(call, callback);
        if (result instanceof Promise) result.catch(fail);
      } catch (err) {
        fail(err);
      }
    };
    wrapped[name] = recovering as unknown as grpc.UntypedHandleCall;
  }
  return wrapped as T;
}
