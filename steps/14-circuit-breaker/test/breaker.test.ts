// The breaker against a real Logger process, stopped, slowed and restarted:
// each transition as it happens, no Log call leaving the Greeter (or reaching
// the Logger, by its own count) while open, greetings answered throughout,
// and the transitions as series on the Greeter's /metrics.
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { deadlineIn, sayHello } from '@course/01-unary';
import { createLogger } from '@course/04-interceptors';
import { createGreeterClient } from '@course/08-prometheus-metrics';
import { freePort, type NodeProcess, startLesson } from '@course/kit';
import { temporaryCertificates } from '@course/kit/temporary-certs';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type BreakerState, isOutage, type LogBreaker, startGreeterServer } from '../src/index.js';
import { logCallsReceived } from '../src/lesson.js';

const step = fileURLToPath(new URL('..', import.meta.url));
const TOKEN = 'breaker-test-token';
const LOGGER_TOKEN = 'breaker-logger-token';
const { dir, certs, remove } = await temporaryCertificates('course-breaker-');
afterAll(remove);
const stops: (() => unknown)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

/** A short resetTimeout, so that waiting for 'halfOpen' is quick; a window far longer than any test. */
const SETTINGS = { volumeThreshold: 4, errorThresholdPercentage: 50, rollingCountTimeout: 60_000, resetTimeout: 500 };

/** The step's `logger` mode as a process of its own, on a port that stays the same across restarts. */
async function loggerProcess() {
  const [port, metricsPort] = [await freePort(), await freePort()];
  let current: NodeProcess | undefined;
  stops.push(() => current?.child.kill('SIGKILL'));
  return {
    port,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    async start(latencyMs = 0) {
      current = startLesson(step, ['logger', '--port', String(port), '--latency-ms', String(latencyMs)], {
        env: { CERTS_DIR: dir, LOGGER_TOKEN, METRICS_PORT: String(metricsPort), LOG_LEVEL: 'silent' },
      });
      await current.listeningAs('logger');
    },
    async stop() {
      current?.child.kill('SIGTERM');
      expect((await current?.exited)?.code).toBe(0);
      current = undefined;
    },
  };
}

/** The Greeter's warnings, parsed, as they are written. */
function warnings() {
  const destination = new PassThrough();
  const lines: { msg: string; code?: string; breaker?: string }[] = [];
  createInterface({ input: destination }).on('line', (line) => lines.push(JSON.parse(line)));
  return { logger: createLogger({ level: 'warn', pretty: false, destination }), lines };
}

async function startGreeter(loggerPort: number, options: { loggerToken?: string } = {}) {
  const { logger, lines } = warnings();
  const greeter = await startGreeterServer({
    certs,
    token: TOKEN,
    loggerToken: options.loggerToken ?? LOGGER_TOKEN,
    logger,
    metricsAddress: { host: '127.0.0.1', port: 0 },
    loggerTarget: `localhost:${loggerPort}`,
    breaker: SETTINGS,
  });
  stops.push(() => greeter.stop());
  const client = createGreeterClient(`localhost:${greeter.port}`, { ca: certs.ca, token: TOKEN });
  stops.push(() => client.close());
  // Every transition, in order, as the breaker announces it.
  const transitions: BreakerState[] = [];
  greeter.breaker.on('open', () => transitions.push('open'));
  greeter.breaker.on('halfOpen', () => transitions.push('half_open'));
  greeter.breaker.on('close', () => transitions.push('closed'));
  let n = 0;
  /** One greeting; it must be answered OK whatever the Logger does. */
  const greet = async (deadlineMs = 2_000) => {
    const name = `guest ${++n}`;
    expect((await sayHello(client, name, { deadline: deadlineIn(deadlineMs) })).message).toBe(`Hello, ${name}!`);
  };
  /** The Greeter's /metrics, as Prometheus would read it. */
  const metrics = async () => (await fetch(greeter.metricsUrl)).text();
  return { greeter, breaker: greeter.breaker, greet, lines, transitions, metrics };
}

