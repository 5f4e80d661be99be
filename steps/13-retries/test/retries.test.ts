// Attempts counted at both ends, through a real channel to a real flaky
// backend: what the retryPolicy retries, what it never does, grpc-js's cap
// of 5 and how to lift it, the deadline over all attempts, retry throttling.
import { createLogger } from '@course/04-interceptors';
import { createGreeterClient } from '@course/08-prometheus-metrics';
import { startLoggerServer } from '@course/11-metadata-propagation';
import { startBackend } from '@course/12-load-balancing';
import { temporaryCertificates } from '@course/kit/temporary-certs';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createRetryingClient, type RetryClientOptions, type RetryOptions, sayHelloAttempted, startRetryServer } from '../src/index.js';

const TOKEN = 'retries-token';
const { certs, remove } = await temporaryCertificates('course-retries-');
const quiet = {
  certs,
  token: TOKEN,
  logger: createLogger({ level: 'silent' }),
  metricsAddress: { host: '127.0.0.1', port: 0 },
  graceMs: 1_000,
  drainDelayMs: 0,
};
const logger = await startLoggerServer(quiet);
const stops: (() => unknown)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});
afterAll(async () => {
  await logger.stop();
  remove();
});

/** A backend of its own per test: grpc-js keeps the throttling tokens per target, for the whole process. */
async function setup(failFirst: number, retry: RetryOptions = {}, client: Partial<RetryClientOptions> = {}) {
  const server = await startRetryServer({ ...quiet, id: 'b1', port: 0, loggerTarget: `localhost:${logger.port}`, failFirst });
  stops.push(() => server.stop());
  const c = createRetryingClient(`localhost:${server.port}`, retry, { ca: certs.ca, token: TOKEN, ...client });
  stops.push(() => c.close());
  return { server, client: c };
}

describe('a retryPolicy for UNAVAILABLE', () => {
  it('retries a call the backend fails twice: 3 attempts, each carrying how many went before', async () => {
    const { server, client } = await setup(2, { maxAttempts: 4, initialBackoffS: 0.01 });
    const answer = await sayHelloAttempted(client, 'Ada');
    expect(answer).toMatchObject({ code: grpc.status.OK, attempts: 3 });
    expect(server.attempts.total).toBe(3);
    expect(server.attempts.byPrevious).toEqual({ 0: 1, 1: 1, 2: 1 });
  });
});

describe('what is not retried', () => {
  it('INVALID_ARGUMENT: the attempt after the UNAVAILABLE one is the last', async () => {
    const { server, client } = await setup(1, { maxAttempts: 5, initialBackoffS: 0.01 });
    const answer = await sayHelloAttempted(client, '');
    expect(answer).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, attempts: 2 });
    expect(server.attempts.byPrevious).toEqual({ 0: 1, 1: 1 });
  });

  it('a status after response headers: a handler that sends them first commits the call to that attempt', async () => {
    const handled = { alone: 0, afterHeaders: 0 };
    const backend = await startBackend({
      ...quiet,
      id: 'b1',
      port: 0,
      loggerTarget: `localhost:${logger.port}`,
      handlers: {
        SayHello: (call, callback) => {
          const headersFirst = call.request.name === 'headers first';
          handled[headersFirst ? 'afterHeaders' : 'alone']++;
          if (headersFirst) call.sendMetadata(new grpc.Metadata());
          callback({ code: grpc.status.UNAVAILABLE, details: 'down' });
        },
      },
    });
    stops.push(() => backend.stop());
    const client = createRetryingClient(
      `localhost:${backend.port}`,
      { maxAttempts: 4, initialBackoffS: 0.01 },
      { ca: certs.ca, token: TOKEN },
    );
    stops.push(() => client.close());
    // The same status sent alone, behind the same interceptors (lesson 11's and 12's ids go in its trailers): retried.
    expect(await sayHelloAttempted(client, 'Ada')).toMatchObject({ code: grpc.status.UNAVAILABLE, attempts: 4 });
    expect(handled.alone).toBe(4);
    expect(await sayHelloAttempted(client, 'headers first')).toMatchObject({ code: grpc.status.UNAVAILABLE, attempts: 1 });
    expect(handled.afterHeaders).toBe(1);
  });
});

