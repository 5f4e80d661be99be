// Request ids: the lesson's client sends `x-request-id` (a fresh UUID unless the caller set one), and the server's `served` line carries it as `request_id`.
import { createGreeterClient as createPlainClient, sayHello } from '@course/01-unary';
import { streamGreetings } from '@course/02-server-streaming';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createGreeterClient } from '../src/index.js';
import { type LoggedServer, loggedServer } from './served.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
let logged: LoggedServer;
let client: ReturnType<typeof createGreeterClient>;
let plain: ReturnType<typeof createPlainClient>;
beforeAll(async () => {
  logged = await loggedServer({ stream: { intervalMs: 1 } });
  client = createGreeterClient(logged.server.address);
  plain = createPlainClient(logged.server.address);
});
afterAll(async () => {
  client.close();
  plain.close();
  await logged.server.stop();
});

const withRequestId = (id: string) => {
  const metadata = new grpc.Metadata();
  metadata.set('x-request-id', id);
  return metadata;
};

it('logs the x-request-id a call carries as request_id', async () => {
  await sayHello(plain, 'Ada', {}, withRequestId('req-42'));
  expect((await logged.nextServed()).request_id).toBe('req-42');
});

it("gives each of the lesson client's calls a fresh UUID", async () => {
  await sayHello(client, 'Ada');
  await sayHello(client, 'Bob');
  const ids = [(await logged.nextServed()).request_id, (await logged.nextServed()).request_id];
  expect(ids[0]).toMatch(UUID);
  expect(ids[1]).toMatch(UUID);
  expect(ids[0]).not.toBe(ids[1]);
});

it('keeps an id the caller set', async () => {
  await sayHello(client, 'Ada', {}, withRequestId('mine-7'));
  expect((await logged.nextServed()).request_id).toBe('mine-7');
});

it('sends one on streams too', async () => {
  await streamGreetings(client, 'Ada', 2).toArray();
  expect((await logged.nextServed()).request_id).toMatch(UUID);
});

it('logs no request_id for a call that has none', async () => {
  await sayHello(plain, 'Ada');
  expect(await logged.nextServed()).not.toHaveProperty('request_id');
});
