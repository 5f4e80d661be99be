// Control characters: SayHello refuses a name holding one (U+0000 to U+001F, or U+007F: a newline, a tab, ...) with INVALID_ARGUMENT.
import { howItEnded } from '@course/kit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createGreeterClient, type ServerHandle, sayHello, startGreeterServer } from '../src/index.js';

let server: ServerHandle;
let client: ReturnType<typeof createGreeterClient>;
beforeAll(async () => {
  server = await startGreeterServer();
  client = createGreeterClient(server.address);
});
afterAll(async () => {
  client.close();
  await server.stop();
});

it('refuses "Ada\\nLovelace" with INVALID_ARGUMENT whose details say "control character"', async () => {
  expect(await howItEnded(sayHello(client, 'Ada\nLovelace'))).toMatch(/^INVALID_ARGUMENT: .*control character/);
});

it.each([
  ['a tab', 'Ada\tLovelace'],
  ['a NUL', 'Ada\0'],
  ['an escape', '\u001b[31mAda'],
  ['a DEL', 'Ada\u007f'],
])('refuses a name with %s', async (_, name) => {
  expect(await howItEnded(sayHello(client, name))).toMatch(/^INVALID_ARGUMENT: /);
});

it('still greets "Ada Lovelace" and "Zoë"', async () => {
  expect((await sayHello(client, 'Ada Lovelace')).message).toBe('Hello, Ada Lovelace!');
  expect((await sayHello(client, 'Zoë')).message).toBe('Hello, Zoë!');
});
