// The outbox through a real Greeter on the in-process broker: answers do not
// wait for the broker, events arrive in the order they were written, a full
// outbox still answers and counts and logs each event it drops, and what is
// in the file survives the Greeter.
import { on } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { sayHello } from '@course/01-unary';
import { createLogger } from '@course/04-interceptors';
import { createGreeterClient } from '@course/08-prometheus-metrics';
import { sayHelloWithIds, startLoggerServer } from '@course/11-metadata-propagation';
import { temporaryCertificates } from '@course/kit/temporary-certs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { decodeGreeted, InProcessBroker, Outbox, startAnalytics, startGreeterServer } from '../src/index.js';

const TOKEN = 'outbox-token';
const ANY_PORT = { host: '127.0.0.1', port: 0 };
const { certs, remove } = await temporaryCertificates('course-outbox-');
afterAll(remove);
const stops: (() => unknown)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function setup({ capacity }: { capacity?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'lesson-16-outbox-'));
  stops.push(() => rmSync(dir, { recursive: true, force: true }));
  const logger = await startLoggerServer({ certs, logger: createLogger({ level: 'silent' }), metricsAddress: ANY_PORT });
  stops.push(() => logger.stop());
  const lines = new PassThrough();
  const broker = new InProcessBroker();
  const outboxPath = join(dir, 'outbox.db');
  const greeter = await startGreeterServer({
    certs,
    token: TOKEN,
    metricsAddress: ANY_PORT,
    loggerTarget: `localhost:${logger.port}`,
    logger: createLogger({ level: 'warn', pretty: false, destination: lines }),
    outboxPath,
    outboxCapacity: capacity,
    broker,
  });
  stops.push(() => greeter.stop());
  const client = createGreeterClient(`localhost:${greeter.port}`, { ca: certs.ca, token: TOKEN });
  stops.push(() => client.close());
  const logLines = on(createInterface({ input: lines }), 'line');
  return { greeter, broker, client, outboxPath, logLines };
}

async function metric(greeter: { registry: { getSingleMetricAsString(name: string): Promise<string> } }, name: string): Promise<number> {
  const text = await greeter.registry.getSingleMetricAsString(name);
  return Number(/\s(\S+)$/.exec(text.trim())?.[1]);
}

describe('the outbox', () => {
  it('answers with the broker down, then delivers what waited in the order it was written, with the ids of each call', async () => {
    const { greeter, broker, client } = await setup();
    broker.available = false;
    const names = ['Ada', 'Bob', 'Cy', 'Dee', 'Eve'];
    for (const [i, name] of names.entries()) {
      const answer = await sayHelloWithIds(client, name, { userId: `u-${i}`, requestId: `req-${i}` });
      expect(answer.reply?.message).toContain(name);
    }
    expect(greeter.outbox.length).toBe(names.length);
    const seen: string[] = [];
    const analytics = await startAnalytics(broker, { onEvent: (e) => seen.push(`${e.name} ${e.userId} ${e.requestId}`) });
    stops.push(() => analytics.stop());
    broker.restore();
    await analytics.until(names.length);
    expect(seen).toEqual(names.map((name, i) => `${name} u-${i} req-${i}`));
    await greeter.relay.until(names.length);
    expect(greeter.outbox.length).toBe(0);
  });

  it('when full, still answers, and counts and logs each event it drops', async () => {
    const { greeter, broker, client, logLines } = await setup({ capacity: 3 });
    broker.available = false;
    const names = ['Ada', 'Bob', 'Cy', 'Dee', 'Eve'];
    for (const name of names) expect((await sayHello(client, name)).message).toContain(name);
    expect(greeter.outbox.length).toBe(3);
    expect(await metric(greeter, 'greeter_events_dropped_total')).toBe(2);
    expect(await metric(greeter, 'greeter_outbox_events')).toBe(3);
    const dropped: unknown[] = [];
    for await (const [line] of logLines) {
      const entry = JSON.parse(line);
      if (entry.msg.startsWith('outbox full')) dropped.push(entry);
      if (dropped.length === 2) break;
    }
    expect(dropped).toMatchObject([
      { level: 40, capacity: 3 },
      { level: 40, capacity: 3 },
    ]);
  });

  it('keeps what it holds in the file after the Greeter stops, oldest first', async () => {
    const { greeter, broker, client, outboxPath } = await setup();
    broker.available = false;
    for (const name of ['Ada', 'Bob']) await sayHello(client, name);
    await greeter.stop();
    const reopened = new Outbox({ path: outboxPath });
    stops.push(() => reopened.close());
    expect(reopened.peek(10).map((e) => decodeGreeted(e.body).name)).toEqual(['Ada', 'Bob']);
  });
});
