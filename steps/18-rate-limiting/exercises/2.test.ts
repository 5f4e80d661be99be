// Budgets per method: `pointsByMethod` (method path → points) gives Chat a budget of its own, spent only by chats.
import { sayHello } from '@course/01-unary';
import { howItEnded } from '@course/kit';
import type * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { limitedGreeter } from './setup.js';

let setup: Awaited<ReturnType<typeof limitedGreeter>>;
beforeAll(async () => {
  setup = await limitedGreeter({ points: 5, perSeconds: 600, pointsByMethod: { '/greeter.v1.Greeter/Chat': 1 } });
});
afterAll(() => setup.close());

/** How a chat ended, once it is closed from our side. */
function chatEnds(chat: grpc.ClientDuplexStream<unknown, unknown>): Promise<number> {
  chat.on('error', () => {});
  const ended = new Promise<number>((resolve) => chat.on('status', (s: grpc.StatusObject) => resolve(s.code)));
  chat.end();
  return ended;
}

it('lets one chat through, and refuses the second with RESOURCE_EXHAUSTED', async () => {
  const client = setup.client('chatter');
  expect(await chatEnds(client.Chat() as grpc.ClientDuplexStream<unknown, unknown>), 'first chat, status code').toBe(0);
  expect(await chatEnds(client.Chat() as grpc.ClientDuplexStream<unknown, unknown>), 'second chat, status code').toBe(8);
});

it('keeps SayHello on the default budget of 5, unspent by the chats', async () => {
  const client = setup.client('chatter');
  const ends = await Promise.all(Array.from({ length: 6 }, (_, i) => howItEnded(sayHello(client, `n${i}`))));
  expect(ends.filter((e) => e === 'OK').length, 'greetings answered').toBe(5);
});
