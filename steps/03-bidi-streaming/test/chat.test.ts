// Chat through a real server: fan-out to every member, leaving, bad input,
// a stalled member dropped without delaying the rest, and stdin client mode.
import { fileURLToPath } from 'node:url';
import { createGreeterClient } from '@course/01-unary';
import { STILL_PENDING, startLesson, startStallProxy, within } from '@course/kit';
import type { ChatMessage__Output } from '@course/proto/gen/greeter/v1/ChatMessage';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { type ChatServerOptions, joinChat, MAX_FROM_LENGTH, MAX_TEXT_LENGTH, type RoomEvent, startGreeterServer } from '../src/index.js';

const step = fileURLToPath(new URL('..', import.meta.url));

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function until(check: () => boolean, what: string): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > 10_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function setup(room: ChatServerOptions['room'] = {}) {
  const events: RoomEvent[] = [];
  const server = await startGreeterServer({ room: { ...room, onEvent: (e) => events.push(e) } });
  const client = createGreeterClient(server.address);
  cleanups.push(
    () => server.stop(),
    () => client.close(),
  );
  /** Joins as name and records what it receives. */
  const member = (name: string, target = client) => {
    const inbox: ChatMessage__Output[] = [];
    return { inbox, ...joinChat(target, name, (m) => inbox.push(m)) };
  };
  return { server, client, events, member };
}

const texts = (inbox: ChatMessage__Output[]) => inbox.map((m) => `${m.from}: ${m.text}`);

describe('Chat', () => {
  it('delivers every message to every member, the sender included, in order', async () => {
    const { server, member } = await setup();
    const ada = member('ada');
    const bob = member('bob');
    await until(() => server.room.size === 2, 'two members');
    await ada.say('one');
    await bob.say('two');
    await ada.say('three');
    await until(() => ada.inbox.length === 3 && bob.inbox.length === 3, 'three deliveries each');
    // Each sender's own messages keep their order; the room may interleave senders.
    for (const inbox of [ada.inbox, bob.inbox]) {
      expect(texts(inbox).filter((t) => t.startsWith('ada'))).toEqual(['ada: one', 'ada: three']);
      expect(texts(inbox)).toContain('bob: two');
    }
    expect((await ada.leave()).code).toBe(grpc.status.OK);
    expect((await bob.leave()).code).toBe(grpc.status.OK);
  });

  it('removes a member that leaves or cancels, and stops sending to it', async () => {
    const { server, events, member } = await setup();
    const ada = member('ada');
    const bob = member('bob');
    const cat = member('cat');
    await until(() => server.room.size === 3, 'three members');
    expect((await bob.leave()).code).toBe(grpc.status.OK);
    cat.call.cancel();
    expect((await cat.ended).code).toBe(grpc.status.CANCELLED);
    await until(() => server.room.size === 1, 'only ada left');
    expect(events.filter((e) => e.type === 'left')).toHaveLength(2);
    await ada.say('anyone?');
    await until(() => ada.inbox.length === 1, 'ada hears herself');
    expect(bob.inbox).toEqual([]);
    expect(cat.inbox).toEqual([]);
    await ada.leave();
  });

  it.each([
    ['an empty text', { from: 'ada', text: '' }, 'text must be'],
    ['an over-long text', { from: 'ada', text: 'x'.repeat(MAX_TEXT_LENGTH + 1) }, 'text must be'],
    ['an empty sender', { from: '', text: 'hi' }, 'from must be'],
    ['an over-long sender', { from: 'x'.repeat(MAX_FROM_LENGTH + 1), text: 'hi' }, 'from must be'],
  ])('ends only the sender of %s with INVALID_ARGUMENT', async (_, message, details) => {
    const { server, member } = await setup();
    const ada = member('ada');
    const bob = member('bob');
    await until(() => server.room.size === 2, 'two members');
    ada.call.write(message);
    const status = await ada.ended;
    expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(status.details).toContain(details);
    await bob.say('still here');
    await until(() => bob.inbox.length === 1, 'bob still served');
    expect(server.room.size).toBe(1);
    await bob.leave();
  });

  it('drops a stalled member with RESOURCE_EXHAUSTED while the others get everything', async () => {
    // More than the ~64 of these 1 KB messages that HTTP/2's 64 KiB window
    // lets the transport hold for a member that does not read.
    const maxQueue = 100;
    const { server, events, member } = await setup({ maxQueue });
    const proxy = await startStallProxy(server);
    const slowClient = createGreeterClient(proxy.address);
    cleanups.push(
      () => proxy.close(),
      () => slowClient.close(),
    );
    const ada = member('ada');
    const bob = member('bob');
    const sloth = member('sloth', slowClient);
    await until(() => server.room.size === 3, 'three members');
    proxy.stall();
    const sent = 300;
    for (let i = 0; i < sent; i++) await ada.say(`${i} ${'.'.repeat(1000)}`);
    await until(() => bob.inbox.length === sent && ada.inbox.length === sent, 'every message at ada and bob');
    const dropped = events.filter((e) => e.type === 'dropped');
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, queued: maxQueue });
    expect(server.room.size).toBe(2);

    proxy.resume();
    const status = await sloth.ended;
    expect(status.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(status.details).toContain('too slow');
    // What the transport had already taken still arrives, in order, then the
    // status. The messages that were waiting in the room never do.
    expect(sloth.inbox.length).toBeGreaterThan(0);
    expect(sloth.inbox.length).toBeLessThan(maxQueue);
    expect(sloth.inbox.map((m) => Number(m.text.split(' ')[0]))).toEqual(sloth.inbox.map((_, i) => i));
    await ada.leave();
    await bob.leave();
  });

  it('ends every member with UNAVAILABLE when the server stops', async () => {
    const { server, member } = await setup();
    const ada = member('ada');
    await until(() => server.room.size === 1, 'ada joined');
    await server.stop();
    const status = await ada.ended;
    expect(status.code).toBe(grpc.status.UNAVAILABLE);
  });
});

