// Count the drops: the server's registry has a `greeter_chat_members_dropped_total` counter, by `grpc_code` (Go's names), of the chat members the room dropped.
import { EventEmitter, once } from 'node:events';
import { joinChat } from '@course/03-bidi-streaming';
import { startStallProxy } from '@course/kit';
import * as grpc from '@grpc/grpc-js';
import { afterEach, expect, it } from 'vitest';
import { type Scraped, scrapedServer } from './scraped.js';

const DROPPED = 'greeter_chat_members_dropped_total';
let scraped: Scraped;
afterEach(() => scraped.close());

const dropped = (grpc_code: string) => scraped.value(DROPPED, { grpc_code });

it('exists at 0 for InvalidArgument and ResourceExhausted before any drop', async () => {
  scraped = await scrapedServer();
  expect(await dropped('InvalidArgument'), `${DROPPED}{grpc_code="InvalidArgument"}`).toBe(0);
  expect(await dropped('ResourceExhausted'), `${DROPPED}{grpc_code="ResourceExhausted"}`).toBe(0);
});

it('counts a member dropped for an empty message as InvalidArgument', async () => {
  scraped = await scrapedServer();
  const ada = joinChat(scraped.client(), 'ada', () => {});
  ada.call.write({ from: 'ada', text: '' });
  expect((await ada.ended).code).toBe(grpc.status.INVALID_ARGUMENT);
  expect(await dropped('InvalidArgument'), `${DROPPED}{grpc_code="InvalidArgument"}`).toBe(1);
});

it('counts a member that stopped reading as ResourceExhausted, once', async () => {
  scraped = await scrapedServer({ room: { maxQueue: 8 } });
  const proxy = await startStallProxy(scraped.server);
  const heard = new Set<string>();
  const arrivals = new EventEmitter();
  const hears = async (text: string) => {
    while (!heard.has(text)) await once(arrivals, 'text');
  };
  try {
    const ada = joinChat(scraped.client(), 'ada', (m) => heard.add(m.text) && arrivals.emit('text'));
    const sloth = joinChat(scraped.client(proxy.address.replace('127.0.0.1', 'localhost')), 'sloth', () => {});
    // Each is in the room once ada hears what it says.
    await ada.say('ada is here');
    await hears('ada is here');
    await sloth.say('sloth is here');
    await hears('sloth is here');
    proxy.stall();
    const last = 199;
    for (let i = 0; i <= last; i++) await ada.say(`${i} ${'.'.repeat(1000)}`);
    await hears(`${last} ${'.'.repeat(1000)}`);
    expect(await dropped('ResourceExhausted'), `${DROPPED}{grpc_code="ResourceExhausted"}`).toBe(1);
    proxy.resume();
    expect((await sloth.ended).code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    await ada.leave();
  } finally {
    // A stalled reader would hold the server's stop.
    proxy.resume();
    await proxy.close();
  }
});
