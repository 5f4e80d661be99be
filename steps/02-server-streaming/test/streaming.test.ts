// StreamGreetings through a real server and channel: counts, limits,
// cancellation that stops the handler's timer, deadlines, and backpressure.

import { createGreeterClient } from '@course/01-unary';
import { isServiceError, STILL_PENDING, startStallProxy, within } from '@course/kit';
import type { HelloReply__Output } from '@course/proto/gen/greeter/v1/HelloReply';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_COUNT,
  DEFAULT_INTERVAL_MS,
  MAX_COUNT,
  STREAM_DEADLINE_MARGIN_MS,
  type StreamEvent,
  type StreamServerOptions,
  startGreeterServer,
  streamDeadlineMs,
  streamGreetings,
  streamGreetingsHandler,
} from '../src/index.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A server on port 0 and a client for it, closed after the test; `events` records what the handler did. */
async function setup(stream: StreamServerOptions['stream'] = {}, options: StreamServerOptions = {}) {
  const events: StreamEvent[] = [];
  const waiting: { type: StreamEvent['type']; resolve: (e: StreamEvent) => void }[] = [];
  /** The first event of this type, as soon as the handler reports it. */
  const first = <T extends StreamEvent['type']>(type: T) =>
    new Promise<Extract<StreamEvent, { type: T }>>((resolve) => {
      const seen = events.find((e) => e.type === type);
      if (seen) resolve(seen as Extract<StreamEvent, { type: T }>);
      else waiting.push({ type, resolve: resolve as (e: StreamEvent) => void });
    });
  const onEvent = (e: StreamEvent) => {
    events.push(e);
    for (const w of waiting.filter((w) => w.type === e.type)) {
      waiting.splice(waiting.indexOf(w), 1);
      w.resolve(e);
    }
  };
  const done = first('done');
  const server = await startGreeterServer({ ...options, stream: { ...stream, onEvent } });
  const client = createGreeterClient(server.address);
  cleanups.push(
    () => server.stop(),
    () => client.close(),
  );
  return { server, client, events, done, first };
}

/** Collects a stream's messages; resolves with them and the final status. */
function collect(call: grpc.ClientReadableStream<HelloReply__Output>) {
  const messages: HelloReply__Output[] = [];
  return new Promise<{ messages: HelloReply__Output[]; error?: grpc.ServiceError }>((resolve, reject) => {
    call.on('data', (m: HelloReply__Output) => messages.push(m));
    call.on('error', (error) => (isServiceError(error) ? resolve({ messages, error }) : reject(error)));
    call.on('end', () => resolve({ messages }));
  });
}

