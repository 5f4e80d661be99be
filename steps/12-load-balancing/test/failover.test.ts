// A backend process killed while a call is at it: without retries that call
// fails UNAVAILABLE, with waitForReady and a retry policy another backend
// answers it; either way no later call goes to the dead one.
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@course/04-interceptors';
import type { LoggerEvent } from '@course/10-two-services';
import { startLoggerServer } from '@course/11-metadata-propagation';
import { startLesson } from '@course/kit';
import { temporaryCertificates } from '@course/kit/temporary-certs';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createBalancedClient, sayHelloFrom, spread, untilAllAnswer } from '../src/index.js';

const step = fileURLToPath(new URL('..', import.meta.url));
const TOKEN = 'failover-token';
const LOGGER_TOKEN = 'failover-logger-token';
const { dir, certs, remove } = await temporaryCertificates('course-failover-');
afterAll(remove);
const stops: (() => unknown)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

/** A Logger here that holds each Log call until its deadline, and three backend processes logging to it. */
async function setup() {
  const events = new EventTarget();
  const logger = await startLoggerServer({
    certs,
    token: LOGGER_TOKEN,
    logger: createLogger({ level: 'silent' }),
    metricsAddress: { host: '127.0.0.1', port: 0 },
    // Longer than the Greeter's log budget (500 ms): every greeting stays at its backend that long, then answers OK.
    latencyMs: 5_000,
    onEvent: (e: LoggerEvent) => events.dispatchEvent(new Event(e.type)),
  });
  stops.push(() => logger.stop());
  const env = { CERTS_DIR: dir, AUTH_TOKEN: TOKEN, LOGGER_TOKEN, METRICS_PORT: '0', LOG_LEVEL: 'silent', SHUTDOWN_GRACE_MS: '1000' };
  const processes = ['b1', 'b2', 'b3'].map((id) =>
    startLesson(step, ['backend', '--id', id, '--port', '0', '--logger-target', `localhost:${logger.port}`], { env }),
  );
  stops.push(() => Promise.all(processes.map((p) => p.child.exitCode === null && p.child.signalCode === null && p.child.kill('SIGKILL'))));
  const addresses = await Promise.all(processes.map((p) => p.listeningAs('backend')));
  const backends = processes.map((p, i) => ({ process: p, address: addresses[i] as string }));
  const received = (n: number) =>
    new Promise<void>((resolve) => {
      let seen = 0;
      const count = () => {
        if (++seen < n) return;
        events.removeEventListener('received', count);
        resolve();
      };
      events.addEventListener('received', count);
    });
  return { backends, received };
}

describe('a backend killed with a call in flight at it', () => {
  it.each([
    [false, 1],
    [true, 0],
  ])('retry %s: %i call fails, and later calls go to the two left', async (retry, failures) => {
    const { backends, received } = await setup();
    const target = `ipv4:${backends.map((b) => b.address).join(',')}`;
    const client = createBalancedClient(
      target,
      { policy: 'round_robin', retry },
      { ca: certs.ca, token: TOKEN, channelOptions: { 'grpc.ssl_target_name_override': 'localhost' } },
    );
    stops.push(() => client.close());
    await untilAllAnswer(client, 3);
    // Three at once, one at each backend (round_robin's turns), each held there by the slow Logger.
    const atBackends = received(3);
    const inFlight = Promise.all([1, 2, 3].map(() => sayHelloFrom(client, 'Ada')));
    await atBackends;
    const b2 = (backends[1] as (typeof backends)[number]).process;
    b2.child.kill('SIGKILL');
    await b2.exited;
    const answers = await inFlight;
    const failed = answers.filter((a) => a.error);
    expect(failed).toHaveLength(failures);
    for (const { error } of failed) expect(error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(Object.keys(spread(answers)).sort()).toEqual(['b1', 'b3']);
    expect(answers.length - failures).toBe(Object.values(spread(answers)).reduce((a, b) => a + b, 0));

    const later = await Promise.all([1, 2, 3, 4].map(() => sayHelloFrom(client, 'Bob')));
    expect(spread(later)).toEqual({ b1: 2, b3: 2 });
  });
});

describe('pnpm step 12 serve --backends 3', () => {
  it('serves three backends on the port and the two after it, each answering with its id, and stops them all', async () => {
    const server = startLesson(step, ['serve', '--port', '0', '--backends', '3'], {
      env: { CERTS_DIR: dir, AUTH_TOKEN: TOKEN, METRICS_PORT: '0', LOG_LEVEL: 'silent' },
    });
    stops.push(() => server.child.exitCode === null && server.child.kill('SIGKILL'));
    await server.listening;
    const line = await new Promise<string>((resolve) => {
      const look = () => {
        const found = /backends\s+(\S.*)\n/.exec(server.stdout());
        if (found?.[1]) resolve(found[1]);
      };
      look();
      server.child.stdout.on('data', look);
    });
    const addresses = line.split(', ');
    expect(addresses).toHaveLength(3);
    const client = createBalancedClient(
      `ipv4:${addresses.join(',')}`,
      { policy: 'round_robin' },
      { ca: certs.ca, token: TOKEN, channelOptions: { 'grpc.ssl_target_name_override': 'localhost' } },
    );
    try {
      await untilAllAnswer(client, 3);
    } finally {
      client.close();
    }
    server.child.kill('SIGTERM');
    const [code] = await once(server.child, 'exit');
    expect(code).toBe(0);
    expect(server.stdout().match(/backend\s+stopped/g)).toHaveLength(2);
  });
});
