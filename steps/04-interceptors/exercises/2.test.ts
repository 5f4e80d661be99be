// Message counts: every `served` line says how many messages the call `received` from the client and `sent` to it.
import { createGreeterClient, sayHello } from '@course/01-unary';
import { streamGreetings } from '@course/02-server-streaming';
import { joinChat } from '@course/03-bidi-streaming';
import { howItEnded } from '@course/kit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type LoggedServer, loggedServer } from './served.js';

let logged: LoggedServer;
let client: ReturnType<typeof createGreeterClient>;
beforeAll(async () => {
  logged = await loggedServer({ stream: { intervalMs: 1 } });
  client = createGreeterClient(logged.server.address);
});
afterAll(async () => {
  client.close();
  await logged.server.stop();
});

const counts = async () => {
  const { received, sent } = await logged.nextServed();
  return { received, sent };
};

it('counts a unary call as received 1, sent 1', async () => {
  await sayHello(client, 'Ada');
  expect(await counts()).toEqual({ received: 1, sent: 1 });
});

it('counts a stream of 3 greetings as received 1, sent 3', async () => {
  await streamGreetings(client, 'Ada', 3).toArray();
  expect(await counts()).toEqual({ received: 1, sent: 3 });
});

it('counts a chat of 2 messages, each relayed back, as received 2, sent 2', async () => {
  let heard = 0;
  let bothBack!: () => void;
  const back = new Promise<void>((resolve) => {
    bothBack = resolve;
  });
  const ada = joinChat(client, 'ada', () => ++heard === 2 && bothBack());
  await ada.say('one');
  await ada.say('two');
  await back;
  await ada.leave();
  expect(await counts()).toEqual({ received: 2, sent: 2 });
});

it('counts a refused call as received 1, sent 0', async () => {
  expect(await howItEnded(sayHello(client, ''))).toMatch(/^INVALID_ARGUMENT/);
  expect(await counts()).toEqual({ received: 1, sent: 0 });
});
