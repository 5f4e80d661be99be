// Pushback: each RESOURCE_EXHAUSTED also carries `grpc-retry-pushback-ms`, so a grpc-js client with a retryPolicy waits out the window with no code of its own.
import { sayHello } from '@course/01-unary';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { retryDelayMs } from '../src/index.js';
import { limitedGreeter } from './setup.js';

let setup: Awaited<ReturnType<typeof limitedGreeter>>;
beforeAll(async () => {
  setup = await limitedGreeter({ points: 1, perSeconds: 1 });
});
afterAll(() => setup.close());

it('sends grpc-retry-pushback-ms with a refusal: the RetryInfo delay, in whole ms', async () => {
  const client = setup.client('plain');
  await sayHello(client, 'first');
  const error = (await sayHello(client, 'second').catch((e: grpc.ServiceError) => e)) as grpc.ServiceError;
  expect(error.code, 'the refusal').toBe(grpc.status.RESOURCE_EXHAUSTED);
  const [pushback] = error.metadata.get('grpc-retry-pushback-ms');
  expect(pushback, 'the grpc-retry-pushback-ms trailer').toMatch(/^\d+$/);
  expect(Math.abs(Number(pushback) - (retryDelayMs(error) ?? Number.NaN)), 'pushback vs RetryInfo, ms').toBeLessThanOrEqual(1);
});

it('lets a retryPolicy that retries RESOURCE_EXHAUSTED succeed after the window', async () => {
  const serviceConfig = {
    methodConfig: [
      {
        name: [{ service: 'greeter.v1.Greeter' }],
        // A backoff far shorter than the window: only the pushback makes the retry wait long enough.
        retryPolicy: {
          maxAttempts: 2,
          initialBackoff: '0.01s',
          maxBackoff: '0.01s',
          backoffMultiplier: 1,
          retryableStatusCodes: ['RESOURCE_EXHAUSTED'],
        },
      },
    ],
  };
  const client = setup.client('retrying', { 'grpc.service_config': JSON.stringify(serviceConfig) });
  await sayHello(client, 'first', { deadline: Date.now() + 10_000 });
  const reply = await sayHello(client, 'second', { deadline: Date.now() + 10_000 });
  expect(reply.message).toContain('second');
});
