// The ids through a real Greeter and a real Logger: they travel both hops and
// are kept, a request id is made up when missing and always answered with
// (in the trailers when a call fails before any response),
// only the allow-list travels, the Greeter's own token goes to the Logger,
// and each call keeps its own ids however many run at once.
import { on } from 'node:events';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { createLogger } from '@course/04-interceptors';
import { metadataInterceptor } from '@course/05-metadata-auth';
import { createGreeterClient } from '@course/08-prometheus-metrics';
import { createLoggerClient, listEntries } from '@course/10-two-services';
import { temporaryCertificates } from '@course/kit/temporary-certs';
import type { GreeterHandlers } from '@course/proto/gen/greeter/v1/Greeter';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { forwardingInterceptor, logFields, REQUEST_ID, sayHelloWithIds, startGreeterServer, startLoggerServer } from '../src/index.js';
import { headerRecorder } from '../src/lesson.js';

const TOKEN = 'propagation-greeter-token';
const LOGGER_TOKEN = 'propagation-logger-token';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ANY_PORT = { host: '127.0.0.1', port: 0 };
const { certs, remove } = await temporaryCertificates('course-propagation-');
afterAll(remove);
const stops: (() => unknown)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

/** A Logger and a Greeter in front of it; the metadata each Log call arrives with; the Greeter's log lines. */
async function setup(handlers?: Partial<GreeterHandlers>) {
  const atLogger: grpc.Metadata[] = [];
  const logger = await startLoggerServer({
    certs,
    token: LOGGER_TOKEN,
    graceMs: 1_000,
    metricsAddress: ANY_PORT,
    logger: createLogger({ level: 'silent', pretty: false }),
    serverOptions: { interceptors: [headerRecorder((path, metadata) => path.endsWith('/Log') && atLogger.push(metadata))] },
  });
  const lines = new PassThrough();
  const greeter = await startGreeterServer({
    certs,
    token: TOKEN,
    loggerToken: LOGGER_TOKEN,
    loggerTarget: `localhost:${logger.port}`,
    graceMs: 1_000,
    metricsAddress: ANY_PORT,
    logger: createLogger({ level: 'info', pretty: false, destination: lines, mixin: logFields }),
    handlers,
  });
  const client = createGreeterClient(`localhost:${greeter.port}`, { ca: certs.ca, token: TOKEN });
  stops.push(
    () => logger.stop(),
    () => greeter.stop(),
    () => client.close(),
  );
  const logLines = on(createInterface({ input: lines }), 'line');
  return { logger, greeter, client, atLogger, logLines };
}

