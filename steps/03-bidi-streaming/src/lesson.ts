// Lesson 03 as the step runner drives it: two members chat, a stalled third is
// dropped without slowing them down; `client` mode chats from stdin.
import { createInterface } from 'node:readline';
import { createGreeterClient } from '@course/01-unary';
import { type Lesson, pc, row, startStallProxy } from '@course/kit';
import type { ChatMessage__Output } from '@course/proto/gen/greeter/v1/ChatMessage';
import { describeEnd, joinChat } from './client.js';
import type { RoomEvent } from './room.js';
import { startGreeterServer } from './server.js';

/** Resolves once check() holds, polling briefly: the demo waits for deliveries it narrates. */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
}

const show = (me: string) => (m: ChatMessage__Output) => row(`${me} ← ${m.from}`, m.text);

export const lesson: Lesson = {
  step: '03',
  title: 'Bidirectional streaming',
  summary: 'Chat: a room where every message reaches every member, and a stalled member is dropped.',
  flags: {
    client: {
      name: { type: 'string', placeholder: 'NAME', description: 'who you are in the room (default "guest")', default: 'guest' },
    },
  },
  async demo() {
    const events: RoomEvent[] = [];
    const server = await startGreeterServer({ room: { onEvent: (e) => events.push(e) } });
    row('server', `listening on ${server.address}`);
    const client = createGreeterClient(server.address);
    const proxy = await startStallProxy(server);
    const slowClient = createGreeterClient(proxy.address);
    try {
      const seen = { ada: 0, bob: 0 };
      const ada = joinChat(client, 'ada', (m) => ++seen.ada <= 2 && show('ada')(m));
      const bob = joinChat(client, 'bob', (m) => ++seen.bob <= 2 && show('bob')(m));
      await until(() => server.room.size === 2);
      await ada.say("hi, I'm ada");
      await until(() => seen.ada === 1 && seen.bob === 1);
      await bob.say('hello ada!');
      await until(() => seen.ada === 2 && seen.bob === 2);

      // A third member stops reading: its messages wait in its own queue until
      // the queue is full, then the room drops it. Ada and Bob never wait.
      const sloth = joinChat(slowClient, 'sloth', () => {});
      await until(() => server.room.size === 3);
      await sloth.say('zzz');
      await until(() => seen.ada === 3);
      proxy.stall();
      row('sloth', pc.dim('stops reading (its connection stalls)'));
      const news = 200;
      for (let i = 1; i <= news; i++) await ada.say(`news #${i} ${'.'.repeat(900)}`);
      await until(() => seen.bob === 3 + news);
      const dropped = events.find((e) => e.type === 'dropped');
      if (dropped?.type === 'dropped') row('room', `dropped ${dropped.from} with ${dropped.queued} messages waiting`);
      row('bob', `got all ${news} of ada's messages meanwhile`);
      proxy.resume();
      row('sloth', `reads again, then: ${describeEnd(await sloth.ended)}`);
      row('ada', `leaves: ${describeEnd(await ada.leave())}`);
      row('bob', `leaves: ${describeEnd(await bob.leave())}`);
    } finally {
      client.close();
      slowClient.close();
      await proxy.close();
      await server.stop();
    }
    row('server', 'stopped');
  },
  serve: ({ host, port }) => startGreeterServer({ host, port }),
  async client({ target, flags }) {
    const name = String(flags.name);
    const client = createGreeterClient(target);
    try {
      const member = joinChat(client, name, show(name));
      // Each line typed is a message; end of input (Ctrl-D, or a pipe that
      // ends) leaves the room.
      for await (const line of createInterface({ input: process.stdin, terminal: false })) {
        if (line.trim() !== '') await member.say(line);
      }
      const status = await member.leave();
      if (status.code !== 0) throw Object.assign(new Error(describeEnd(status)), { code: status.code, details: status.details });
    } finally {
      client.close();
    }
  },
};
