// Token auth as a server interceptor: every call must carry
// `authorization: Bearer <token>`, checked before any handler runs; the
// caller's `x-user-id` then rides with the call in AsyncLocalStorage.
import { AsyncLocalStorage } from 'node:async_hooks';
import { hash, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '@course/kit';
import * as grpc from '@grpc/grpc-js';

/** The development token: accepted only outside production. */
export const DEV_TOKEN = 'dev-token';

/** What the client is told when auth fails: never which part was wrong, never the token. */
export const UNAUTHENTICATED_MESSAGE = 'missing or invalid bearer token';

// A setting that stops the server from starting: the kit's runner prints it as one line, exit 2.
export { ConfigError };

/**
 * The accepted token: AUTH_TOKEN, or the dev token outside production. A
 * service with a token of its own (lesson 10's Logger) names its variable and dev token.
 */
export function tokenFromEnv(env: NodeJS.ProcessEnv = process.env, { variable = 'AUTH_TOKEN', devToken = DEV_TOKEN } = {}): string {
  const token = env[variable] || devToken;
  if (env.NODE_ENV === 'production' && token === devToken) {
    throw new ConfigError(`${variable} must be set to a secret of your own when NODE_ENV=production`);
  }
  return token;
}

/** Who is calling, as the handler sees it. */
export interface Caller {
  /** From `x-user-id`, asserted by the authenticated client (e.g. a gateway); undefined if absent. */
  userId: string | undefined;
}

const callers = new AsyncLocalStorage<Caller>();

/** The caller of the call being handled; undefined outside a call. */
export function currentCaller(): Caller | undefined {
  return callers.getStore();
}

const USER_ID = /^[\w.@-]{1,64}$/;

// Hash both sides to 32 bytes: timingSafeEqual needs equal lengths, and
// comparing digests leaks neither the token's content nor its length.
// crypto.hash is one-shot: no Hash object per call.
const digest = (value: string) => hash('sha256', value, 'buffer');

/** The caller of every call without x-user-id: one object, not one per call. */
const ANONYMOUS: Caller = Object.freeze({ userId: undefined });

export interface AuthOptions {
  token: string;
  /** Methods callable without a token (lesson 07: health and reflection). */
  isPublic?(path: string): boolean;
}

export function authInterceptor({ token, isPublic = () => false }: AuthOptions): grpc.ServerInterceptor {
  const expected = digest(`Bearer ${token}`);
  // Only registered methods reach an interceptor, so this cache is bounded by the API.
  const publicPaths = new Map<string, boolean>();
  return (method, call) => {
    let open = publicPaths.get(method.path);
    if (open === undefined) {
      open = isPublic(method.path);
      publicPaths.set(method.path, open);
    }
    if (open) return new grpc.ServerInterceptingCall(call);
    let caller: Caller = ANONYMOUS;
    let authenticated = false;
    // The caller's context is entered where someone reads it: the metadata
    // callback (later interceptors, e.g. authorization, and the handler of a
    // request stream start there), the half-close one (grpc-js calls a unary
    // or server-streaming handler from it), and, only for request streams,
    // the message one (the handler's 'data' listeners run in it).
    const streaming = method.requestStream;
    const listener: grpc.ServerListener = {
      onReceiveMetadata(metadata, next) {
        const [authorization] = metadata.get('authorization');
        if (typeof authorization !== 'string' || !timingSafeEqual(digest(authorization), expected)) {
          call.sendStatus({ code: grpc.status.UNAUTHENTICATED, details: UNAUTHENTICATED_MESSAGE });
          return;
        }
        const [userId] = metadata.get('x-user-id');
        if (userId !== undefined && (typeof userId !== 'string' || !USER_ID.test(userId))) {
          call.sendStatus({ code: grpc.status.INVALID_ARGUMENT, details: 'x-user-id must be 1 to 64 letters, digits or ._@-' });
          return;
        }
        // The token has done its job: handlers and later interceptors never see it.
        metadata.remove('authorization');
        if (userId !== undefined) caller = { userId };
        authenticated = true;
        callers.run(caller, next, metadata);
      },
      onReceiveMessage(message, next) {
        if (!authenticated) return;
        if (streaming) callers.run(caller, next, message);
        else next(message);
      },
      onReceiveHalfClose(next) {
        if (authenticated) callers.run(caller, next);
      },
    };
    return new grpc.ServerInterceptingCall(call, { start: (next) => next(listener) });
  };
}

/** The client side: sets these headers on every call (undefined values are left out). */
export function metadataInterceptor(headers: Record<string, string | undefined>): grpc.Interceptor {
  const entries = Object.entries(headers).filter((e): e is [string, string] => e[1] !== undefined);
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        for (const [key, value] of entries) metadata.set(key, value);
        next(metadata, listener);
      },
    });
}

/** Attaches the token (and a user id, if given) to every call. */
export function bearerTokenInterceptor(token: string, userId?: string): grpc.Interceptor {
  return metadataInterceptor({ authorization: `Bearer ${token}`, 'x-user-id': userId });
}
