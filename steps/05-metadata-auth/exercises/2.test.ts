// Authorization: StreamGreetings is for callers whose user id starts with `u-`; anyone else gets PERMISSION_DENIED, from a second interceptor after authInterceptor.
import { sayHello } from '@course/01-unary';
import { streamGreetings } from '@course/02-server-streaming';
import { createLogger, type LoggedServerHandle } from '@course/04-interceptors';
import { howItEnded } from '@course/kit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createGreeterClient, startGreeterServer } from '../src/index.js';

const TOKEN = 'authz-exercise-token';
let server: LoggedServerHandle;
beforeAll(async () => {
  server = await startGreeterServer({ token: TOKEN, logger: createLogger({ level: 'silent', pretty: false }), stream: { intervalMs: 1 } });
});
afterAll(() => server.stop());

async function as(userId: string | undefined, call: (client: ReturnType<typeof createGreeterClient>) => Promise<unknown>, token = TOKEN) {
  const client = createGreeterClient(server.address, { token, userId });
  try {
    return await howItEnded(call(client));
  } finally {
    client.close();
  }
}
const stream = (client: ReturnType<typeof createGreeterClient>) => streamGreetings(client, 'Ada', 2).toArray();

it('lets user u-42 stream', async () => {
  expect(await as('u-42', stream)).toBe('OK');
});

it('refuses StreamGreetings to user bot-7 with PERMISSION_DENIED', async () => {
  expect(await as('bot-7', stream)).toMatch(/^PERMISSION_DENIED: /);
});

it('refuses StreamGreetings to a caller with no user id with PERMISSION_DENIED', async () => {
  expect(await as(undefined, stream)).toMatch(/^PERMISSION_DENIED: /);
});

it('still lets bot-7 call SayHello', async () => {
  expect(await as('bot-7', (client) => sayHello(client, 'Ada'))).toBe('OK');
});

it('checks the token first: a wrong token is UNAUTHENTICATED, whoever it claims to be', async () => {
  expect(await as('bot-7', stream, 'wrong-token')).toMatch(/^UNAUTHENTICATED: /);
});
