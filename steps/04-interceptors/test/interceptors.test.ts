// Logging, recovery and interceptor order, through a real server and channel.
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { DEFAULT_DEADLINE_MS, sayHello } from '@course/01-unary';
import { streamGreetings } from '@course/02-server-streaming';
import { joinChat } from '@course/03-bidi-streaming';
import { ConfigError, isServiceError, startLesson } from '@course/kit';
import type { ChatMessage__Output } from '@course/proto/gen/greeter/v1/ChatMessage';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { createGreeterClient, createLogger, INTERNAL_MESSAGE, type LoggedServerOptions, startGreeterServer } from '../src/index.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A logger whose JSON lines the test can read. */
function capturedLogger(level = 'info') {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger({ level, pretty: false, destination }) };
}

async function setup(options: LoggedServerOptions = {}, level = 'info') {
  const { lines, logger } = capturedLogger(level);
  const server = await startGreeterServer({ logger, ...options });
  const client = createGreeterClient(server.address);
  cleanups.push(
    () => server.stop(),
    () => client.close(),
  );
  const served = () => lines.filter((l) => l.msg === 'served');
  return { server, client, lines, served };
}

async function until(check: () => boolean): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > 5_000) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail('expected a failure'),
    (e: grpc.ServiceError) => e,
  );

