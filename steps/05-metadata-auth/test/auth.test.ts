// Token auth through a real server: refused before the handler runs for every
// call shape, constant-time compare, caller identity in context, and a token
// that never reaches a log line or an error.
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { sayHello } from '@course/01-unary';
import { streamGreetings } from '@course/02-server-streaming';
import { joinChat } from '@course/03-bidi-streaming';
import { createLogger } from '@course/04-interceptors';
import { startLesson } from '@course/kit';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConfigError,
  createGreeterClient,
  currentCaller,
  DEV_TOKEN,
  startGreeterServer,
  tokenFromEnv,
  UNAUTHENTICATED_MESSAGE,
} from '../src/index.js';

const TOKEN = 's3cret-token-for-tests';
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const failure = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail('expected a failure'),
    (e: grpc.ServiceError) => e,
  );

async function setup() {
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _, done) {
      logs.push(String(chunk));
      done();
    },
  });
  let handled = 0;
  const seen: { userId: string | undefined; authorization: unknown }[] = [];
  const server = await startGreeterServer({
    token: TOKEN,
    logger: createLogger({ level: 'debug', pretty: false, destination }),
    handlers: {
      SayHello: async (call, callback) => {
        handled++;
        // After an await: the caller's context survives async hops.
        await new Promise((r) => setTimeout(r, 1));
        seen.push({ userId: currentCaller()?.userId, authorization: call.metadata.get('authorization')[0] });
        callback(null, { message: 'hi' });
      },
      StreamGreetings: (call) => {
        handled++;
        call.end();
      },
      Chat: (call) => {
        handled++;
        call.end();
      },
    },
  });
  const client = (token: string, userId?: string) => {
    const c = createGreeterClient(server.address, { token, userId });
    cleanups.push(() => c.close());
    return c;
  };
  cleanups.push(() => server.stop());
  return { server, client, logs, seen, handled: () => handled };
}

