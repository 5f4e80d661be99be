// Resume a stream: `HelloRequest.start_after` (field 3) makes StreamGreetings continue after that sequence number, so a client that lost the stream picks up where it was.
import { createGreeterClient, type ServerHandle } from '@course/01-unary';
import { howItEnded } from '@course/kit';
import type { HelloReply__Output } from '@course/proto/gen/greeter/v1/HelloReply';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startGreeterServer } from '../src/index.js';

let server: ServerHandle;
let client: ReturnType<typeof createGreeterClient>;
beforeAll(async () => {
  server = await startGreeterServer({ stream: { intervalMs: 5 } });
  client = createGreeterClient(server.address);
});
afterAll(async () => {
  client.close();
  await server.stop();
});

// Built as a variable, not passed inline: the generated HelloRequest type has startAfter only once you add it.
const request = (count: number, startAfter: number) => ({ name: 'Ada', count, startAfter });
const sequences = async (count: number, startAfter: number) =>
  (await client.StreamGreetings(request(count, startAfter)).toArray()).map((r: HelloReply__Output) => r.sequence);

it('with startAfter 2 and count 5, sends sequences 3, 4 and 5', async () => {
  expect(await sequences(5, 2)).toEqual([3, 4, 5]);
});

it('with startAfter 0, sends the whole stream as before', async () => {
  expect(await sequences(4, 0)).toEqual([1, 2, 3, 4]);
});

it('refuses a startAfter that leaves nothing to send with INVALID_ARGUMENT', async () => {
  expect(await howItEnded(client.StreamGreetings(request(5, 5)).toArray())).toMatch(/^INVALID_ARGUMENT: /);
});

it('loses nothing and repeats nothing when a stream is cancelled after 3 replies and resumed', async () => {
  const seen: number[] = [];
  const first = client.StreamGreetings(request(8, 0));
  await new Promise<void>((resolve) => {
    first.on('data', (reply: HelloReply__Output) => {
      seen.push(reply.sequence);
      if (seen.length === 3) {
        first.cancel();
        resolve();
      }
    });
    first.on('error', () => {});
  });
  seen.push(...(await sequences(8, seen.at(-1) ?? 0)));
  expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
});