describe('how many attempts', () => {
  it('grpc-js caps maxAttempts at 5: maxAttempts 10 makes 5', async () => {
    const { server, client } = await setup(100, { maxAttempts: 10, initialBackoffS: 0.01, backoffMultiplier: 1 });
    expect(await sayHelloAttempted(client, 'Ada')).toMatchObject({ code: grpc.status.UNAVAILABLE, attempts: 5 });
    expect(server.attempts.byPrevious).toEqual({ 0: 1, 1: 1, 2: 1, 3: 1, 4: 1 });
  });

  it('grpc-node.retry_max_attempts_limit lifts the cap: 10 attempts', async () => {
    const { server, client } = await setup(100, { maxAttempts: 10, initialBackoffS: 0.01, backoffMultiplier: 1 }, { attemptsLimit: 10 });
    expect(await sayHelloAttempted(client, 'Ada')).toMatchObject({ code: grpc.status.UNAVAILABLE, attempts: 10 });
    expect(server.attempts.total).toBe(10);
    expect(Object.keys(server.attempts.byPrevious)).toHaveLength(10);
  });
});

describe('the deadline is over all attempts', () => {
  it('a backoff longer than the deadline: one attempt, then DEADLINE_EXCEEDED from the client', async () => {
    const { server, client } = await setup(100, { initialBackoffS: 1 });
    const answer = await sayHelloAttempted(client, 'Ada', { deadlineMs: 300 });
    expect(answer.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    // The client ended it: no answer, so no count on it.
    expect(answer.attempts).toBeUndefined();
    expect(server.attempts.total).toBe(1);
  });

  it('retries until the deadline, far short of maxAttempts, and none after it', async () => {
    // A 0.1 s backoff, never growing; jitter makes each 80 to 120 ms, so 600 ms hold at most 1 + 600 / 80 attempts.
    const { server, client } = await setup(
      1_000,
      { maxAttempts: 100, initialBackoffS: 0.1, maxBackoffS: 0.1, backoffMultiplier: 1 },
      { attemptsLimit: 100 },
    );
    const answer = await sayHelloAttempted(client, 'Ada', { deadlineMs: 600 });
    expect(answer.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    const made = server.attempts.total;
    expect(made).toBeGreaterThanOrEqual(2);
    expect(made).toBeLessThanOrEqual(8);
    // A call failed three times lasts longer than two backoffs the first could still be waiting out: had
    // its timer survived the deadline, two or more of its attempts would arrive meanwhile. One may: an
    // attempt sent just before the deadline can reach the server after `made` was read.
    server.attempts.failFirst = 3;
    expect(await sayHelloAttempted(client, 'Bob')).toMatchObject({ code: grpc.status.OK, attempts: 4 });
    expect(server.attempts.total - made - 4).toBeLessThanOrEqual(1);
    expect(server.attempts.total - made - 4).toBeGreaterThanOrEqual(0);
  });

  it('the method’s timeout is the deadline of a call that sets none', async () => {
    const { server, client } = await setup(0, { timeoutS: 0.3 });
    const answer = await sayHelloAttempted(client, 'Ada', { deadlineMs: Number.POSITIVE_INFINITY, workMs: 2_000 });
    expect(answer).toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED, attempts: 1 });
    expect(answer.details).toMatch(/^needs 2000 ms, \d+ ms left: not started$/);
    expect(server.attempts.workNotStarted).toBe(1);
  });

  it('grpc-js 1.14 reads "0.3s" as a timeout of 3 ns, not 0.3 s: every call ends at once', async () => {
    const { server } = await setup(0);
    const config = { methodConfig: [{ name: [{ service: 'greeter.v1.Greeter' }], timeout: '0.3s' }] };
    const client = createGreeterClient(`localhost:${server.port}`, {
      ca: certs.ca,
      token: TOKEN,
      channelOptions: { 'grpc.service_config': JSON.stringify(config) },
    });
    stops.push(() => client.close());
    const answer = await sayHelloAttempted(client, 'Ada', { deadlineMs: Number.POSITIVE_INFINITY });
    expect(answer.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(answer.details).toMatch(/^Deadline exceeded after 0\.00\ds/);
    expect(server.attempts.total).toBe(0);
  });
});

describe('the server gives up early', () => {
  it('work that cannot finish before the deadline is never started: DEADLINE_EXCEEDED at once, and not retried', async () => {
    const { server, client } = await setup(0);
    const answer = await sayHelloAttempted(client, 'Ada', { deadlineMs: 300, workMs: 2_000 });
    expect(answer).toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED, attempts: 1 });
    expect(answer.details).toMatch(/not started$/);
    expect(server.attempts).toMatchObject({ total: 1, workDone: 0, workNotStarted: 1 });
  });

  it('work that fits is done', async () => {
    const { server, client } = await setup(0);
    expect(await sayHelloAttempted(client, 'Ada', { deadlineMs: 5_000, workMs: 50 })).toMatchObject({ code: grpc.status.OK });
    expect(server.attempts).toMatchObject({ total: 1, workDone: 1, workNotStarted: 0 });
  });
});

