// A size limit: the Greeter server refuses a request larger than 4 KiB (MAX_REQUEST_BYTES) with RESOURCE_EXHAUSTED, before any handler runs.
import { howItEnded } from '@course/kit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createGreeterClient, type ServerHandle, sayHello, startGreeterServer } from '../src/index.js';

const KIB = 1024;
let server: ServerHandle;
let client: ReturnType<typeof createGreeterClient>;
let handled = 0;
beforeAll(async () => {
  server = await startGreeterServer({
    handlers: {
      SayHello: (call, callback) => {
        handled++;
        callback(null, { message: `${call.request.name.length} characters` });
      },
    },
  });
  client = createGreeterClient(server.address);
});
afterAll(async () => {
  client.close();
  await server.stop();
});

it('refuses a 5 KiB name with RESOURCE_EXHAUSTED', async () => {
  expect(await howItEnded(sayHello(client, 'x'.repeat(5 * KIB)))).toMatch(/^RESOURCE_EXHAUSTED: /);
});

it('refuses it before the handler runs', async () => {
  handled = 0;
  await howItEnded(sayHello(client, 'x'.repeat(5 * KIB)));
  expect(handled, 'handler calls for an over-large request').toBe(0);
});

it('still accepts a 3 KiB request', async () => {
  expect((await sayHello(client, 'x'.repeat(3 * KIB))).message).toBe(`${3 * KIB} characters`);
});

it('lets a server that asks for more keep its own limit (serverOptions win)', async () => {
  const roomy = await startGreeterServer({
    serverOptions: { 'grpc.max_receive_message_length': 64 * KIB },
    handlers: { SayHello: (call, callback) => callback(null, { message: `${call.request.name.length} characters` }) },
  });
  const roomyClient = createGreeterClient(roomy.address);
  try {
    expect(await howItEnded(sayHello(roomyClient, 'x'.repeat(5 * KIB)))).toBe('OK');
  } finally {
    roomyClient.close();
    await roomy.stop();
  }
});
