// Attempts counted at both ends, through a real channel to a real flaky
// backend: what the retryPolicy retries, what it never does, grpc-js's cap
// of 5 and how to lift it, the deadline over all attempts, retry throttling.
import { createLogger } from '@course/04-interceptors';
import { startLoggerServer } from '@course/11-metadata-propagation';
import { temporaryCertificates } from '@course/kit/temporary-certs';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createRetryingClient, type RetryClientOptions, type RetryOptions, sayHelloAttempted, startRetryServer } from '../src/index.js';

const TOKEN = 'retries-token';
const { certs, remove } = await temporaryCertificates('course-retries-');
const quiet = { certs, token: TOKEN, logger: createLogger({ level: 'silent' }), metricsAddress: { host: '127.0.0.1', port: 0 }, graceMs: 1_000 };
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