describe('logging interceptor', () => {
  it('writes one line per unary call with method, code, duration and peer', async () => {
    const { client, served } = await setup();
    await sayHello(client, 'Ada');
    await failure(sayHello(client, ''));
    await until(() => served().length === 2);
    const [ok, bad] = served();
    expect(ok).toMatchObject({
      level: 30,
      method: '/greeter.v1.Greeter/SayHello',
      code: 'OK',
      peer: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
    });
    expect(ok?.duration_ms).toEqual(expect.any(Number));
    expect(bad).toMatchObject({ level: 40, code: 'INVALID_ARGUMENT' });
  });

  it('logs a server stream and a chat once each, when they end', async () => {
    const { client, served, server } = await setup({ stream: { intervalMs: 1 } });
    await streamGreetings(client, 'Ada', 3).toArray();
    const member = joinChat(client, 'ada', () => {});
    await until(() => server.room.size === 1);
    await member.say('hi');
    await member.leave();
    await until(() => served().length === 2);
    expect(served().map((l) => [l.method, l.code])).toEqual([
      ['/greeter.v1.Greeter/StreamGreetings', 'OK'],
      ['/greeter.v1.Greeter/Chat', 'OK'],
    ]);
  });

  it('logs a call the client cancels as CANCELLED, once, with its peer', async () => {
    const { client, served, server } = await setup({ stream: { intervalMs: 50 } });
    const call = streamGreetings(client, 'Ada', 10);
    call.on('error', () => {});
    call.once('data', () => call.cancel());
    await until(() => served().length === 1);
    // Once the server has stopped, every call has ended: nothing more can be logged.
    await server.stop();
    expect(served()).toHaveLength(1);
    expect(served()[0]).toMatchObject({
      code: 'CANCELLED',
      method: '/greeter.v1.Greeter/StreamGreetings',
      peer: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
    });
  });

  it('logs a call whose deadline passed as DEADLINE_EXCEEDED, not CANCELLED', async () => {
    // grpc-js ends such a call below the interceptors: they see only a cancel.
    const { client, served } = await setup({
      handlers: {
        SayHello: (call, callback) => {
          setTimeout(() => callback(null, { message: `late hello, ${call.request.name}` }), 300);
        },
      },
    });
    const err = await failure(sayHello(client, 'Ada', { deadline: new Date(Date.now() + 100) }));
    expect(err.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    await until(() => served().length === 1);
    expect(served()[0]).toMatchObject({ code: 'DEADLINE_EXCEEDED', method: '/greeter.v1.Greeter/SayHello' });
  });

  it('logs a chat client killed with Ctrl-C as CANCELLED, with the peer it had', async () => {
    const { client, served, server } = await setup();
    const inbox: ChatMessage__Output[] = [];
    const watcher = joinChat(client, 'watcher', (m) => inbox.push(m));
    await until(() => server.room.size === 1);
    // Lesson 03's chat client, in its own process, as a person runs it.
    const chat = startLesson(fileURLToPath(new URL('../../03-bidi-streaming/', import.meta.url)), [
      'client',
      '--target',
      server.address,
      '--name',
      'ada',
    ]);
    chat.child.stdin.write('hello\n');
    await until(() => inbox.length === 1);
    chat.child.kill('SIGINT');
    await chat.exited;
    await until(() => served().length === 1);
    expect(served()[0]).toMatchObject({
      method: '/greeter.v1.Greeter/Chat',
      code: 'CANCELLED',
      peer: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
    });
    await watcher.leave();
  });

  it('follows the level: at warn, OK calls are not logged and failures are', async () => {
    const { client, served } = await setup({}, 'warn');
    await sayHello(client, 'Ada');
    await failure(sayHello(client, ''));
    await until(() => served().length === 1);
    expect(served()[0]).toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('takes its level from LOG_LEVEL', () => {
    const before = process.env.LOG_LEVEL;
    process.env.LOG_LEVEL = 'error';
    try {
      expect(createLogger({ pretty: false }).level).toBe('error');
    } finally {
      if (before === undefined) delete process.env.LOG_LEVEL;
      else process.env.LOG_LEVEL = before;
    }
  });
});

describe('recovery', () => {
  const secret = 'password=hunter2 at db.internal';

  it.each([
    [
      'throws',
      () => {
        throw new Error(secret);
      },
    ],
    [
      'rejects',
      async () => {
        throw new Error(secret);
      },
    ],
  ])('turns a unary handler that %s into INTERNAL with a generic message, and logs the stack', async (_, SayHello) => {
    const { client, lines } = await setup({ handlers: { SayHello } });
    const err = await failure(sayHello(client, 'Ada'));
    expect(isServiceError(err)).toBe(true);
    expect(err.code).toBe(grpc.status.INTERNAL);
    expect(err.details).toBe(INTERNAL_MESSAGE);
    expect(JSON.stringify(err.metadata.getMap())).not.toContain('hunter2');
    expect(err.message).not.toContain('hunter2');
    await until(() => lines.some((l) => l.msg === 'handler failed'));
    const logged = lines.find((l) => l.msg === 'handler failed') as { err: { stack: string }; method: string };
    expect(logged.method).toBe('/greeter.v1.Greeter/SayHello');
    expect(logged.err.stack).toContain(secret);
  });

  it('turns a throwing streaming handler into INTERNAL', async () => {
    const { client } = await setup({
      handlers: {
        StreamGreetings: () => {
          throw new Error(secret);
        },
      },
    });
    const err = await failure(streamGreetings(client, 'Ada', 2).toArray());
    expect(err.code).toBe(grpc.status.INTERNAL);
    expect(err.details).toBe(INTERNAL_MESSAGE);
  });

  it('keeps serving after a handler failed', async () => {
    let calls = 0;
    const { client } = await setup({
      handlers: {
        SayHello: (call, callback) => {
          if (calls++ === 0) throw new Error('first call fails');
          callback(null, { message: `Hello, ${call.request.name}!` });
        },
      },
    });
    await failure(sayHello(client, 'Ada'));
    expect((await sayHello(client, 'Ada')).message).toBe('Hello, Ada!');
  });
});

describe('interceptor order', () => {
  it('runs server interceptors first-to-last on the way in and last-to-first on the way out', async () => {
    const seen: string[] = [];
    const probe =
      (name: string): grpc.ServerInterceptor =>
      (_, call) =>
        new grpc.ServerInterceptingCall(
          call,
          new grpc.ResponderBuilder()
            .withStart((next) =>
              next(
                new grpc.ServerListenerBuilder()
                  .withOnReceiveMetadata((m, nextM) => {
                    seen.push(`${name} in`);
                    nextM(m);
                  })
                  .build(),
              ),
            )
            .withSendStatus((status, next) => {
              seen.push(`${name} out`);
              next(status);
            })
            .build(),
        );
    const { client } = await setup({
      serverOptions: { interceptors: [probe('a'), probe('b')] },
      handlers: {
        SayHello: (_, callback) => {
          seen.push('handler');
          callback(null, { message: 'hi' });
        },
      },
    });
    await sayHello(client, 'Ada');
    expect(seen).toEqual(['a in', 'b in', 'handler', 'b out', 'a out']);
  });

  it('runs client interceptors first-to-last on the way out and last-to-first on the way back', async () => {
    const seen: string[] = [];
    const probe =
      (name: string): grpc.Interceptor =>
      (options, nextCall) =>
        new grpc.InterceptingCall(nextCall(options), {
          start(metadata, _listener, next) {
            seen.push(`${name} out`);
            next(metadata, {
              onReceiveStatus: (status, nextStatus) => {
                seen.push(`${name} back`);
                nextStatus(status);
              },
            });
          },
        });
    const { server } = await setup();
    const client = createGreeterClient(server.address, { channelOptions: { interceptors: [probe('a'), probe('b')] } });
    cleanups.push(() => client.close());
    await sayHello(client, 'Ada');
    expect(seen).toEqual(['a out', 'b out', 'b back', 'a back']);
  });
});

describe('client interceptors', () => {
  it('log one line per call on the client side', async () => {
    const { server } = await setup();
    const { lines, logger } = capturedLogger();
    const client = createGreeterClient(server.address, { logger });
    cleanups.push(() => client.close());
    await sayHello(client, 'Ada');
    await failure(sayHello(client, ''));
    expect(lines.map((l) => [l.msg, l.method, l.code])).toEqual([
      ['called', '/greeter.v1.Greeter/SayHello', 'OK'],
      ['called', '/greeter.v1.Greeter/SayHello', 'INVALID_ARGUMENT'],
    ]);
  });

  it('give a unary call without a deadline a finite one, and leave streams alone', async () => {
    const deadlines: number[] = [];
    const { client, server } = await setup({
      handlers: {
        SayHello: (call, callback) => {
          deadlines.push(Number(call.getDeadline()));
          callback(null, { message: 'hi' });
        },
        Chat: (call) => {
          deadlines.push(Number(call.getDeadline()));
          call.end();
        },
      },
    });
    await new Promise((resolve, reject) => client.SayHello({ name: 'Ada' }, (e, r) => (e ? reject(e) : resolve(r))));
    const member = joinChat(client, 'ada', () => {});
    await member.ended;
    expect(server.room.size).toBe(0);
    expect(deadlines[0]).toBeLessThan(Date.now() + 5_000);
    expect(deadlines[1]).toBe(Number.POSITIVE_INFINITY);
  });

  it.each([
    ['later', 60_000],
    ['sooner', 500],
  ])('keep a deadline the caller set, %s than the default', async (_, ms) => {
    let seen = 0;
    const { client } = await setup({
      handlers: {
        SayHello: (call, callback) => {
          seen = Number(call.getDeadline());
          callback(null, { message: 'hi' });
        },
      },
    });
    const deadline = Date.now() + ms;
    await new Promise((resolve, reject) => client.SayHello({ name: 'Ada' }, { deadline }, (e, r) => (e ? reject(e) : resolve(r))));
    // It travels as a timeout, so the server's copy is off by the transit
    // time; the default one would be over a second away.
    expect(Math.abs(seen - deadline)).toBeLessThan(250);
    expect(Math.abs(DEFAULT_DEADLINE_MS - ms)).toBeGreaterThan(1_000);
  });
});

describe('LOG_LEVEL', () => {
  const LEVELS_LINE = "LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent, got 'warning'";

  it('names the levels there are when it is not one of them', () => {
    expect(() => createLogger({ level: 'warning' })).toThrow(new ConfigError(LEVELS_LINE));
  });

  it('stops the client with that one line and exit 2, before it calls anyone', async () => {
    const step = fileURLToPath(new URL('..', import.meta.url));
    const { code, stdout, stderr } = await startLesson(step, ['client', '--target', '127.0.0.1:1'], { env: { LOG_LEVEL: 'warning' } })
      .exited;
    expect({ code, stdout, stderr }).toEqual({ code: 2, stdout: '', stderr: `error: ${LEVELS_LINE}\n` });
  });
});
