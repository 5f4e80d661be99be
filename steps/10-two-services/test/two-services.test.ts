// The Greeter and the Logger as two real servers on real channels: one entry
// per greeting over one connection, the caller's deadline and cancellation
// carried to the Logger, and greetings that a slow, failing, stopped or
// absent Logger cannot fail. The Logger has lesson 09's bootstrap.
import { EventEmitter, on, once } from 'node:events';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { deadlineIn, sayHello } from '@course/01-unary';
import { createLogger } from '@course/04-interceptors';
import { ConfigError } from '@course/05-metadata-auth';
import { channelCredentials } from '@course/06-tls';
import { checkHealth, createHealthClient, listServices } from '@course/07-reflection-health';
import { createGreeterClient } from '@course/08-prometheus-metrics';
import { freePort } from '@course/kit';
import { temporaryCertificates } from '@course/kit/temporary-certs';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  createLoggerClient,
  DEV_LOGGER_TOKEN,
  type LoggerEvent,
  type LoggerServerOptions,
  type LoggingGreeterOptions,
  listEntries,
  logDeadline,
  loggerTokenFromEnv,
  startGreeterServer,
  startLoggerServer,
} from '../src/index.js';

const TOKEN = 'greeter-test-token';
const LOGGER_TOKEN = 'logger-test-token';
const ANY_PORT = { host: '127.0.0.1', port: 0 };
const { certs, remove } = await temporaryCertificates('course-two-services-');
afterAll(remove);
const stops: (() => unknown)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

const NOT_LOGGED = 'greeting not logged; answered anyway';

/** The Greeter's warnings that a greeting was not logged, one at a time, as they are written. */
function warnings() {
  const destination = new PassThrough();
  const lines = on(createInterface({ input: destination }), 'line');
  const next = async () => {
    for (;;) {
      const line = JSON.parse(String((await lines.next()).value[0])) as { msg: string; code: string };
      if (line.msg === NOT_LOGGED) return line;
    }
  };
  return { logger: createLogger({ level: 'warn', pretty: false, destination }), next };
}

async function startLogger(options: LoggerServerOptions = {}) {
  const events = new EventEmitter<Record<LoggerEvent['type'], [LoggerEvent]>>();
  const server = await startLoggerServer({
    certs,
    token: LOGGER_TOKEN,
    graceMs: 1_000,
    metricsAddress: ANY_PORT,
    logger: createLogger({ level: 'silent', pretty: false }),
    onEvent: (event) => events.emit(event.type, event),
    ...options,
  });
  stops.push(() => server.stop());
  return { server, events };
}

async function startGreeter(loggerTarget: string, options: Partial<LoggingGreeterOptions> = {}) {
  const log = warnings();
  const server = await startGreeterServer({
    certs,
    token: TOKEN,
    loggerToken: LOGGER_TOKEN,
    loggerTarget,
    graceMs: 1_000,
    metricsAddress: ANY_PORT,
    logger: log.logger,
    ...options,
  });
  const client = createGreeterClient(`localhost:${server.port}`, { ca: certs.ca, token: TOKEN });
  stops.push(
    () => server.stop(),
    () => client.close(),
  );
  return { server, client, nextWarning: log.next };
}

