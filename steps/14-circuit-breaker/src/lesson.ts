// Lesson 14 as the step runner drives it: the Logger as a process of its own,
// made slow, stopped and restarted under a Greeter whose breaker opens, fails
// fast, probes half-open and closes, with each transition timed.
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { deadlineIn, sayHello } from '@course/01-unary';
import { createLogger } from '@course/04-interceptors';
import { tokenFromEnv } from '@course/05-metadata-auth';
import { courseCertificates } from '@course/06-tls';
import { createGreeterClient } from '@course/08-prometheus-metrics';
import { loggerMode, serveWithLogger } from '@course/10-two-services/lesson';
import { startLoggerServer } from '@course/11-metadata-propagation';
import { lesson as previousLesson } from '@course/12-load-balancing/lesson';
import { freePort, type Lesson, type ModeProcess, row, type ServerMode, startMode, UsageError } from '@course/kit';
import type { GreeterClient } from '@course/proto/gen/greeter/v1/Greeter';
import { type BreakerSettings, type BreakerState, DEFAULT_BREAKER, type LogBreaker, STATE_VALUES, stateOf } from './breaker.js';
import { startGreeterServer } from './server.js';

const STEP_DIR = fileURLToPath(new URL('..', import.meta.url));

/** The Log calls a Logger has received, by its own count (lesson 08's grpc_server_started_total). */
export async function logCallsReceived(metricsUrl: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  const line = text.split('\n').find((l) => l.startsWith('grpc_server_started_total{') && l.includes('grpc_method="Log"'));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** `--latency-ms`, or LOGGER_LATENCY_MS (which `serve` passes on to its Logger), or 0. */
function latencyFrom(value: string | boolean | undefined): number {
  const text = String(value ?? process.env.LOGGER_LATENCY_MS ?? '0');
  if (!/^\d+$/.test(text)) throw new UsageError(`--latency-ms (or LOGGER_LATENCY_MS) must be a whole number of ms, got '${text}'`);
  return Number(text);
}

const plainLoggerMode = loggerMode(startLoggerServer);

/** Lesson 11's Logger mode, and a way to make it slow: the outage a breaker is for. */
export const loggerWithLatency: ServerMode = {
  ...plainLoggerMode,
  flags: {
    ...plainLoggerMode.flags,
    'latency-ms': { type: 'string', placeholder: 'MS', description: 'answer each Log call after MS ms (default LOGGER_LATENCY_MS or 0)' },
  },
  serve(context) {
    const latencyMs = latencyFrom(context.flags['latency-ms']);
    if (latencyMs > 0) row('logger', `slow on purpose: each Log call answered after ${latencyMs} ms`);
    return loggerMode((options) => startLoggerServer({ ...options, latencyMs })).serve(context);
  },
};

/** A breaker's settings, in a line. */
export function describeSettings(s: BreakerSettings): string {
  return `opens past ${s.errorThresholdPercentage}% failed of ≥ ${s.volumeThreshold} calls in ${s.rollingCountTimeout / 1_000} s, probes after ${s.resetTimeout / 1_000} s`;
}

/** The demo's breaker: quick to open and to probe, so the whole cycle fits in a few seconds. */
const DEMO_BREAKER = { volumeThreshold: 5, errorThresholdPercentage: 50, rollingCountTimeout: 30_000, resetTimeout: 1_000 };
/** The demo's greetings' deadline: the Log call gets half (lesson 10), so a slow Logger costs 300 ms a greeting. */
const DEMO_DEADLINE_MS = 600;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

type Counts = Record<BreakerState, number> & { sent: number };

/**
 * Greetings one after another until `enough` says stop: each one's time, by
 * the breaker state it met. With `probe`, an open breaker is waited out
 * (its next half-open) rather than greeted.
 */
async function greetings(client: GreeterClient, breaker: LogBreaker, enough: (counts: Counts) => boolean, probe = false) {
  const times = new Map<BreakerState, number[]>();
  const counts: Counts = { sent: 0, closed: 0, half_open: 0, open: 0 };
  let ok = 0;
  // Bounded: a Logger that never comes back must not keep the demo probing for ever.
  while (!enough(counts) && counts.sent < 50) {
    if (probe && breaker.opened) await halfOpen(breaker);
    const state = stateOf(breaker);
    const start = performance.now();
    await sayHello(client, `guest ${++counts.sent}`, { deadline: deadlineIn(DEMO_DEADLINE_MS) }).then(
      () => ok++,
      () => undefined,
    );
    times.set(state, [...(times.get(state) ?? []), performance.now() - start]);
    counts[state]++;
  }
  const byState = [...times].map(([state, ms]) => `${state} ${ms.length} × ${median(ms).toFixed(median(ms) < 10 ? 1 : 0)} ms`);
  return `${counts.sent} greetings → ${ok} OK; ${byState.join(', ')}`;
}

/** Resolves once the breaker is half-open: now, or at its next 'halfOpen'. */
function halfOpen(breaker: LogBreaker): Promise<void> {
  return breaker.halfOpen ? Promise.resolve() : new Promise((resolve) => breaker.once('halfOpen', () => resolve()));
}

export const lesson: Lesson = {
  ...previousLesson,
  step: '14',
  title: 'Circuit breaker',
  summary: 'An opossum breaker around the Log call: a slow, then stopped Logger opens it, it fails fast, probes half-open and closes.',
  flags: {
    ...previousLesson.flags,
    // One Greeter and its Logger: lesson 12's --backends and --id are not this lesson's.
    serve: Object.fromEntries(Object.entries(previousLesson.flags?.serve ?? {}).filter(([name]) => name !== 'backends' && name !== 'id')),
  },
  async demo() {
    const certs = await courseCertificates();
    const token = tokenFromEnv();
    const [loggerPort, loggerMetricsPort] = [await freePort(), await freePort()];
    const loggerMetrics = `http://127.0.0.1:${loggerMetricsPort}/metrics`;
    const startLogger = (latencyMs: number) =>
      startMode(STEP_DIR, 'logger', ['--port', String(loggerPort), '--latency-ms', String(latencyMs)], {
        env: { METRICS_PORT: String(loggerMetricsPort), LOG_LEVEL: 'error' },
      });
    let logger: ModeProcess = await startLogger(0);
    // The fallback's warnings stay out of the demo's rows; `serve` shows them.
    const greeter = await startGreeterServer({
      certs,
      token,
      logger: createLogger({ level: 'silent' }),
      metricsAddress: { host: '127.0.0.1', port: 0 },
      loggerTarget: `localhost:${loggerPort}`,
      breaker: DEMO_BREAKER,
    });
    const { breaker } = greeter;
    row('greeter', `listening on ${greeter.address}`);
    row('breaker', describeSettings(DEMO_BREAKER));
    const started = performance.now();
    const transition = (to: BreakerState) => () =>
      row('breaker', `${((performance.now() - started) / 1_000).toFixed(2).padStart(6)} s  → ${to}`);
    breaker.on('open', transition('open'));
    breaker.on('halfOpen', transition('half_open'));
    breaker.on('close', transition('closed'));
    const client = createGreeterClient(`localhost:${greeter.port}`, { ca: certs.ca, token });
    const received = async (since: number) => `; the Logger received ${(await logCallsReceived(loggerMetrics)) - since}`;
    try {
      row('up', `${await greetings(client, breaker, (n) => n.sent === 5)}${await received(0)}`);

      await logger.stop();
      logger = await startLogger(2_000);
      row('logger', 'restarted, slow; each greeting gives its Log call 300 ms');
      const fallbacks = breaker.stats.fallbacks;
      row('slow', `${await greetings(client, breaker, (n) => n.open === 5)}${await received(0)}`);
      row('', `${breaker.stats.fallbacks - fallbacks} answered from the fallback; none of those while open reached the Logger`);

      await logger.stop();
      await halfOpen(breaker);
      row('stopped', await greetings(client, breaker, (n) => n.sent === 4));

      logger = await startLogger(0);
      row('logger', 'restarted');
      // Probes until one gets through (the channel may still be backing off), then a few greetings more.
      row('restarted', `${await greetings(client, breaker, (n) => n.closed === 4, true)}${await received(0)}`);

      const exposition = await (await fetch(greeter.metricsUrl)).text();
      for (const line of exposition.split('\n').filter((l) => l.startsWith('grpc_breaker_'))) row('metrics', line);
      row(
        '',
        `(grpc_breaker_state: ${Object.entries(STATE_VALUES)
          .map(([s, v]) => `${v} ${s}`)
          .join(', ')})`,
      );
    } finally {
      client.close();
      await greeter.stop();
      await logger.stop();
    }
  },
  async serve(context) {
    row('breaker', describeSettings(DEFAULT_BREAKER));
    return serveWithLogger(STEP_DIR, startGreeterServer)(context);
  },
  servers: { logger: loggerWithLatency },
};
