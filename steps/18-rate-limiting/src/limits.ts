// Two limits in one server interceptor, after auth so it knows the caller:
// a bucket of calls per caller and method (rate-limiter-flexible), refused
// with RESOURCE_EXHAUSTED and a RetryInfo, and a cap on calls in flight for
// the whole server, past which new calls are shed at once, not queued.
import { type Caller, currentCaller } from '@course/05-metadata-auth';
import * as grpc from '@grpc/grpc-js';
import { Counter, type Registry } from 'prom-client';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { retryInfoStatus, STATUS_DETAILS_KEY } from './status-details.js';

export interface LimitOptions {
  /** Calls each caller may make to each method per `perSeconds`. */
  points: number;
  perSeconds: number;
  /** Calls in flight across the server, all callers together, before new ones are shed. */
  maxInFlight: number;
  registry: Registry;
  /** The caller's class, a bounded label: never the raw id. Default: `user` with an x-user-id, else `anonymous`. */
  classOf?(caller: Caller | undefined): string;
  /** Methods that are never limited. Default: grpc.* (health and reflection must answer under load too). */
  isExempt?(path: string): boolean;
}

export const CALLER_CLASSES = ['user', 'anonymous'] as const;
const defaultClassOf = (caller: Caller | undefined) => (caller?.userId ? 'user' : 'anonymous');
const defaultExempt = (path: string) => path.startsWith('/grpc.');

export const SHED_MESSAGE = 'server busy: too many calls in flight';

type Kind = 'rate' | 'concurrency';
const LABELS = ['limit', 'caller_class', 'grpc_service', 'grpc_method'] as const;

export interface Limits {
  interceptor: grpc.ServerInterceptor;
  /** Calls admitted and not yet ended. */
  readonly inFlight: number;
  /** Resolves once at most `n` calls are in flight (tests and the demo await this, never a sleep). */
  untilInFlight(n: number): Promise<void>;
}

export function createLimits(options: LimitOptions): Limits {
  const { points, perSeconds, maxInFlight } = options;
  const classOf = options.classOf ?? defaultClassOf;
  const isExempt = options.isExempt ?? defaultExempt;
  // A fixed window of `points` per `perSeconds` per key: a bucket refilled whole once the window ends.
  const bucket = new RateLimiterMemory({ points, duration: perSeconds, keyPrefix: '' });
  const allowed = new Counter({
    name: 'grpc_server_limit_allowed_total',
    help: 'Calls a limit let through, by limit, caller class and method.',
    labelNames: LABELS,
    registers: [options.registry],
  });
  const refused = new Counter({
    name: 'grpc_server_limit_refused_total',
    help: 'Calls a limit refused, by limit, caller class and method.',
    labelNames: LABELS,
    registers: [options.registry],
  });
  // Bound children, per method (registered methods only), class and kind: no label object per call.
  const children = new Map<string, Map<string, Record<Kind, { allowed: Counter.Internal; refused: Counter.Internal }>>>();
  const series = (path: string, callerClass: string) => {
    let byClass = children.get(path);
    if (!byClass) {
      byClass = new Map();
      children.set(path, byClass);
    }
    let kinds = byClass.get(callerClass);
    if (!kinds) {
      const [, service = '', method = ''] = path.split('/');
      const bind = (limit: Kind) => {
        const labels = { limit, caller_class: callerClass, grpc_service: service, grpc_method: method };
        return { allowed: allowed.labels(labels), refused: refused.labels(labels) };
      };
      kinds = { rate: bind('rate'), concurrency: bind('concurrency') };
      byClass.set(callerClass, kinds);
    }
    return kinds;
  };
  const exempt = new Map<string, boolean>();
  let inFlight = 0;
  let waiters: { n: number; resolve(): void }[] = [];

  const interceptor: grpc.ServerInterceptor = (method, call) => {
    let skip = exempt.get(method.path);
    if (skip === undefined) {
      skip = isExempt(method.path);
      exempt.set(method.path, skip);
    }
    if (skip) return new grpc.ServerInterceptingCall(call);
    let admitted = false;
    let ended = false;
    // Exactly once per admitted call, however it ends: a status sent (OK or an error) or a cancel (deadlines too).
    const release = () => {
      if (admitted && !ended) {
        inFlight--;
        if (waiters.length > 0) {
          for (const w of waiters) if (w.n >= inFlight) w.resolve();
          waiters = waiters.filter((w) => w.n < inFlight);
        }
      }
      ended = true;
    };
    const refuse = (code: grpc.status, details: string, delayMs?: number) => {
      const metadata = new grpc.Metadata();
      if (delayMs !== undefined) metadata.set(STATUS_DETAILS_KEY, retryInfoStatus(code, details, delayMs));
      call.sendStatus({ code, details, metadata });
    };
    return new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata(metadata, nextMetadata) {
            // After auth: the caller's context is entered, and unauthenticated calls never got here.
            const caller = currentCaller();
            const kinds = series(method.path, classOf(caller));
            bucket.consume(`${caller?.userId ?? ''}|${method.path}`).then(
              () => {
                kinds.rate.allowed.inc();
                if (ended) return;
                if (inFlight >= maxInFlight) {
                  kinds.concurrency.refused.inc();
                  // UNAVAILABLE, not RESOURCE_EXHAUSTED: the server is busy, not the caller over its quota; retrying (elsewhere) is right.
                  return refuse(grpc.status.UNAVAILABLE, SHED_MESSAGE);
                }
                kinds.concurrency.allowed.inc();
                admitted = true;
                inFlight++;
                nextMetadata(metadata);
              },
              (res: unknown) => {
                if (!(res instanceof RateLimiterRes)) throw res;
                kinds.rate.refused.inc();
                if (!ended) refuse(grpc.status.RESOURCE_EXHAUSTED, `rate limit: ${points} calls per ${perSeconds}s`, res.msBeforeNext);
              },
            );
          },
          onCancel() {
            release();
          },
        }),
      sendStatus(status, next) {
        release();
        next(status);
      },
    });
  };
  return {
    interceptor,
    get inFlight() {
      return inFlight;
    },
    untilInFlight(n) {
      if (inFlight <= n) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
  };
}
