// The Greeter of the lessons before, its Log call now behind a circuit
// breaker whose state is served with the Greeter's other series.
import { processRegistry } from '@course/08-prometheus-metrics';
// The one import of the step before: what this lesson wraps.
import { type BackendHandle, type BackendOptions, startBackend as startPreviousGreeter } from '@course/12-load-balancing';
import { DEFAULT_BREAKER, type LogBreaker, type LogBreakerOptions, logBreaker } from './breaker.js';

export interface BreakerGreeterOptions extends Omit<BackendOptions, 'id'> {
  /** What it answers in `x-backend` (lesson 12). Default `b1`. */
  id?: string;
  breaker?: Omit<LogBreakerOptions, 'registry' | 'logger'>;
}

export interface BreakerGreeterHandle extends BackendHandle {
  breaker: LogBreaker;
}

export async function startGreeterServer({ breaker: settings, ...options }: BreakerGreeterOptions): Promise<BreakerGreeterHandle> {
  // Made here, not by the server, so the breaker's series join the Greeter's on one /metrics.
  const registry = options.registry ?? processRegistry();
  let breaker: LogBreaker | undefined;
  const resetTimeout = settings?.resetTimeout ?? DEFAULT_BREAKER.resetTimeout;
  const handle = await startPreviousGreeter({
    id: 'b1',
    ...options,
    registry,
    // grpc-js backs off up to 120 s between reconnects: a probe after a long
    // outage would find the channel still waiting. Never wait longer than the breaker.
    loggerChannelOptions: {
      'grpc.initial_reconnect_backoff_ms': Math.min(1_000, resetTimeout),
      'grpc.max_reconnect_backoff_ms': resetTimeout,
      ...options.loggerChannelOptions,
    },
    wrapLog(log, logger) {
      const wrapped = logBreaker(log, { ...settings, registry, logger });
      breaker = wrapped.breaker;
      return wrapped.call;
    },
  });
  const made = breaker as LogBreaker;
  return {
    ...handle,
    breaker: made,
    async stop() {
      await handle.stop();
      // Its timers (the rolling window, a pending half-open) end with it.
      made.shutdown();
    },
  };
}
