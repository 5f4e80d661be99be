// Metadata that travels, and only what should: a server interceptor keeps the
// allow-listed headers of each incoming call in AsyncLocalStorage (making up
// a request id when there is none, and answering with it in the response
// headers, or the trailers), and a client interceptor puts them on each call made meanwhile.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';

export const USER_ID = 'x-user-id';
export const REQUEST_ID = 'x-request-id';

/**
 * The headers passed downstream, and no others. Never `authorization`: a
 * service calls the next one with its own credentials, and a caller's token
 * must not become valid further in.
 */
export const FORWARDED_HEADERS = [USER_ID, REQUEST_ID] as const;
export type ForwardedHeader = (typeof FORWARDED_HEADERS)[number];
export type Forwarded = Partial<Record<ForwardedHeader, string>> & { [REQUEST_ID]: string };

/** A request id the caller chose is kept if it looks like one; anything else is replaced. */
const REQUEST_ID_SHAPE = /^[\w.:-]{1,128}$/;

const forwarded = new AsyncLocalStorage<Forwarded>();

/** The forwarded headers of the call being handled; undefined outside a call. */
export function forwardedHeaders(): Forwarded | undefined {
  return forwarded.getStore();
}

/** For log lines (pino's mixin): the request id of the call being handled. */
export function requestFields(): { request_id?: string } {
  const headers = forwarded.getStore();
  return headers ? { request_id: headers[REQUEST_ID] } : {};
}

/** The allow-listed headers of a call: one small object per call, read once. */
function pick(metadata: grpc.Metadata): Forwarded {
  const headers: Partial<Record<ForwardedHeader, string>> = {};
  for (const key of FORWARDED_HEADERS) {
    const [value] = metadata.get(key);
    if (typeof value === 'string') headers[key] = value;
  }
  const id = headers[REQUEST_ID];
  if (id === undefined || !REQUEST_ID_SHAPE.test(id)) headers[REQUEST_ID] = randomUUID();
  return headers as Forwarded;
}

/** The status a server interceptor sends (grpc-js does not export its name, PartialStatusObject). */
type SentStatus = Parameters<grpc.ServerInterceptingCallInterface['sendStatus']>[0];

/**
 * A status's trailers with `key: value` added, for a status that goes out
 * alone ("trailers-only": no response headers before it). A copy: the
 * handler's metadata may be shared between calls.
 */
export function withTrailer(status: SentStatus, key: string, value: string): SentStatus {
  const metadata = status.metadata?.clone() ?? new grpc.Metadata();
  metadata.set(key, value);
  return { ...status, metadata };
}

/**
 * The server side. Placed before auth, so that a refused call also answers
 * with its request id. The id goes in the response headers; a call that
 * fails before it sends any is answered "trailers-only" by grpc-js, the
 * status alone, and then the id goes in its trailers. Sending headers
 * first instead would commit the call: a client's retry policy retries
 * nothing after response headers.
 */
export function propagationInterceptor(): grpc.ServerInterceptor {
  return (_method, call) => {
    let headers: Forwarded | undefined;
    let headersSent = false;
    const withId = (metadata: grpc.Metadata) => {
      headersSent = true;
      if (headers) metadata.set(REQUEST_ID, headers[REQUEST_ID]);
      return metadata;
    };
    return new grpc.ServerInterceptingCall(call, {
      start(next) {
        // The handler runs inside these callbacks: run each in the call's store.
        next({
          onReceiveMetadata(metadata, nextMetadata) {
            headers = pick(metadata);
            forwarded.run(headers, nextMetadata, metadata);
          },
          onReceiveMessage(message, nextMessage) {
            if (headers) forwarded.run(headers, nextMessage, message);
            else nextMessage(message);
          },
          onReceiveHalfClose(nextHalfClose) {
            if (headers) forwarded.run(headers, nextHalfClose);
            else nextHalfClose();
          },
        });
      },
      sendMetadata(metadata, next) {
        next(withId(metadata));
      },
      sendStatus(status, next) {
        next(!headersSent && headers ? withTrailer(status, REQUEST_ID, headers[REQUEST_ID]) : status);
      },
    });
  };
}

/** The client side: the forwarded headers of the call being handled go on every call made while it is. */
export function forwardingInterceptor(): grpc.Interceptor {
  return (options, nextCall) => {
    const headers = forwarded.getStore();
    if (headers === undefined) return new grpc.InterceptingCall(nextCall(options));
    return new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        for (const key of FORWARDED_HEADERS) {
          const value = headers[key];
          if (value !== undefined) metadata.set(key, value);
        }
        next(metadata, listener);
      },
    });
  };
}