describe('client mode', () => {
  it('sends each stdin line to the room and leaves at end of input', async () => {
    const { server, member } = await setup();
    const watcher = member('watcher');
    await until(() => server.room.size === 1, 'watcher joined');
    const ada = startLesson(step, ['client', '--target', server.address, '--name', 'ada']);
    ada.child.stdin.write('hello\n\nworld\n');
    await until(() => watcher.inbox.length === 2, 'two lines relayed');
    ada.child.stdin.end();
    const { code, stdout, stderr } = await ada.exited;
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(texts(watcher.inbox)).toEqual(['ada: hello', 'ada: world']);
    expect(stdout).toMatch(/ada ← ada\s+hello/);
    await watcher.leave();
  });
});

describe('serve', () => {
  /** `serve` in its own process, a member whose connection has stalled with writes pending, and one that is fine. */
  async function serveWithStalledMember() {
    const lesson = startLesson(step, ['serve', '--port', '0']);
    cleanups.push(() => lesson.child.kill('SIGKILL'));
    const [host = '', port = ''] = (await lesson.listening).split(':');
    const proxy = await startStallProxy({ host, port: Number(port) });
    const direct = createGreeterClient(`${host}:${port}`);
    const stalled = createGreeterClient(proxy.address);
    cleanups.push(
      () => proxy.close(),
      () => direct.close(),
      () => stalled.close(),
    );
    // Each hears the other once both are in the room; then the sloth's connection stalls.
    const adaInbox: ChatMessage__Output[] = [];
    const ada = joinChat(direct, 'ada', (m) => adaInbox.push(m));
    await ada.say('hello');
    await until(() => adaInbox.length === 1, 'ada in the room');
    const slothInbox: ChatMessage__Output[] = [];
    const sloth = joinChat(stalled, 'sloth', (m) => slothInbox.push(m));
    await sloth.say('zzz');
    await until(() => adaInbox.length === 2 && slothInbox.length === 1, 'the sloth in the room');
    proxy.stall();
    // One message at a time, each sent once ada hears the one before: a
    // burst read all at once could fill even a quick member's queue. When
    // ada hears a message, the room has queued it for the sloth too.
    for (let i = 0; i < 100; i++) {
      await ada.say(`${i} ${'.'.repeat(1000)}`);
      await until(() => adaInbox.length === 3 + i, `ada hears message ${i}`);
    }
    return lesson;
  }

  it('exits 0 after one SIGTERM while a member has stalled with messages pending', async () => {
    const lesson = await serveWithStalledMember();
    lesson.child.kill('SIGTERM');
    // The server's grace period is 5 s (lesson 01's stopTimeoutMs); a hang would go on forever.
    const exit = await within(lesson.exited, 15_000);
    expect(exit === STILL_PENDING ? exit : exit.code).toBe(0);
    expect(lesson.stdout()).toMatch(/SIGTERM: stopping[\s\S]*stopped\n$/);
  }, 30_000);

  it('exits at once, without waiting for the stop, on a second signal', async () => {
    const lesson = await serveWithStalledMember();
    lesson.child.kill('SIGTERM');
    await until(() => lesson.stdout().includes('SIGTERM: stopping'), 'the stop to begin');
    lesson.child.kill('SIGINT');
    const exit = await within(lesson.exited, 15_000);
    expect(exit === STILL_PENDING ? exit : exit.code).toBe(130);
    expect(lesson.stdout()).not.toContain('stopped');
  }, 30_000);
});