describe('a Greeter that logs to a Logger', () => {
  it('sends the Logger one entry per greeting, with the method, the greeting and the time left', async () => {
    const { server: logger } = await startLogger();
    const { client } = await startGreeter(`localhost:${logger.port}`);
    for (const name of ['Ada', 'Bob', 'Cy']) await sayHello(client, name);
    await expect(sayHello(client, '')).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    const kept = logger.book.newest();
    expect(kept.map((e) => [e.sequence, e.entry])).toEqual([
      [1, { method: '/greeter.v1.Greeter/SayHello', text: 'Hello, Ada!' }],
      [2, { method: '/greeter.v1.Greeter/SayHello', text: 'Hello, Bob!' }],
      [3, { method: '/greeter.v1.Greeter/SayHello', text: 'Hello, Cy!' }],
    ]);
    for (const e of kept) {
      expect(e.peer).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(e.deadlineMs).toBeGreaterThan(0);
    }
  });

  it('reuses one connection to the Logger for every greeting, from any number of callers', async () => {
    const { server: logger } = await startLogger();
    const { server: greeter } = await startGreeter(`localhost:${logger.port}`);
    // Three callers with a connection each to the Greeter, calling at once.
    const callers = Array.from({ length: 3 }, () =>
      createGreeterClient(`localhost:${greeter.port}`, {
        ca: certs.ca,
        token: TOKEN,
        channelOptions: { 'grpc.use_local_subchannel_pool': 1 },
      }),
    );
    stops.push(() => {
      for (const c of callers) c.close();
    });
    await Promise.all(callers.flatMap((c, i) => Array.from({ length: 10 }, (_, j) => sayHello(c, `caller ${i} call ${j}`))));
    await sayHello(callers[0] as (typeof callers)[0], 'one more, later');
    const kept = logger.book.newest();
    expect(kept).toHaveLength(31);
    expect(new Set(kept.map((e) => e.peer)).size).toBe(1);
  });

  it('gives the Logger at most the time the caller has left: 200 ms arrive as at most half of it', async () => {
    const { server: logger, events } = await startLogger();
    const { client } = await startGreeter(`localhost:${logger.port}`);
    const received = once(events, 'received');
    await sayHello(client, 'Ada', { deadline: deadlineIn(200) });
    const [event] = await received;
    expect(event.entry.deadlineMs).toBeGreaterThan(0);
    expect(event.entry.deadlineMs).toBeLessThanOrEqual(100);
  });

  it('cancels the Log call when the caller cancels its greeting', async () => {
    // Budgets of a minute: only the caller's cancellation can end this Log call within the test's time.
    const { server: logger, events } = await startLogger({ latencyMs: 60_000 });
    const { client, nextWarning } = await startGreeter(`localhost:${logger.port}`, { logBudgetMs: 60_000 });
    const received = once(events, 'received');
    const call = client.SayHello({ name: 'Ada' }, new grpc.Metadata(), { deadline: deadlineIn(60_000) }, () => {});
    await received;
    const cancelled = once(events, 'cancelled');
    call.cancel();
    const [event] = await cancelled;
    expect(event.entry.entry?.text).toBe('Hello, Ada!');
    expect(await nextWarning()).toMatchObject({ code: 'CANCELLED' });
    expect(logger.book.newest()).toEqual([]);
  });

  it('still greets within its deadline when the Logger is slow: one warning line', async () => {
    const { server: logger, events } = await startLogger({ latencyMs: 10_000 });
    const { client, nextWarning } = await startGreeter(`localhost:${logger.port}`);
    const cancelled = once(events, 'cancelled');
    expect((await sayHello(client, 'Ada', { deadline: deadlineIn(400) })).message).toBe('Hello, Ada!');
    expect(await nextWarning()).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    // The Logger's handler learns that its call is over, and keeps nothing.
    await cancelled;
    expect(logger.book.newest()).toEqual([]);
  });

  it('still greets when the Logger refuses the call (here: the wrong token)', async () => {
    const { server: logger } = await startLogger();
    const { client, nextWarning } = await startGreeter(`localhost:${logger.port}`, { loggerToken: 'not-the-logger-token' });
    expect((await sayHello(client, 'Ada')).message).toBe('Hello, Ada!');
    expect(await nextWarning()).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(logger.book.newest()).toEqual([]);
  });

  it('still greets within its deadline when the Logger has stopped', async () => {
    const { server: logger } = await startLogger();
    const { client, nextWarning } = await startGreeter(`localhost:${logger.port}`);
    await sayHello(client, 'Ada');
    await logger.stop();
    expect((await sayHello(client, 'Bob', { deadline: deadlineIn(1_000) })).message).toBe('Hello, Bob!');
    expect(await nextWarning()).toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('still greets when no Logger was ever there', async () => {
    const { client, nextWarning } = await startGreeter(`localhost:${await freePort()}`);
    expect((await sayHello(client, 'Ada', { deadline: deadlineIn(1_000) })).message).toBe('Hello, Ada!');
    expect(await nextWarning()).toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('counts its calls to the Logger in grpc_client_* series beside the calls it serves', async () => {
    const { server: logger } = await startLogger();
    const { server: greeter, client } = await startGreeter(`localhost:${logger.port}`);
    for (const name of ['Ada', 'Bob']) await sayHello(client, name);
    const labels = 'grpc_type="unary",grpc_service="logger.v1.LoggerService",grpc_method="Log",grpc_code="OK"';
    expect(await (await fetch(greeter.metricsUrl)).text()).toContain(`grpc_client_handled_total{${labels}} 2`);
    expect(await (await fetch(logger.metricsUrl)).text()).toContain(`grpc_server_handled_total{${labels}} 2`);
  });
});

describe('the Logger, on the Greeter’s bootstrap', () => {
  it('answers health and reflection for its own service, without a token', async () => {
    const { server } = await startLogger();
    const target = `localhost:${server.port}`;
    const credentials = channelCredentials({ ca: certs.ca });
    const health = createHealthClient(target, credentials);
    stops.push(() => health.close());
    expect(await checkHealth(health, '')).toBe('SERVING');
    expect(await checkHealth(health, 'logger.v1.LoggerService')).toBe('SERVING');
    await expect(checkHealth(health, 'greeter.v1.Greeter')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    expect(await listServices(target, credentials)).toEqual(['grpc.health.v1.Health', 'logger.v1.LoggerService']);
  });

  it('takes its own token only: the Greeter’s callers’ token is refused', async () => {
    const { server } = await startLogger();
    const target = `localhost:${server.port}`;
    for (const [token, ok] of [
      [LOGGER_TOKEN, true],
      [TOKEN, false],
    ] as const) {
      const client = createLoggerClient(target, { ca: certs.ca, token });
      stops.push(() => client.close());
      const listing = listEntries(client);
      if (ok) expect(await listing).toEqual([]);
      else await expect(listing).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    }
  });

  it('refuses an entry that is not about a method', async () => {
    const { server } = await startLogger();
    const client = createLoggerClient(`localhost:${server.port}`, { ca: certs.ca, token: LOGGER_TOKEN });
    stops.push(() => client.close());
    const logged = new Promise((resolve, reject) => {
      client.Log({ method: 'SayHello', text: 'hi' }, (err, ack) => (err ? reject(err) : resolve(ack)));
    });
    await expect(logged).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
  });

  it('reads its token from LOGGER_TOKEN, and refuses the default in production', () => {
    expect(loggerTokenFromEnv({})).toBe(DEV_LOGGER_TOKEN);
    expect(loggerTokenFromEnv({ LOGGER_TOKEN: 'x', AUTH_TOKEN: 'y' })).toBe('x');
    expect(loggerTokenFromEnv({ AUTH_TOKEN: 'y' })).toBe(DEV_LOGGER_TOKEN);
    expect(() => loggerTokenFromEnv({ NODE_ENV: 'production', AUTH_TOKEN: 'y' })).toThrow(ConfigError);
    expect(() => loggerTokenFromEnv({ NODE_ENV: 'production' })).toThrow(/LOGGER_TOKEN must be set/);
    expect(loggerTokenFromEnv({ NODE_ENV: 'production', LOGGER_TOKEN: 'own' })).toBe('own');
  });
});

describe('logDeadline', () => {
  const at = (deadline: grpc.Deadline) => ({ getDeadline: () => deadline });
  it('is half of what the caller has left, at most the budget', () => {
    expect(logDeadline(at(1_200), 500, 1_000)).toBe(1_100);
    expect(logDeadline(at(new Date(5_000)), 500, 1_000)).toBe(1_500);
    expect(logDeadline(at(Number.POSITIVE_INFINITY), 500, 1_000)).toBe(1_500);
  });
});