describe('StreamGreetings', () => {
  it('sends the requested number of greetings, numbered in order', async () => {
    const { client } = await setup({ intervalMs: 1 });
    const { messages, error } = await collect(streamGreetings(client, 'Ada', 4));
    expect(error).toBeUndefined();
    expect(messages).toEqual([1, 2, 3, 4].map((sequence) => ({ message: 'Hello, Ada!', sequence })));
  });

  it(`sends ${DEFAULT_COUNT} when count is 0`, async () => {
    const { client } = await setup({ intervalMs: 1 });
    const { messages } = await collect(streamGreetings(client, 'Ada', 0));
    expect(messages).toHaveLength(DEFAULT_COUNT);
  });

  it.each([
    ['a count over the maximum', 'Ada', MAX_COUNT + 1, `count must be at most ${MAX_COUNT}`],
    ['an empty name', '', 3, 'name is required'],
  ])('refuses %s with INVALID_ARGUMENT before sending anything', async (_, name, count, details) => {
    const { client, events } = await setup({ intervalMs: 1 });
    const { messages, error } = await collect(streamGreetings(client, name, count));
    expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error?.details).toContain(details);
    expect(messages).toEqual([]);
    expect(events).toEqual([]);
  });

  it('stops all work when the client cancels after the first message', async () => {
    // A long interval, and a check made as soon as the server has seen the
    // cancel: a handler that kept its timer would not be done by then.
    const events: StreamEvent[] = [];
    let checked!: (state: { done: StreamEvent | undefined; timers: number }) => void;
    const afterCancel = new Promise<{ done: StreamEvent | undefined; timers: number }>((resolve) => {
      checked = resolve;
    });
    const handler = streamGreetingsHandler({ intervalMs: 60_000, onEvent: (e) => events.push(e) });
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const { client } = await setup(
      {},
      {
        handlers: {
          StreamGreetings: (call) => {
            handler(call);
            // Registered after the handler's own listener, so it runs after it;
            // setImmediate lets the promise chain the cancel started settle first.
            call.once('cancelled', () => setImmediate(() => checked({ done: events.find((e) => e.type === 'done'), timers: timers() })));
          },
        },
      },
    );
    const timersBefore = timers();
    const call = streamGreetings(client, 'Ada', 10);
    const result = collect(call);
    call.once('data', () => call.cancel());
    const { messages, error } = await result;
    expect(error?.code).toBe(grpc.status.CANCELLED);
    expect(messages).toHaveLength(1);

    const state = await afterCancel;
    expect(state.done).toEqual({ type: 'done', sent: 1, reason: 'cancelled' });
    expect(state.timers).toBeLessThanOrEqual(timersBefore);
    expect(events.filter((e) => e.type === 'sent')).toHaveLength(1);
  });

  it('ends with DEADLINE_EXCEEDED when the stream outlives its deadline, and the handler stops', async () => {
    const { client, done } = await setup({ intervalMs: 100 });
    const { messages, error } = await collect(streamGreetings(client, 'Ada', 50, { deadline: new Date(Date.now() + 250) }));
    expect(error?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(messages.length).toBeGreaterThanOrEqual(1);
    expect(messages.length).toBeLessThan(50);
    expect((await done).reason).toBe('cancelled');
  });

  it("waits for 'drain' when write() returns false, never over-filling its buffer, and loses nothing", async () => {
    const { client, events } = await setup({ intervalMs: 0 });
    const { messages, error } = await collect(streamGreetings(client, 'Ada', MAX_COUNT));
    expect(error).toBeUndefined();
    expect(messages.map((m) => m.sequence)).toEqual(Array.from({ length: MAX_COUNT }, (_, i) => i + 1));
    expect(events.filter((e) => e.type === 'backpressure').length).toBeGreaterThan(0);
    // 16 is a Writable's default high-water mark in object mode: a handler that
    // ignored write()'s false would have buffered thousands.
    const mostBuffered = Math.max(...events.map((e) => (e.type === 'sent' ? e.buffered : 0)));
    expect(mostBuffered).toBeLessThanOrEqual(16);
  });
});

describe('the stream deadline', () => {
  it('grows with the count: interval × count + margin, so a long stream is not cut off', async () => {
    // The server paces at 1 ms here, so 400 greetings arrive at once; the client
    // still budgets for the default pacing a `serve` server uses (100 ms each).
    const deadlines: number[] = [];
    const server = await startGreeterServer({
      stream: { intervalMs: 1 },
      serverOptions: {
        interceptors: [
          (_, call) => {
            deadlines.push(new Date(call.getDeadline()).getTime());
            return new grpc.ServerInterceptingCall(call);
          },
        ],
      },
    });
    const client = createGreeterClient(server.address);
    cleanups.push(
      () => server.stop(),
      () => client.close(),
    );
    const sent = Date.now();
    const { messages, error } = await collect(streamGreetings(client, 'Ada', 400));
    expect(error).toBeUndefined();
    expect(messages).toHaveLength(400);
    const expected = 400 * DEFAULT_INTERVAL_MS + STREAM_DEADLINE_MARGIN_MS;
    expect(expected).toBe(streamDeadlineMs(400));
    // grpc-timeout carries the deadline to the server, rounded to what it can say.
    expect(deadlines[0]).toBeGreaterThanOrEqual(sent + expected - 1_000);
    expect(deadlines[0]).toBeLessThanOrEqual(Date.now() + expected + 1_000);
  });
});

describe('stop()', () => {
  it('ends within its stopTimeoutMs even when the client has stopped reading', async () => {
    // The reader's connection stalls: the server's writes back up in its
    // socket, and the connection can no longer close on its own.
    const { server, done, first } = await setup({ intervalMs: 0 }, { stopTimeoutMs: 300 });
    const proxy = await startStallProxy(server);
    const stalled = createGreeterClient(proxy.address);
    cleanups.push(
      () => proxy.close(),
      () => stalled.close(),
    );
    const call = streamGreetings(stalled, 'Ada', MAX_COUNT);
    call.on('error', () => {});
    call.once('data', () => proxy.stall());
    await first('backpressure');
    const outcome = await within(server.stop(), 10_000);
    expect(outcome).not.toBe(STILL_PENDING);
    expect((await done).reason).toBe('cancelled');
  });
});
