// The outbox against a real nats-server with JetStream: every greeting's
// event consumed exactly once, through a broker outage and through a Greeter
// killed with events still in its outbox.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sayHello } from '@course/01-unary';
import { createLogger } from '@course/04-interceptors';
import { createGreeterClient } from '@course/08-prometheus-metrics';
import { sayHelloWithIds, startLoggerServer } from '@course/11-metadata-propagation';
import { freePort, printed, startLesson, within } from '@course/kit';
import { temporaryCertificates } from '@course/kit/temporary-certs';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Outbox, startAnalytics, startGreeterServer } from '../src/index.js';
import { EVENTS_STREAM, NatsBroker } from '../src/nats.js';
import { type NatsServer, startNatsServer } from './nats-server.js';

const STEP_DIR = fileURLToPath(new URL('..', import.meta.url));
const TOKEN = 'events-token';
const ANY_PORT = { host: '127.0.0.1', port: 0 };
const silent = createLogger({ level: 'silent' });
const { certs, dir: certsDir, remove } = await temporaryCertificates('course-events-');
afterAll(remove);
const stops: (() => unknown)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lesson-16-test-'));
  stops.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function nats(storeDir: string, port?: number): Promise<NatsServer> {
  const server = await startNatsServer(storeDir, port);
  stops.push(() => server.stop());
  return server;
}

async function analyticsOn(url: string) {
  const broker = new NatsBroker(url);
  const analytics = await startAnalytics(broker);
  stops.push(async () => {
    await analytics.stop();
    await broker.close();
  });
  return analytics;
}

/** A Logger, and a Greeter publishing to url with its outbox at outboxPath. */
async function greeterOn(url: string, outboxPath: string) {
  const logger = await startLoggerServer({ certs, logger: silent, metricsAddress: ANY_PORT });
  stops.push(() => logger.stop());
  const broker = new NatsBroker(url);
  stops.push(() => broker.close());
  const greeter = await startGreeterServer({
    certs,
    token: TOKEN,
    logger: silent,
    metricsAddress: ANY_PORT,
    loggerTarget: `localhost:${logger.port}`,
    outboxPath,
    broker,
  });
  stops.push(() => greeter.stop());
  return { greeter, client: clientOf(greeter.port) };
}

function clientOf(port: number) {
  const client = createGreeterClient(`localhost:${port}`, { ca: certs.ca, token: TOKEN });
  stops.push(() => client.close());
  return client;
}

async function messagesInStream(url: string): Promise<number> {
  const nc = await connect({ servers: url });
  try {
    return (await (await jetstreamManager(nc)).streams.info(EVENTS_STREAM)).state.messages;
  } finally {
    await nc.close();
  }
}

const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix} ${i + 1}`);
const once = (list: string[]) => Object.fromEntries(list.map((n) => [n, 1]));

describe('events through NATS JetStream', () => {
  it('N greetings give N events, each consumed exactly once', async () => {
    const dir = tempDir();
    const server = await nats(join(dir, 'nats'));
    const analytics = await analyticsOn(server.url);
    const { client } = await greeterOn(server.url, join(dir, 'outbox.db'));
    const sent = names('guest', 25);
    for (const name of sent) await sayHello(client, name);
    await analytics.until(sent.length);
    expect(analytics.counts()).toEqual(once(sent));
    expect(analytics.duplicates).toBe(0);
    expect(await messagesInStream(server.url)).toBe(sent.length);
  });

  it('a broker stopped mid-run and restarted: every greeting answered, no event lost, none twice', async () => {
    const dir = tempDir();
    const store = join(dir, 'nats');
    let server = await nats(store);
    const analytics = await analyticsOn(server.url);
    const { greeter, client } = await greeterOn(server.url, join(dir, 'outbox.db'));
    const before = names('before', 10);
    await Promise.all(before.map((name) => sayHello(client, name)));
    await analytics.until(before.length);

    await server.stop();
    const during = names('during', 10);
    // Answered with the broker gone: the events wait in the outbox.
    const replies = await Promise.all(during.map((name) => sayHello(client, name)));
    expect(replies).toHaveLength(during.length);
    expect(greeter.outbox.length).toBe(during.length);

    server = await nats(store, server.port);
    const all = [...before, ...during];
    await analytics.until(all.length);
    await greeter.relay.until(all.length);
    expect(analytics.counts()).toEqual(once(all));
    expect(analytics.handled).toBe(all.length);
    expect(greeter.outbox.length).toBe(0);
    expect(await messagesInStream(server.url)).toBe(all.length);
  });

  it('the consumer mode, a process of its own, handles what the Greeter publishes and stops with exit 0', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const server = await nats(join(dir, 'nats'));
    const consumer = startLesson(STEP_DIR, ['consumer', '--port', '0'], { env: { EVENTS_BROKER: server.url } });
    stops.push(async () => {
      consumer.child.kill('SIGTERM');
      await consumer.exited;
    });
    await consumer.listeningAs('consumer');
    const { client } = await greeterOn(server.url, join(dir, 'outbox.db'));
    await sayHelloWithIds(client, 'Ada', { userId: 'u-42', requestId: 'req-1' });
    const [line] = await printed(consumer, /^\s*event\s+Greeted .*$/m);
    expect(line).toMatch(/Greeted "Ada", user u-42, request req-1, id [0-9a-f]{8}/);
    consumer.child.kill('SIGTERM');
    expect((await consumer.exited).code).toBe(0);
  });

  it('a Greeter whose broker never came answers, and stops with its events kept', async () => {
    const dir = tempDir();
    const outboxPath = join(dir, 'outbox.db');
    const { greeter, client } = await greeterOn(`nats://127.0.0.1:${await freePort()}`, outboxPath);
    for (const name of ['Ada', 'Bob']) await sayHello(client, name);
    expect(await within(greeter.stop(), 15_000)).toBeUndefined();
    const left = new Outbox({ path: outboxPath });
    expect(left.length).toBe(2);
    left.close();
  });

  it('a Greeter killed with SIGKILL with events in its outbox delivers them when it is started again', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const store = join(dir, 'nats');
    const outboxPath = join(dir, 'outbox.db');
    let server = await nats(store);
    const env = { EVENTS_BROKER: server.url, AUTH_TOKEN: TOKEN, CERTS_DIR: certsDir, METRICS_PORT: '0', LOG_LEVEL: 'silent' };
    const serve = async () => {
      const process = startLesson(STEP_DIR, ['serve', '--port', '0', '--outbox', outboxPath], { env });
      stops.push(async () => {
        process.child.kill('SIGTERM');
        await process.exited;
      });
      return { process, port: Number((await process.listening).split(':').pop()) };
    };
    const first = await serve();
    await server.stop();
    const sent = names('kept', 5);
    const client = clientOf(first.port);
    for (const name of sent) await sayHello(client, name);
    client.close();
    first.process.child.kill('SIGKILL');
    await first.process.exited;
    expect(first.process.child.signalCode).toBe('SIGKILL');
    const left = new Outbox({ path: outboxPath });
    expect(left.length).toBe(sent.length);
    left.close();

    server = await nats(store, server.port);
    const analytics = await analyticsOn(server.url);
    await serve();
    await analytics.until(sent.length);
    expect(analytics.counts()).toEqual(once(sent));
    expect(analytics.duplicates).toBe(0);
  });
});
