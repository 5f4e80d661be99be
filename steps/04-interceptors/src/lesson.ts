// Lesson 04 as the step runner drives it: every call logged once on each side,
// and a throwing handler turned into INTERNAL with the stack kept server-side.

import { nameFlag, sayHello, showSayHello } from '@course/01-unary';
import { streamGreetings } from '@course/02-server-streaming';
import { type Lesson, row, show } from '@course/kit';
import { createGreeterClient } from './client.js';
import { createLogger } from './logger.js';
import { startGreeterServer } from './server.js';

export const lesson: Lesson = {
  step: '04',
  title: 'Interceptors',
  summary: 'Logging and recovery interceptors on both sides, for unary and streaming calls.',
  flags: { client: { name: nameFlag } },
  async demo() {
    // The demo prints logs for people; `serve` writes JSON lines unless on a terminal.
    const logger = createLogger({ pretty: true, stacks: false });
    const server = await startGreeterServer({ logger });
    row('server', `listening on ${server.address}`);
    const client = createGreeterClient(server.address, { logger });
    // A second server whose SayHello has a bug: the client must learn nothing of it.
    const broken = await startGreeterServer({
      logger,
      handlers: {
        SayHello: () => {
          throw new Error('connect ECONNREFUSED db.internal:5432 (user=greeter)');
        },
      },
    });
    const brokenClient = createGreeterClient(broken.address, { logger });
    try {
      await showSayHello(client);
      await show(
        'stream',
        '"Bob" × 2',
        () => streamGreetings(client, 'Bob', 2).toArray(),
        (replies) => `${replies.length} greetings`,
      );
      await show(
        'broken',
        '"Ada"',
        () => sayHello(brokenClient, 'Ada'),
        (r) => r.message,
      );
    } finally {
      client.close();
      brokenClient.close();
      await Promise.all([server.stop(), broken.stop()]);
    }
    row('server', 'stopped');
  },
  serve: ({ host, port }) => startGreeterServer({ host, port }),
  async client({ target, flags }) {
    const client = createGreeterClient(target, { logger: createLogger() });
    try {
      row('SayHello', (await sayHello(client, String(flags.name))).message);
    } finally {
      client.close();
    }
  },
};
