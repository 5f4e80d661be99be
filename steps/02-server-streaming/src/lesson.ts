// Lesson 02 as the step runner drives it: a full stream, a cancelled one, a
// refused one, and a fast producer held back by backpressure.

import { EventEmitter, once } from 'node:events';
import { createGreeterClient, nameFlag } from '@course/01-unary';
import { type Lesson, parsePositiveInt, row, show } from '@course/kit';
import type { GreeterClient } from '@course/proto/gen/greeter/v1/Greeter';
import { streamGreetings } from './client.js';
import { MAX_COUNT, type StreamEvent, startGreeterServer } from './server.js';

/** Reads a stream to its end, printing each greeting; resolves to how many came. */
async function readAll(client: GreeterClient, name: string, count: number, stopAfter = Number.POSITIVE_INFINITY): Promise<number> {
  const call = streamGreetings(client, name, count);
  let received = 0;
  for await (const reply of call) {
    received++;
    row('reply', `#${reply.sequence} ${reply.message}`);
    // Cancelling ends the call on both sides: the server's 'cancelled' event fires.
    if (received === stopAfter) call.cancel();
  }
  return received;
}

export const lesson: Lesson = {
  step: '02',
  title: 'Server streaming',
  summary: 'StreamGreetings: many replies to one request, with backpressure and cancellation.',
  flags: {
    client: {
      name: nameFlag,
      count: { type: 'string', placeholder: 'N', description: `how many greetings (default 5, at most ${MAX_COUNT})` },
    },
  },
  async demo() {
    // The handler's hooks, which a real server would feed to its metrics, tell the demo what the server did.
    const events = new EventEmitter();
    const server = await startGreeterServer({ stream: { onEvent: (e) => events.emit(e.type, e) } });
    row('server', `listening on ${server.address}`);
    const client = createGreeterClient(server.address);
    try {
      await show('stream', '"Ada" × 3', async () => `${await readAll(client, 'Ada', 3)} greetings`);
      const stopped = once(events, 'done') as Promise<[Extract<StreamEvent, { type: 'done' }>]>;
      await show('stream', '"Bob" × 20', () => readAll(client, 'Bob', 20, 2));
      const [bob] = await stopped;
      row('server', `${bob.reason} after ${bob.sent} of 20: its timer is cleared, no work left`);
      await show('stream', `"Eve" × ${MAX_COUNT + 1}`, () => readAll(client, 'Eve', MAX_COUNT + 1));
    } finally {
      client.close();
      await server.stop();
    }

    // A producer with no pause between messages writes faster than the socket
    // drains: write() returns false and the handler waits for 'drain'.
    let pauses = 0;
    let mostBuffered = 0;
    const fast = await startGreeterServer({
      stream: {
        intervalMs: 0,
        onEvent(e) {
          if (e.type === 'backpressure') pauses++;
          if (e.type === 'sent') mostBuffered = Math.max(mostBuffered, e.buffered);
        },
      },
    });
    const fastClient = createGreeterClient(fast.address);
    try {
      let received = 0;
      for await (const _ of streamGreetings(fastClient, 'Zed', MAX_COUNT)) received++;
      row('fast', `${received} greetings with no interval: ${pauses} waits for 'drain', never more than ${mostBuffered} buffered`);
    } finally {
      fastClient.close();
      await fast.stop();
    }
    row('server', 'stopped');
  },
  serve: ({ host, port }) => startGreeterServer({ host, port }),
  async client({ target, flags }) {
    const client = createGreeterClient(target);
    const count = flags.count === undefined ? 0 : parsePositiveInt(flags.count, '--count');
    try {
      await readAll(client, String(flags.name), count);
    } finally {
      client.close();
    }
  },
};