describe('x-user-id and x-request-id', () => {
  it('travel from the caller through the Greeter to the Logger, which keeps them', async () => {
    const { logger, client } = await setup();
    const answer = await sayHelloWithIds(client, 'Ada', { userId: 'u-42', requestId: 'req-1' });
    expect(answer).toMatchObject({ reply: { message: 'Hello, Ada! (for user u-42)' }, requestId: 'req-1' });
    expect(logger.book.newest().map((e) => [e.entry?.text, e.userId, e.requestId])).toEqual([
      ['Hello, Ada! (for user u-42)', 'u-42', 'req-1'],
    ]);
  });

  it('get a request id made up when the caller sends none, the same one at every hop', async () => {
    const { logger, client } = await setup();
    const answer = await sayHelloWithIds(client, 'Bob');
    expect(answer.requestId).toMatch(UUID);
    expect(logger.book.newest()[0]).toMatchObject({ userId: '', requestId: answer.requestId });
    // A second call gets a fresh one.
    expect((await sayHelloWithIds(client, 'Bob')).requestId).not.toBe(answer.requestId);
  });

  it('replace a request id that does not look like one', async () => {
    const { logger, client } = await setup();
    for (const requestId of ['not an id; has spaces', 'x'.repeat(129)]) {
      const answer = await sayHelloWithIds(client, 'Cy', { requestId });
      expect(answer.requestId).toMatch(UUID);
      expect(logger.book.newest(1)[0]?.requestId).toBe(answer.requestId);
    }
  });

  it('answer with the request id in the response headers of a call that works', async () => {
    const { client } = await setup();
    expect(await sayHelloWithIds(client, 'Ada', { requestId: 'req-ok' })).toMatchObject({ requestId: 'req-ok', requestIdIn: 'headers' });
  });

  it('answer with the request id in the trailers of a call that fails before any response: no headers are forced', async () => {
    const { client, greeter } = await setup();
    const invalid = await sayHelloWithIds(client, '', { requestId: 'req-invalid' });
    expect(invalid).toMatchObject({ error: { code: grpc.status.INVALID_ARGUMENT }, requestId: 'req-invalid', requestIdIn: 'trailers' });
    // Refused by auth, before any handler: the id is still there.
    const stranger = createGreeterClient(`localhost:${greeter.port}`, { ca: certs.ca, token: 'not-the-token' });
    stops.push(() => stranger.close());
    const refused = await sayHelloWithIds(stranger, 'Eve', { requestId: 'req-refused' });
    expect(refused).toMatchObject({ error: { code: grpc.status.UNAUTHENTICATED }, requestId: 'req-refused', requestIdIn: 'trailers' });
    const madeUp = await sayHelloWithIds(stranger, 'Eve');
    expect(madeUp).toMatchObject({ requestId: expect.stringMatching(UUID), requestIdIn: 'trailers' });
  });

  it('go in a copy of a handler’s trailers: one Metadata shared by its failures keeps no call’s id', async () => {
    const shared = new grpc.Metadata();
    shared.set('x-reason', 'maintenance');
    const { client } = await setup({
      SayHello: (_call, callback) => callback({ code: grpc.status.UNAVAILABLE, details: 'down', metadata: shared }),
    });
    const answers = await Promise.all(['req-a', 'req-b'].map((requestId) => sayHelloWithIds(client, 'Ada', { requestId })));
    expect(answers.map((a) => [a.requestId, a.requestIdIn, a.error?.metadata.get('x-reason')[0]])).toEqual([
      ['req-a', 'trailers', 'maintenance'],
      ['req-b', 'trailers', 'maintenance'],
    ]);
    expect(shared.get(REQUEST_ID)).toEqual([]);
  });

  it('stay with their own call, however many calls run at once', async () => {
    const { logger, client } = await setup();
    const users = Array.from({ length: 20 }, (_, i) => `u-${i}`);
    const answers = await Promise.all(users.map((u) => sayHelloWithIds(client, 'Ada', { userId: u, requestId: `req-${u}` })));
    expect(answers.map((a) => a.requestId)).toEqual(users.map((u) => `req-${u}`));
    const kept = logger.book.newest();
    expect(kept).toHaveLength(20);
    for (const e of kept) {
      expect(e.entry?.text).toBe(`Hello, Ada! (for user ${e.userId})`);
      expect(e.requestId).toBe(`req-${e.userId}`);
    }
  });

  it('appear in the Greeter’s log lines, beside the trace ids', async () => {
    const { client, logLines } = await setup();
    await sayHelloWithIds(client, 'Ada', { requestId: 'req-logged' });
    for (;;) {
      const line = JSON.parse(String((await logLines.next()).value[0])) as { msg: string; method: string; request_id?: string };
      if (line.msg !== 'served' || line.method !== '/greeter.v1.Greeter/SayHello') continue;
      expect(line.request_id).toBe('req-logged');
      break;
    }
  });
});

describe('what the Greeter sends the Logger', () => {
  it('is the allow-list and its own token: never the caller’s authorization or other headers', async () => {
    const { greeter, atLogger } = await setup();
    const caller = createGreeterClient(`localhost:${greeter.port}`, {
      ca: certs.ca,
      token: TOKEN,
      channelOptions: { interceptors: [metadataInterceptor({ 'x-debug': 'on', 'x-forwarded-for': '10.0.0.1', cookie: 'session=1' })] },
    });
    stops.push(() => caller.close());
    await sayHelloWithIds(caller, 'Ada', { userId: 'u-42', requestId: 'req-1' });
    const [arrived] = atLogger;
    expect(arrived?.get('authorization')).toEqual([`Bearer ${LOGGER_TOKEN}`]);
    expect(arrived?.get('x-user-id')).toEqual(['u-42']);
    expect(arrived?.get('x-request-id')).toEqual(['req-1']);
    for (const key of ['x-debug', 'x-forwarded-for', 'cookie']) expect(arrived?.get(key)).toEqual([]);
    const values = Object.values(arrived?.getMap() ?? {}).map(String);
    expect(values.some((v) => v.includes(TOKEN))).toBe(false);
  });

  it('is nothing extra on a call made outside any incoming call', async () => {
    const { logger, atLogger } = await setup();
    const direct = createLoggerClient(`localhost:${logger.port}`, {
      ca: certs.ca,
      token: LOGGER_TOKEN,
      interceptors: [forwardingInterceptor()],
    });
    stops.push(() => direct.close());
    await new Promise((resolve, reject) =>
      direct.Log({ method: '/test/Direct', text: 'direct' }, (err, ack) => (err ? reject(err) : resolve(ack))),
    );
    expect(atLogger[0]?.get('x-user-id')).toEqual([]);
    expect(atLogger[0]?.get('x-request-id')).toEqual([]);
    // The Logger made up an id of its own for it.
    expect((await listEntries(direct))[0]?.requestId).toMatch(UUID);
  });
});