/** A sample's value from an exposition, by its exact series name; undefined when absent. */
function value(exposition: string, series: string): number | undefined {
  const line = exposition.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** The Log calls the Greeter has started, by its own client metrics. */
async function logCallsSent(metrics: () => Promise<string>): Promise<number> {
  const line = (await metrics()).split('\n').find((l) => l.startsWith('grpc_client_started_total{') && l.includes('grpc_method="Log"'));
  return Number(line?.slice(line.lastIndexOf(' ') + 1));
}

function halfOpen(breaker: LogBreaker): Promise<unknown> {
  return breaker.halfOpen ? Promise.resolve() : once(breaker, 'halfOpen');
}

// Each test starts the Logger, a process of its own, once or twice: slow on a busy machine.
describe('the Log call behind a circuit breaker', { timeout: 60_000 }, () => {
  it('serves its state and transitions at the metrics URL, at zero before anything happens', async () => {
    const logger = await loggerProcess();
    await logger.start();
    const { metrics } = await startGreeter(logger.port);
    const text = await metrics();
    expect(value(text, 'grpc_breaker_state{breaker="logger"}')).toBe(0);
    for (const to of ['open', 'half_open', 'closed'])
      expect(value(text, `grpc_breaker_transitions_total{breaker="logger",to="${to}"}`)).toBe(0);
    // Beside lesson 08's series, on the same registry.
    expect(text).toContain('grpc_server_handled_total');
  });

  it('opens on a stopped Logger, fails fast while open, probes half-open, and closes once the Logger is back', async () => {
    const logger = await loggerProcess();
    await logger.start();
    const { breaker, greet, lines, transitions, metrics } = await startGreeter(logger.port);
    for (let i = 0; i < 4; i++) await greet();
    expect(await logCallsReceived(logger.metricsUrl)).toBe(4);
    expect(breaker.closed).toBe(true);

    await logger.stop();
    let failed = 0;
    while (!breaker.opened && failed < 20) {
      await greet();
      failed++;
    }
    // 4 of 8 calls failed is 50%, not past it: the 5th failure opens it.
    expect(failed).toBe(5);
    expect(lines.filter((l) => l.code === 'UNAVAILABLE').map((l) => l.msg)).toEqual(
      Array(5).fill('greeting not logged: logged here instead'),
    );

    // Open: answered from the fallback, and not one Log call started.
    const sent = await logCallsSent(metrics);
    const rejects = breaker.stats.rejects;
    for (let i = 0; i < 3; i++) await greet();
    // Had it gone half-open meanwhile, a probe would have gone out and this would fail.
    expect(breaker.stats.rejects - rejects).toBe(3);
    expect(await logCallsSent(metrics)).toBe(sent);
    expect(lines.filter((l) => l.msg.startsWith('breaker open'))).toHaveLength(3);

    // The Logger back: nothing reaches it until the breaker lets a probe through.
    await logger.start();
    expect(await logCallsReceived(logger.metricsUrl)).toBe(0);
    // A probe may still find the channel backing off: the next half-open tries again.
    for (let probes = 0; !breaker.closed && probes < 10; probes++) {
      await halfOpen(breaker);
      expect(breaker.halfOpen).toBe(true);
      await greet();
    }
    expect(breaker.closed).toBe(true);
    expect(await logCallsReceived(logger.metricsUrl)).toBe(1);
    for (let i = 0; i < 2; i++) await greet();
    expect(await logCallsReceived(logger.metricsUrl)).toBe(3);

    expect(transitions[0]).toBe('open');
    expect(transitions.slice(-2)).toEqual(['half_open', 'closed']);
    const text = await metrics();
    expect(value(text, 'grpc_breaker_state{breaker="logger"}')).toBe(0);
    for (const to of ['open', 'half_open', 'closed'] as const) {
      expect(value(text, `grpc_breaker_transitions_total{breaker="logger",to="${to}"}`)).toBe(transitions.filter((t) => t === to).length);
    }
  });

  it('opens on a slow Logger, which then receives no Log call while open, and exactly one probe half-open', async () => {
    const logger = await loggerProcess();
    // Far slower than any Log deadline here: every call ends DEADLINE_EXCEEDED.
    await logger.start(10_000);
    const { breaker, greet, lines, transitions, metrics } = await startGreeter(logger.port);
    let failed = 0;
    while (!breaker.opened && failed < 20) {
      // The Log call gets half of the greeting's 400 ms (lesson 10).
      await greet(400);
      failed++;
    }
    expect(failed).toBe(SETTINGS.volumeThreshold);
    expect(lines.map((l) => l.code)).toEqual(Array(failed).fill('DEADLINE_EXCEEDED'));
    expect(await logCallsReceived(logger.metricsUrl)).toBe(failed);
    expect(value(await metrics(), 'grpc_breaker_state{breaker="logger"}')).toBe(2);

    // The Logger is up and reachable, and by its own count nothing arrives.
    const rejects = breaker.stats.rejects;
    for (let i = 0; i < 3; i++) await greet(400);
    expect(breaker.stats.rejects - rejects).toBe(3);
    expect(await logCallsReceived(logger.metricsUrl)).toBe(failed);

    await halfOpen(breaker);
    expect(value(await metrics(), 'grpc_breaker_state{breaker="logger"}')).toBe(1);
    await greet(400);
    // One probe went out, failed, and the breaker is open again.
    expect(await logCallsReceived(logger.metricsUrl)).toBe(failed + 1);
    expect(breaker.opened).toBe(true);
    expect(transitions).toEqual(['open', 'half_open', 'open']);
    expect(value(await metrics(), 'grpc_breaker_transitions_total{breaker="logger",to="open"}')).toBe(2);
  });

  it('does not count refusals: a Logger that rejects our token never opens it', async () => {
    const logger = await loggerProcess();
    await logger.start();
    const { breaker, greet, lines } = await startGreeter(logger.port, { loggerToken: 'not-the-logger-token' });
    for (let i = 0; i < 10; i++) await greet();
    expect(lines.map((l) => l.code)).toEqual(Array(10).fill('UNAUTHENTICATED'));
    expect(breaker.closed).toBe(true);
    expect(breaker.stats.failures).toBe(0);
    // Each call reached the Logger: refusing them is the Logger working.
    expect(await logCallsReceived(logger.metricsUrl)).toBe(10);
  });
});

describe('isOutage', () => {
  it('counts a Logger down, slow or overloaded, not a call it refuses or a caller that gave up', () => {
    const codes = (names: (keyof typeof grpc.status)[]) => names.map((n) => isOutage({ code: grpc.status[n] }));
    expect(codes(['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED', 'INTERNAL'])).toEqual([true, true, true, true]);
    expect(codes(['INVALID_ARGUMENT', 'UNAUTHENTICATED', 'PERMISSION_DENIED', 'CANCELLED', 'NOT_FOUND'])).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(isOutage(new Error('not a gRPC error'))).toBe(false);
  });
});

describe('pnpm step 14 serve and logger', { timeout: 60_000 }, () => {
  it('serves the breaker series at the Greeter metrics URL it prints, and stops both processes on one SIGTERM', async () => {
    const env = { CERTS_DIR: dir, AUTH_TOKEN: TOKEN, LOGGER_TOKEN, METRICS_PORT: '0', LOG_LEVEL: 'silent' };
    const server = startLesson(step, ['serve', '--port', '0'], { env });
    stops.push(() => server.child.kill('SIGKILL'));
    await Promise.all([server.listening, server.listeningAs('logger')]);
    expect(server.stdout()).toMatch(/breaker\s+opens past 50% failed of ≥ 5 calls in 10 s, probes after 5 s/);
    const greeterMetrics = /metrics\s+(http:\/\/\S+\/metrics)/.exec(server.stdout())?.[1] as string;
    const text = await (await fetch(greeterMetrics)).text();
    expect(value(text, 'grpc_breaker_state{breaker="logger"}')).toBe(0);
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
  });

  it('refuses a --latency-ms that is not a whole number, with a usage error', async () => {
    const { code, stderr } = await startLesson(step, ['logger', '--port', '0', '--latency-ms', 'soon'], { env: { CERTS_DIR: dir } }).exited;
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toBe("error: --latency-ms (or LOGGER_LATENCY_MS) must be a whole number of ms, got 'soon'");
  });
});