describe('auth interceptor', () => {
  it.each([
    ['no token', ''],
    ['a wrong token of the same length', 'x'.repeat(TOKEN.length)],
    ['a shorter token', 'short'],
    ['the token with a suffix', `${TOKEN}x`],
  ])('refuses %s with UNAUTHENTICATED before any handler runs, for every call shape', async (_, token) => {
    const { client, handled } = await setup();
    const c = client(token);
    const unary = await failure(sayHello(c, 'Ada'));
    const stream = await failure(streamGreetings(c, 'Ada', 2).toArray());
    const chat = await joinChat(c, 'ada', () => {}).ended;
    for (const status of [unary, stream, chat]) {
      expect(status.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(status.details).toBe(UNAUTHENTICATED_MESSAGE);
    }
    expect(handled()).toBe(0);
  });

  it('refuses a token sent without the Bearer scheme', async () => {
    const { server, handled } = await setup();
    const metadata = new grpc.Metadata();
    metadata.set('authorization', TOKEN);
    // Our client interceptor always sends the scheme, so make the call by hand.
    const raw = new (grpc.makeGenericClientConstructor({}, ''))(server.address, grpc.credentials.createInsecure());
    cleanups.push(() => raw.close());
    const err = await failure(
      new Promise((resolve, reject) =>
        raw.makeUnaryRequest(
          '/greeter.v1.Greeter/SayHello',
          () => Buffer.alloc(0),
          (b: Buffer) => b,
          {},
          metadata,
          { deadline: Date.now() + 2_000 },
          (e, r) => (e ? reject(e) : resolve(r)),
        ),
      ),
    );
    expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(handled()).toBe(0);
  });

  it('lets the right token through for every call shape', async () => {
    const { client, handled } = await setup();
    const c = client(TOKEN);
    expect((await sayHello(c, 'Ada')).message).toBe('hi');
    expect(await streamGreetings(c, 'Ada', 2).toArray()).toEqual([]);
    expect((await joinChat(c, 'ada', () => {}).ended).code).toBe(grpc.status.OK);
    expect(handled()).toBe(3);
  });

  it('hands x-user-id to the handler through its context, and hides the token from it', async () => {
    const { client, seen } = await setup();
    await sayHello(client(TOKEN, 'u-42'), 'Ada');
    await sayHello(client(TOKEN), 'Ada');
    expect(seen).toEqual([
      { userId: 'u-42', authorization: undefined },
      { userId: undefined, authorization: undefined },
    ]);
    expect(currentCaller()).toBeUndefined();
  });

  it('hands the caller to streaming handlers too: at start, in their data and end listeners', async () => {
    const seen: Record<string, string | undefined> = {};
    const server = await startGreeterServer({
      token: TOKEN,
      logger: createLogger({ level: 'silent', pretty: false }),
      handlers: {
        StreamGreetings: (call) => {
          seen.stream = currentCaller()?.userId;
          call.end();
        },
        Chat: (call) => {
          seen.chatStart = currentCaller()?.userId;
          call.on('data', () => {
            seen.chatData = currentCaller()?.userId;
          });
          call.on('end', () => {
            seen.chatEnd = currentCaller()?.userId;
            call.end();
          });
        },
      },
    });
    cleanups.push(() => server.stop());
    const c = createGreeterClient(server.address, { token: TOKEN, userId: 'u-7' });
    cleanups.push(() => c.close());
    await streamGreetings(c, 'Ada', 1).toArray();
    const member = joinChat(c, 'ada', () => {});
    await member.say('hi');
    expect((await member.leave()).code).toBe(grpc.status.OK);
    expect(seen).toEqual({ stream: 'u-7', chatStart: 'u-7', chatData: 'u-7', chatEnd: 'u-7' });
  });

  it.each([
    ['a malformed', 'bad id with spaces'],
    ['an over-long', 'u'.repeat(65)],
  ])('refuses %s x-user-id with INVALID_ARGUMENT', async (_, userId) => {
    const { client, handled } = await setup();
    const err = await failure(sayHello(client(TOKEN, userId), 'Ada'));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toContain('1 to 64');
    expect(handled()).toBe(0);
  });

  it('accepts an x-user-id of exactly 64 characters', async () => {
    const { client, seen } = await setup();
    await sayHello(client(TOKEN, 'u'.repeat(64)), 'Ada');
    expect(seen[0]?.userId).toBe('u'.repeat(64));
  });

  it('never writes a token, right or wrong, to a log line or an error', async () => {
    const wrong = 'wrong-token-9f8e7d';
    const { client, logs } = await setup();
    await sayHello(client(TOKEN, 'u-1'), 'Ada');
    const err = await failure(sayHello(client(wrong), 'Ada'));
    await failure(streamGreetings(client(wrong), 'Ada', 1).toArray());
    expect(logs.length).toBeGreaterThanOrEqual(3);
    const everything = [...logs, err.message, err.details, JSON.stringify(err.metadata.getMap())].join('\n');
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain(wrong);
    expect(everything).toContain('UNAUTHENTICATED');
  });
});

describe('the accepted token', () => {
  it('is AUTH_TOKEN, or dev-token outside production', () => {
    expect(tokenFromEnv({ AUTH_TOKEN: 'abc' })).toBe('abc');
    expect(tokenFromEnv({})).toBe(DEV_TOKEN);
  });

  it.each([{ NODE_ENV: 'production' }, { NODE_ENV: 'production', AUTH_TOKEN: DEV_TOKEN }])(
    'refuses the dev token in production: %j',
    (env) => {
      expect(() => tokenFromEnv(env)).toThrow(ConfigError);
    },
  );

  it('keeps a production server with the default token from starting: exit 2, one line', async () => {
    const server = startLesson(fileURLToPath(new URL('..', import.meta.url)), ['serve', '--port', '0'], {
      env: { NODE_ENV: 'production', AUTH_TOKEN: '' },
    });
    const { code, stdout, stderr } = await server.exited;
    expect(code).toBe(2);
    expect(stdout).not.toContain('listening');
    expect(stderr.trim()).toBe('error: AUTH_TOKEN must be set to a secret of your own when NODE_ENV=production');
  });
});
