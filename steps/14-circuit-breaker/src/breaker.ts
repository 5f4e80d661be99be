// An opossum circuit breaker around the Greeter's Log call: outages (not
// refusals) count as failures, an open breaker answers from a fallback with
// no network call, and its state and transitions are Prometheus series.
import type { Logger } from '@course/04-interceptors';
import type { LogCall } from '@course/10-two-services';
import type { LogEntry } from '@course/proto/gen/logger/v1/LogEntry';
import * as grpc from '@grpc/grpc-js';
import CircuitBreaker from 'opossum';
import { Counter, Gauge, type Registry } from 'prom-client';

/** What the state gauge holds for each state, in the order a breaker recovers: open, half-open, closed. */
export const STATE_VALUES = { closed: 0, half_open: 1, open: 2 } as const;
export type BreakerState = keyof typeof STATE_VALUES;

/**
 * The codes that say the Logger is down, slow or overloaded. The others say
 * something about this call (INVALID_ARGUMENT), our own set-up
 * (UNAUTHENTICATED) or our caller (CANCELLED): a healthy Logger gives them
 * too, and opening the breaker would not help.
 */
export const OUTAGE_CODES: ReadonlySet<grpc.status> = new Set([
  grpc.status.UNAVAILABLE,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.RESOURCE_EXHAUSTED,
  grpc.status.INTERNAL,
]);

export function isOutage(err: unknown): boolean {
  return OUTAGE_CODES.has((err as Partial<grpc.ServiceError>)?.code as grpc.status);
}

export interface BreakerSettings {
  /** Open when more than this share of the calls in the window failed (percent). */
  errorThresholdPercentage: number;
  /** ...and the window holds at least this many calls: two failures out of two is not yet a trend. */
  volumeThreshold: number;
  /** The window the share is measured over, ms. */
  rollingCountTimeout: number;
  /** How long it stays open before one probe call is let through, ms. */
  resetTimeout: number;
}

export const DEFAULT_BREAKER: BreakerSettings = {
  errorThresholdPercentage: 50,
  volumeThreshold: 5,
  rollingCountTimeout: 10_000,
  resetTimeout: 5_000,
};

export type LogBreaker = CircuitBreaker<[LogEntry, grpc.CallOptions], void>;

/** The breaker's series, made once per registry and shared by every breaker in it (one label value each). */
function breakerSeries(registry: Registry) {
  const existing = registry.getSingleMetric('grpc_breaker_state') as Gauge<'breaker'> | undefined;
  return {
    state:
      existing ??
      new Gauge({
        name: 'grpc_breaker_state',
        help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open.',
        labelNames: ['breaker'],
        registers: [registry],
      }),
    transitions:
      (registry.getSingleMetric('grpc_breaker_transitions_total') as Counter<'breaker' | 'to'> | undefined) ??
      new Counter({
        name: 'grpc_breaker_transitions_total',
        help: 'Circuit breaker state changes, by the state changed to.',
        labelNames: ['breaker', 'to'],
        registers: [registry],
      }),
  };
}

export interface LogBreakerOptions extends Partial<BreakerSettings> {
  registry: Registry;
  logger: Logger;
  /** The `breaker` label and the breaker's name in log lines. Default `logger`. */
  name?: string;
}

/**
 * A breaker around `log`, and the LogCall that goes through it. No opossum
 * timeout: each Log call already has a deadline (lesson 10), which ends the
 * call at the Logger too and fails it with DEADLINE_EXCEEDED, counted above;
 * opossum's timer would only stop waiting while the call went on.
 */
export function logBreaker(log: LogCall, { registry, logger, name = 'logger', ...settings }: LogBreakerOptions) {
  const send = (entry: LogEntry, options: grpc.CallOptions) =>
    new Promise<void>((resolve, reject) => log(entry, options, (err) => (err ? reject(err) : resolve())));
  const breaker: LogBreaker = new CircuitBreaker(send, {
    ...DEFAULT_BREAKER,
    ...settings,
    name,
    timeout: false,
    // true means "not a failure": the call still fails, but the breaker does not count it.
    errorFilter: (err: unknown) => !isOutage(err),
    // Nothing here listens for opossum's periodic snapshots: one timer fewer.
    enableSnapshots: false,
  });
  // The fallback keeps the entry in the Greeter's own log, so a greeting the Logger missed is not lost.
  breaker.fallback((entry: LogEntry, _options: grpc.CallOptions, err: Error & { code?: unknown }) => {
    if (!logger.isLevelEnabled('warn')) return;
    if (err.code === 'EOPENBREAKER') logger.warn({ breaker: name, entry }, 'breaker open: greeting logged here, not sent to the Logger');
    else logger.warn({ breaker: name, code: grpc.status[err.code as grpc.status], entry }, 'greeting not logged: logged here instead');
  });

  const { state, transitions } = breakerSeries(registry);
  state.set({ breaker: name }, STATE_VALUES.closed);
  for (const to of Object.keys(STATE_VALUES)) transitions.inc({ breaker: name, to }, 0);
  const record = (to: BreakerState) => () => {
    state.set({ breaker: name }, STATE_VALUES[to]);
    transitions.inc({ breaker: name, to });
  };
  breaker.on('open', record('open'));
  breaker.on('halfOpen', record('half_open'));
  breaker.on('close', record('closed'));

  const call: LogCall = (entry, options, callback) => {
    breaker.fire(entry, options).then(
      () => callback(null),
      (err: grpc.ServiceError) => callback(err),
    );
  };
  return { breaker, call };
}

/** The state a breaker is in now, by the names the metric uses. */
export function stateOf(breaker: CircuitBreaker): BreakerState {
  return breaker.opened ? 'open' : breaker.halfOpen ? 'half_open' : 'closed';
}