describe('retryThrottling', () => {
  it('stops a retry storm against a backend that always fails: 13 attempts for 10 calls, not 30', async () => {
    const { server, client } = await setup(1_000, {
      maxAttempts: 3,
      initialBackoffS: 0.01,
      backoffMultiplier: 1,
      throttling: { maxTokens: 10, tokenRatio: 0.1 },
    });
    const attempts: (number | undefined)[] = [];
    for (let i = 0; i < 10; i++) {
      const answer = await sayHelloAttempted(client, 'Ada');
      expect(answer.code).toBe(grpc.status.UNAVAILABLE);
      attempts.push(answer.attempts);
    }
    // 10 tokens; each failed attempt takes one, and a retry may go only while more than 5 are left
    // (RetryThrottler in retrying-call.ts). Call 1: 9, 8 left, retried twice, 7 after its third.
    // Call 2: 6 left, retried; 5 left, not. From call 3 on: 4 or fewer, never retried.
    expect(attempts).toEqual([3, 2, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(server.attempts.total).toBe(13);
  });
});

describe('hedgingPolicy, instead of a retryPolicy', () => {
  const hedged = (port: number, maxAttempts: number, extra: object = {}) =>
    createGreeterClient(`localhost:${port}`, {
      ca: certs.ca,
      token: TOKEN,
      channelOptions: {
        'grpc.service_config': JSON.stringify({
          methodConfig: [
            {
              name: [{ service: 'greeter.v1.Greeter' }],
              hedgingPolicy: { maxAttempts, hedgingDelay: '0s', nonFatalStatusCodes: ['UNAVAILABLE'] },
            },
          ],
          ...extra,
        }),
      },
    });

  it('sends the attempts without waiting for a failure (hedgingDelay 0s: all at once); the one that answers wins', async () => {
    const { server } = await setup(2);
    const client = hedged(server.port, 3);
    stops.push(() => client.close());
    expect(await sayHelloAttempted(client, 'Ada')).toMatchObject({ code: grpc.status.OK, attempts: 3 });
    expect(server.attempts.byPrevious).toEqual({ 0: 1, 1: 1, 2: 1 });
  });

  it('has the same cap of 5', async () => {
    const { server } = await setup(100);
    const client = hedged(server.port, 10);
    stops.push(() => client.close());
    expect((await sayHelloAttempted(client, 'Ada')).code).toBe(grpc.status.UNAVAILABLE);
    expect(server.attempts.total).toBe(5);
  });

  it('is not throttled: grpc-js counts hedged failures in the bucket, but never asks it before a hedged attempt', async () => {
    const { server } = await setup(1_000);
    const client = hedged(server.port, 3, { retryThrottling: { maxTokens: 10, tokenRatio: 0.1 } });
    stops.push(() => client.close());
    for (let i = 0; i < 10; i++) expect((await sayHelloAttempted(client, 'Ada')).code).toBe(grpc.status.UNAVAILABLE);
    expect(server.attempts.total).toBe(30);
  });
});
