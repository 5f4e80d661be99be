// The limits on a real Greeter over real channels: exactly the calls past a
// caller's bucket refused, with a RetryInfo; another caller unaffected; the
// client waiting the delay out; shedding while N chats are open, and not after.
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sayHello } from '@course/01-unary';
import { createLogger } from '@course/04-interceptors';
import { createGreeterClient } from '@course/08-prometheus-metrics';
import { startLoggerServer } from '@course/11-metadata-propagation';
import { InProcessBroker } from '@course/16-async-events';
import { createGreeterV2Client, sayHelloV1, sayHelloV2, split } from '@course/17-versions-canary';
import { temporaryCertificates } from '@course/kit/temporary-certs';
import type { GreeterClient, GreeterHandlers } from '@course/proto/gen/greeter/v1/Greeter';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type LimitOptions, retryDelayMs, SHED_MESSAGE, startGreeterServer, withRetryInfo } from '../src/index.js';

const TOKEN = 'limits-token';
const ANY_PORT = { host: '127.0.0.1', port: 0 };
const { certs, remove } = await temporaryCertificates('course-limits-');
afterAll(remove);
const stops: (() => unknown)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

/** A window far longer than any test: no refill during a burst. */
const LONG = 600;

async function setup(limits: Partial<Omit<LimitOptions, 'registry'>>, handlers?: Partial<GreeterHandlers>) {
  const dir = mkdtempSync(join(tmpdir(), 'lesson-18-'));
  stops.push(() => rmSync(dir, { recursive: true, force: true }));
  const logger = await startLoggerServer({ certs, logger: createLogger({ level: 'silent' }), metricsAddress: ANY_PORT });
  stops.push(() => logger.stop());
  const greeter = await startGreeterServer({
    certs,
    token: TOKEN,
    metricsAddress: ANY_PORT,
    loggerTarget: `localhost:${logger.port}`,
    logger: createLogger({ level: 'silent' }),
    outboxPath: join(dir, 'outbox.db'),
    broker: new InProcessBroker(),
    limits,
    handlers,
  });
  stops.push(() => greeter.stop());
  const client = (userId?: string) => {
    const c = createGreeterClient(`localhost:${greeter.port}`, { ca: certs.ca, token: TOKEN, userId });
    stops.push(() => c.close());
    return c;
  };
  const metric = async (name: string, labels: string) => {
    const line = (await greeter.registry.getSingleMetricAsString(name)).split('\n').find((l) => l.includes(labels));
    return line ? Number(line.split(' ').at(-1)) : 0;
  };
  return { greeter, client, metric };
}

/** `count` SayHellos at once; the codes they end with, counted. */
async function burst(client: GreeterClient, count: number) {
  const results = await Promise.allSettled(Array.from({ length: count }, (_, i) => sayHello(client, `n${i}`)));
  const codes: Record<string, number> = {};
  const errors: grpc.ServiceError[] = [];
  for (const r of results) {
    const code = r.status === 'fulfilled' ? 'OK' : grpc.status[(r.reason as grpc.ServiceError).code];
    codes[code] = (codes[code] ?? 0) + 1;
    if (r.status === 'rejected') errors.push(r.reason);
  }
  return { codes, errors };
}

/** The call's status, whatever it is (`once` would reject on the 'error' that comes first). */
const ended = (call: grpc.Call) => new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));

