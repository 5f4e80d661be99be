// Lesson 05 as the step runner drives it: no token, a wrong token, the right
// token, and a caller identity that reaches the handler.

import { nameFlag, sayHello } from '@course/01-unary';
import { streamGreetings } from '@course/02-server-streaming';
import { createLogger } from '@course/04-interceptors';
import { type Lesson, row, show } from '@course/kit';
import { tokenFromEnv } from './auth.js';
import { createGreeterClient } from './client.js';
import { startGreeterServer } from './server.js';

export const lesson: Lesson = {
  step: '05',
  title: 'Metadata auth',
  summary: 'A bearer token checked in a server interceptor, and the caller identity handed to handlers.',
  flags: {
    client: {
      name: nameFlag,
      user: { type: 'string', placeholder: 'ID', description: 'send x-user-id: ID' },
    },
  },
  async demo() {
    const token = tokenFromEnv();
    const logger = createLogger({ pretty: true, stacks: false, level: process.env.LOG_LEVEL ?? 'warn' });
    const server = await startGreeterServer({ logger, token });
    row('server', `listening on ${server.address} (token from AUTH_TOKEN, default dev-token)`);
    const clients = {
      none: createGreeterClient(server.address, { token: '' }),
      wrong: createGreeterClient(server.address, { token: 'not-the-token' }),
      right: createGreeterClient(server.address, { token }),
      user: createGreeterClient(server.address, { token, userId: 'u-42' }),
    };
    try {
      await show(
        'no token',
        '"Ada"',
        () => sayHello(clients.none, 'Ada'),
        (r) => r.message,
      );
      await show(
        'wrong',
        '"Ada"',
        () => sayHello(clients.wrong, 'Ada'),
        (r) => r.message,
      );
      await show(
        'stream',
        'wrong token',
        () => streamGreetings(clients.wrong, 'Ada', 2).toArray(),
        (r) => `${r.length}`,
      );
      await show(
        'token',
        '"Ada"',
        () => sayHello(clients.right, 'Ada'),
        (r) => r.message,
      );
      await show(
        'user u-42',
        '"Ada"',
        () => sayHello(clients.user, 'Ada'),
        (r) => r.message,
      );
    } finally {
      for (const client of Object.values(clients)) client.close();
      await server.stop();
    }
    row('server', 'stopped');
  },
  serve: ({ host, port }) => startGreeterServer({ host, port }),
  async client({ target, flags }) {
    // The token comes from the environment, never a flag: flags show up in `ps`.
    const client = createGreeterClient(target, { token: tokenFromEnv(), userId: flags.user as string | undefined });
    try {
      row('SayHello', (await sayHello(client, String(flags.name))).message);
    } finally {
      client.close();
    }
  },
};
