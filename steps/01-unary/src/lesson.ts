// Lesson 01 as the step runner drives it: the demo, `serve` and `client`.

import { type Flag, type Lesson, parsePositiveInt, row, show } from '@course/kit';
import type { GreeterClient } from '@course/proto/gen/greeter/v1/Greeter';
import { createGreeterClient, deadlineIn, sayHello } from './client.js';
import { MAX_NAME_LENGTH, startGreeterServer } from './server.js';

/** `--name`, which every Greeter client mode takes. */
export const nameFlag: Flag = { type: 'string', placeholder: 'NAME', description: 'who to greet (default "world")', default: 'world' };

/** Shows SayHello for each name, as the demos do: `"Ada" → OK  Hello, Ada!`, `"" → INVALID_ARGUMENT: …`. */
export async function showSayHello(client: GreeterClient, names: readonly string[] = ['Ada', '']): Promise<void> {
  for (const name of names) {
    const input = name.length > 20 ? `${name.length} × "${name[0]}"` : `"${name}"`;
    await show('SayHello', input, async () => (await sayHello(client, name)).message);
  }
}

export const lesson: Lesson = {
  step: '01',
  title: 'Unary RPC',
  summary: 'SayHello: one request, one reply, a deadline, and INVALID_ARGUMENT for a bad name.',
  flags: {
    client: {
      name: nameFlag,
      'deadline-ms': { type: 'string', placeholder: 'MS', description: 'how long the call may take (default 2000)' },
    },
  },
  async demo() {
    const server = await startGreeterServer();
    row('server', `listening on ${server.address}`);
    const client = createGreeterClient(server.address);
    try {
      await showSayHello(client, ['Ada', '', 'x'.repeat(MAX_NAME_LENGTH + 1)]);
    } finally {
      client.close();
      await server.stop();
    }
    row('server', 'stopped');
  },
  serve: ({ host, port }) => startGreeterServer({ host, port }),
  async client({ target, flags }) {
    const client = createGreeterClient(target);
    try {
      const deadlineMs = flags['deadline-ms'] === undefined ? undefined : parsePositiveInt(flags['deadline-ms'], '--deadline-ms');
      const options = deadlineMs === undefined ? {} : { deadline: deadlineIn(deadlineMs) };
      const reply = await sayHello(client, String(flags.name), options);
      row('SayHello', reply.message);
    } finally {
      client.close();
    }
  },
};