describe('the rate limit', () => {
  it('refuses exactly the calls past the bucket, with RESOURCE_EXHAUSTED and a RetryInfo, and counts them by caller class', async () => {
    const { client, metric } = await setup({ points: 5, perSeconds: LONG });
    const { codes, errors } = await burst(client('noisy'), 8);
    expect(codes).toEqual({ OK: 5, RESOURCE_EXHAUSTED: 3 });
    for (const e of errors) {
      const delay = retryDelayMs(e) as number;
      expect(delay).toBeGreaterThan(0);
      expect(delay).toBeLessThanOrEqual(LONG * 1000);
    }
    const labels = 'limit="rate",caller_class="user",grpc_service="greeter.v1.Greeter",grpc_method="SayHello"';
    expect(await metric('grpc_server_limit_allowed_total', labels)).toBe(5);
    expect(await metric('grpc_server_limit_refused_total', labels)).toBe(3);
    // Refused calls are still handled calls to lesson 08's metrics.
    expect(await metric('grpc_server_handled_total', 'grpc_code="ResourceExhausted"')).toBe(3);
    // Bounded labels: the raw user id is in no series.
    expect(await metric('grpc_server_limit_refused_total', 'noisy')).toBe(0);
  });

  it('keeps one bucket per caller: a noisy caller does not starve a quiet one', async () => {
    const { client } = await setup({ points: 3, perSeconds: LONG });
    const noisy = client('noisy');
    const quiet = client('quiet');
    expect((await burst(noisy, 10)).codes).toEqual({ OK: 3, RESOURCE_EXHAUSTED: 7 });
    expect((await burst(quiet, 3)).codes).toEqual({ OK: 3 });
    expect((await burst(client(), 4)).codes).toEqual({ OK: 3, RESOURCE_EXHAUSTED: 1 });
  });

  it('lets the client wait out the RetryInfo and succeed', async () => {
    // A one-second window: the retry waits for it to pass, however long that is; nothing here asserts a time.
    const { client } = await setup({ points: 1, perSeconds: 1 });
    const c = client('patient');
    await sayHello(c, 'first');
    const waits: number[] = [];
    const reply = await withRetryInfo(() => sayHello(c, 'second'), { onWait: (ms) => waits.push(ms) });
    expect(reply.message).toContain('second');
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(0);
  });
});

describe("on lesson 17's canary deployment", () => {
  it('limits greeter.v2 in a bucket of its own, and every reply, refused or not, names the release', async () => {
    const { greeter, client } = await setup({ points: 2, perSeconds: LONG });
    const v1 = client();
    const v2 = createGreeterV2Client(`localhost:${greeter.port}`, { ca: certs.ca, token: TOKEN });
    stops.push(() => v2.close());
    const v1Replies = await Promise.all(Array.from({ length: 3 }, () => sayHelloV1(v1, 'Ada')));
    const v2Replies = await Promise.all(Array.from({ length: 3 }, () => sayHelloV2(v2, { given: 'Ada', family: 'Lovelace' })));
    for (const replies of [v1Replies, v2Replies]) {
      expect(split(replies)).toEqual({ byVersion: { '1.1': 2 }, failed: 1 });
      expect(replies.map((r) => r.version)).toEqual(['1.1', '1.1', '1.1']);
      expect(replies.filter((r) => r.error).map((r) => r.error?.code)).toEqual([grpc.status.RESOURCE_EXHAUSTED]);
    }
  });
});

describe('load shedding', () => {
  it('refuses at once while N calls are in flight, and admits again once they end', async () => {
    const { greeter, client } = await setup({ points: 1000, perSeconds: LONG, maxInFlight: 2 });
    const c = client('chatty');
    const open = [c.Chat(), c.Chat()];
    for (const chat of open) chat.on('error', () => {});
    // Both admitted once the server counts them; a message each round-trips through the room.
    for (const chat of open) {
      chat.write({ from: 'a', text: 'hi' });
      await once(chat, 'data');
    }
    expect(greeter.limits.inFlight).toBe(2);
    const shed = await burst(c, 4);
    expect(shed.codes).toEqual({ UNAVAILABLE: 4 });
    expect(shed.errors[0]?.details).toBe(SHED_MESSAGE);
    // Ended three ways: half-closed (OK), cancelled; each frees its slot exactly once.
    open[0]?.end();
    await ended(open[0] as grpc.Call);
    open[1]?.cancel();
    await greeter.limits.untilInFlight(0);
    expect((await burst(c, 2)).codes).toEqual({ OK: 2 });
    // A deadline that passes in flight frees its slot too.
    const late = c.Chat({ deadline: Date.now() + 200 });
    late.on('error', () => {});
    expect((await ended(late)).code).toBe(grpc.status.DEADLINE_EXCEEDED);
    await greeter.limits.untilInFlight(0);
    expect(greeter.limits.inFlight).toBe(0);
  });

  it('frees the slot of a call whose handler never answers, once its deadline passes', async () => {
    // grpc-js ends such a call below the interceptors: only the cancel tells the limiter.
    const { greeter, client } = await setup({ points: 1000, perSeconds: LONG, maxInFlight: 1 }, { SayHello: () => {} });
    const c = client('stuck');
    await expect(sayHello(c, 'never', { deadline: Date.now() + 300 })).rejects.toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });
    await greeter.limits.untilInFlight(0);
    expect(greeter.limits.inFlight).toBe(0);
  });
});
