// What the chat exercises share: a room on a real server, and members whose inboxes a check can await.
import { EventEmitter, once } from 'node:events';
import { createGreeterClient } from '@course/01-unary';
import { type ChatServerHandle, joinChat, type Member, startGreeterServer } from '../src/index.js';

export interface Listener extends Member {
  /** What it received, as "from: text" lines. */
  inbox: string[];
  /** Resolves once a line equal to `line` has arrived (at once if it already has). */
  heard(line: string): Promise<void>;
}

export interface Room {
  server: ChatServerHandle;
  /** Joins as name; resolves once the room counts the new member. */
  join(name: string): Promise<Listener>;
  close(): Promise<void>;
}

export async function openRoom(): Promise<Room> {
  const joined = new EventEmitter();
  const server = await startGreeterServer({ room: { onEvent: (e) => e.type === 'joined' && joined.emit('joined') } });
  const client = createGreeterClient(server.address);
  return {
    server,
    async join(name) {
      const inbox: string[] = [];
      const arrivals = new EventEmitter();
      const counted = once(joined, 'joined');
      const member = joinChat(client, name, (m) => {
        inbox.push(`${m.from}: ${m.text}`);
        arrivals.emit('line');
      });
      await counted;
      return {
        ...member,
        inbox,
        async heard(line) {
          while (!inbox.includes(line)) await once(arrivals, 'line');
        },
      };
    },
    async close() {
      client.close();
      await server.stop();
    },
  };
}
