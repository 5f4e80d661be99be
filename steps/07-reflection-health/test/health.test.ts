// Health, reflection and graceful shutdown through a real TLS server; the
// shutdown timing through a real `serve` process and SIGTERM.
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sayHello } from '@course/01-unary';
import { streamGreetings } from '@course/02-server-streaming';
import { createLogger } from '@course/04-interceptors';
import { ConfigError } from '@course/05-metadata-auth';
import { channelCredentials, createGreeterClient } from '@course/06-tls';
import { STILL_PENDING, startLesson, startStallProxy, within } from '@course/kit';
import { type Certificates, ensureCertificates, loadCertificates } from '@course/kit/certs';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  checkHealth,
  createHealthClient,
  drainDelayFromEnv,
  graceFromEnv,
  HEALTH_SERVICES,
  type HealthServerOptions,
  listServices,
  reflectionEnabled,
  startGreeterServer,
} from '../src/index.js';

const TOKEN = 'health-test-token';
const dir = mkdtempSync(join(tmpdir(), 'course-certs-'));
let certs: Certificates;
beforeAll(async () => {
  await ensureCertificates(dir);
  certs = loadCertificates(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(options: HealthServerOptions = {}) {
  const server = await startGreeterServer({
    certs,
    token: TOKEN,
    graceMs: 5_000,
    drainDelayMs: 0,
    logger: createLogger({ level: 'silent', pretty: false }),
    ...options,
  });
  const target = `localhost:${server.port}`;
  const probe = channelCredentials({ ca: certs.ca });
  const health = createHealthClient(target, probe);
  const client = createGreeterClient(target, { ca: certs.ca, token: TOKEN });
  cleanups.push(
    () => server.stop(),
    () => health.close(),
    () => client.close(),
  );
  return { server, target, probe, health, client };
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail('expected a failure'),
    (e: grpc.ServiceError) => e,
  );

describe('health and reflection', () => {
  it('answer SERVING for the server and for Greeter, without a token', async () => {
    const { health } = await setup();
    expect(await checkHealth(health, '')).toBe('SERVING');
    expect(await checkHealth(health, 'greeter.v1.Greeter')).toBe('SERVING');
    expect((await failure(checkHealth(health, 'no.such.Service'))).code).toBe(grpc.status.NOT_FOUND);
  });

  it('reflection lists greeter.v1.Greeter, without a token', async () => {
    const { target, probe } = await setup();
    expect(await listServices(target, probe)).toContain('greeter.v1.Greeter');
  });

  it('Greeter still wants the token', async () => {
    const { target } = await setup();
    const anonymous = createGreeterClient(target, { ca: certs.ca });
    cleanups.push(() => anonymous.close());
    expect((await failure(sayHello(anonymous, 'Ada'))).code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('reflection is off when asked, and off by default in production', async () => {
    const { target, probe } = await setup({ reflection: false });
    expect((await failure(listServices(target, probe))).code).toBe(grpc.status.UNIMPLEMENTED);
    expect(reflectionEnabled({ NODE_ENV: 'production' })).toBe(false);
    expect(reflectionEnabled({ NODE_ENV: 'development' })).toBe(true);
  });

  it('a server started with NODE_ENV=production has no reflection, and health still answers', async () => {
    const before = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    let started: Awaited<ReturnType<typeof setup>>;
    try {
      started = await setup();
    } finally {
      if (before === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = before;
    }
    const { target, probe, health } = started;
    expect((await failure(listServices(target, probe))).code).toBe(grpc.status.UNIMPLEMENTED);
    expect(await checkHealth(health, '')).toBe('SERVING');
  });
});

describe('graceful stop', () => {
  it('turns health NOT_SERVING for watchers as it begins', async () => {
    const { server, health } = await setup({ graceMs: 200 });
    const watch = health.Watch({ service: '' });
    const statuses: string[] = [];
    watch.on('data', (r: { status: string }) => statuses.push(r.status));
    watch.on('error', () => {});
    await once(watch, 'data');
    await server.stop();
    expect(statuses).toEqual(['SERVING', 'NOT_SERVING']);
  });

  it('answers NOT_SERVING for every service during the drain delay, while calls are still served', async () => {
    const { server, health, client, target } = await setup({ drainDelayMs: 2_000 });
    const stopped = server.stop();
    // A balancer polling Check sees the server going before it stops listening.
    for (const service of HEALTH_SERVICES) expect(await checkHealth(health, service)).toBe('NOT_SERVING');
    expect((await sayHello(client, 'Ada')).message).toBe('Hello, Ada!');
    await stopped;
    const fresh = createGreeterClient(target, { ca: certs.ca, token: TOKEN, channelOptions: { 'grpc.use_local_subchannel_pool': 1 } });
    cleanups.push(() => fresh.close());
    expect((await failure(sayHello(fresh, 'Bob'))).code).toBe(grpc.status.UNAVAILABLE);
  });

  it('ends each health Watch once NOT_SERVING is sent, so a watcher does not hold the stop for the grace period', async ({ annotate }) => {
    const graceMs = 3_000;
    const { server, health } = await setup({ graceMs });
    const watch = health.Watch({ service: 'greeter.v1.Greeter' });
    const statuses: string[] = [];
    watch.on('data', (r: { status: string }) => statuses.push(r.status));
    const ended = new Promise<grpc.StatusObject>((resolve) => watch.on('status', resolve));
    watch.on('error', () => {});
    await once(watch, 'data');
    const began = performance.now();
    await server.stop();
    const took = Math.round(performance.now() - began);
    // Ended by the server's own status, not cut off when the grace period ran out.
    expect(await ended).toMatchObject({ code: grpc.status.UNAVAILABLE, details: 'the server is stopping' });
    expect(statuses).toEqual(['SERVING', 'NOT_SERVING']);
    // A measurement for the report, not a goal: a watcher used to make every stop last the whole grace period.
    await annotate(`stop with a Watch open took ${took} ms (grace period ${graceMs} ms)`);
  });

  it('lets an in-flight unary call finish OK, and refuses new calls with UNAVAILABLE', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let started!: () => void;
    const handlerStarted = new Promise<void>((r) => {
      started = r;
    });
    const { server, client, target } = await setup({
      handlers: {
        SayHello: async (call, callback) => {
          started();
          await held;
          callback(null, { message: `late hello, ${call.request.name}` });
        },
      },
    });
    const inFlight = sayHello(client, 'Ada');
    await handlerStarted;
    const stopped = server.stop();
    // On the connection already open, and on a new one.
    expect((await failure(sayHello(client, 'Bob'))).code).toBe(grpc.status.UNAVAILABLE);
    const fresh = createGreeterClient(target, { ca: certs.ca, token: TOKEN, channelOptions: { 'grpc.use_local_subchannel_pool': 1 } });
    cleanups.push(() => fresh.close());
    expect((await failure(sayHello(fresh, 'Cat'))).code).toBe(grpc.status.UNAVAILABLE);
    release();
    expect((await inFlight).message).toBe('late hello, Ada');
    await stopped;
  });

  it('cancels a stream still open when the grace period ends', async () => {
    const { server, client } = await setup({ graceMs: 300, stream: { intervalMs: 100 } });
    const stream = streamGreetings(client, 'Ada', 100);
    const ended = failure(stream.toArray());
    await once(stream, 'data');
    const began = performance.now();
    await server.stop();
    const took = performance.now() - began;
    const err = await ended;
    expect([grpc.status.CANCELLED, grpc.status.UNAVAILABLE]).toContain(err.code);
    // The cancel comes from the grace period's timer, never before it.
    expect(took).toBeGreaterThanOrEqual(250);
  });

  it('ends within the grace period even when a reader has stopped reading', async () => {
    const { server } = await setup({ graceMs: 300, stream: { intervalMs: 0 } });
    const proxy = await startStallProxy(server);
    const stalled = createGreeterClient(`localhost:${proxy.address.split(':')[1]}`, { ca: certs.ca, token: TOKEN });
    cleanups.push(
      () => proxy.close(),
      () => stalled.close(),
    );
    const stream = streamGreetings(stalled, 'Ada', 10_000);
    stream.on('error', () => {});
    await once(stream, 'data');
    proxy.stall();
    // Enough greetings for the server's writes to back up behind the stalled connection.
    const outcome = await within(server.stop(), 10_000);
    expect(outcome).not.toBe(STILL_PENDING);
  });

  it('reads the grace period from SHUTDOWN_GRACE_MS, and the drain delay from DRAIN_DELAY_MS', () => {
    expect(graceFromEnv({})).toBe(10_000);
    expect(graceFromEnv({ SHUTDOWN_GRACE_MS: '250' })).toBe(250);
    expect(() => graceFromEnv({ SHUTDOWN_GRACE_MS: 'soon' })).toThrow(ConfigError);
    expect(drainDelayFromEnv({})).toBe(1_000);
    expect(drainDelayFromEnv({ DRAIN_DELAY_MS: '0' })).toBe(0);
    expect(() => drainDelayFromEnv({ DRAIN_DELAY_MS: '-5' })).toThrow(ConfigError);
  });

  it('exits 0 after SIGTERM while a stream is still open, once the drain delay and the grace period are over', async () => {
    const graceMs = 500;
    const drainMs = 300;
    const server = startLesson(fileURLToPath(new URL('..', import.meta.url)), ['serve', '--port', '0'], {
      env: { SHUTDOWN_GRACE_MS: String(graceMs), DRAIN_DELAY_MS: String(drainMs), CERTS_DIR: dir, AUTH_TOKEN: TOKEN, LOG_LEVEL: 'silent' },
    });
    cleanups.push(() => server.child.kill('SIGKILL'));
    const port = (await server.listening).split(':')[1];
    const client = createGreeterClient(`localhost:${port}`, { ca: certs.ca, token: TOKEN });
    cleanups.push(() => client.close());
    const stream = streamGreetings(client, 'Ada', 1_000);
    await once(stream, 'data');
    stream.on('error', () => {});
    const began = performance.now();
    server.child.kill('SIGTERM');
    const exit = await within(server.exited, 15_000);
    const took = performance.now() - began;
    expect(exit === STILL_PENDING ? exit : exit.code).toBe(0);
    // The stream was cut off by the grace period's timer, which starts after the drain delay.
    expect(took).toBeGreaterThanOrEqual(drainMs + graceMs - 50);
  });
});
