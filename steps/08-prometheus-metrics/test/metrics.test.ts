// The metrics through a real server and a real scrape: exact counts for every
// outcome, go-grpc-prometheus names, bounded series, promtool's lint, and a
// real Prometheus scraping the server and answering PromQL.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { greeterV1, sayHello } from '@course/01-unary';
import { streamGreetings } from '@course/02-server-streaming';
import { joinChat } from '@course/03-bidi-streaming';
import { createLogger } from '@course/04-interceptors';
import { ConfigError } from '@course/05-metadata-auth';
import { startPrometheus, startStallProxy } from '@course/kit';
import { type Certificates, ensureCertificates, loadCertificates } from '@course/kit/certs';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createGreeterClient,
  GO_CODE_NAMES,
  GrpcMetrics,
  grpcType,
  type MetricsServerHandle,
  metricsAddressFromEnv,
  processRegistry,
  startGreeterServer,
} from '../src/index.js';
import { parseExposition, type Samples, sample } from './scrape.js';

const TOKEN = 'metrics-token';
const dir = mkdtempSync(join(tmpdir(), 'course-metrics-'));
let certs: Certificates;
let server: MetricsServerHandle;
let clientMetrics: GrpcMetrics;
let scraped: Samples;
let exposition: string;

const unary = { grpc_type: 'unary', grpc_service: 'greeter.v1.Greeter', grpc_method: 'SayHello' };
const stream = { grpc_type: 'server_stream', grpc_service: 'greeter.v1.Greeter', grpc_method: 'StreamGreetings' };
const chat = { grpc_type: 'bidi_stream', grpc_service: 'greeter.v1.Greeter', grpc_method: 'Chat' };
const settle = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    () => undefined,
  );

/**
 * A server interceptor, placed after the metrics one, that says when calls
 * have ended: grpc-js tells every interceptor's listener in turn, so by then
 * the metrics interceptor has counted the call.
 */
function callEnds() {
  const counts = new Map<string, number>();
  const waiting: { method: string; count: number; resolve: () => void }[] = [];
  const interceptor: grpc.ServerInterceptor = (method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onCancel() {
            const count = (counts.get(method.path) ?? 0) + 1;
            counts.set(method.path, count);
            for (const w of waiting.filter((w) => w.method === method.path && w.count <= count)) {
              waiting.splice(waiting.indexOf(w), 1);
              w.resolve();
            }
          },
        });
      },
    });
  /** Resolves once `count` calls of `method` (a name in greeter.v1.Greeter) have ended on the server. */
  const ended = (method: string, count: number) =>
    new Promise<void>((resolve) => {
      const path = `/greeter.v1.Greeter/${method}`;
      if ((counts.get(path) ?? 0) >= count) resolve();
      else waiting.push({ method: path, count, resolve });
    });
  return { interceptor, ended };
}

beforeAll(async () => {
  await ensureCertificates(join(dir, 'certs'));
  certs = loadCertificates(join(dir, 'certs'));
  const ends = callEnds();
  server = await startGreeterServer({
    certs,
    token: TOKEN,
    drainDelayMs: 0,
    serverOptions: { interceptors: [ends.interceptor] },
    stream: { intervalMs: 50 },
    metricsAddress: { host: '127.0.0.1', port: 0 },
    logger: createLogger({ level: 'silent', pretty: false }),
  });
  const target = `localhost:${server.port}`;
  clientMetrics = new GrpcMetrics(server.registry, 'client');
  const client = createGreeterClient(target, { ca: certs.ca, token: TOKEN, metrics: clientMetrics });
  const stranger = createGreeterClient(target, { ca: certs.ca, token: 'nope' });
  try {
    for (const name of ['Ada', 'Bob', 'Cy']) await sayHello(client, name);
    await settle(sayHello(client, ''));
    await settle(sayHello(client, 'x'.repeat(101)));
    await settle(sayHello(stranger, 'Eve'));
    await streamGreetings(client, 'Dee', 4).toArray();
    // A stream the client cancels after its first message.
    await new Promise<void>((resolve) => {
      const call = streamGreetings(client, 'Fay', 100);
      call.once('data', () => call.cancel());
      call.on('error', () => resolve());
    });
    const member = joinChat(client, 'gus', () => {});
    await member.say('one');
    await member.say('two');
    await member.leave();
    // An unknown method: grpc-js answers it before any interceptor runs.
    const raw = new grpc.Client(target, grpc.credentials.createSsl(certs.ca));
    await new Promise((resolve) =>
      raw.makeUnaryRequest(
        '/greeter.v1.Greeter/NoSuchMethod',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.alloc(0),
        resolve,
      ),
    );
    await new Promise((resolve) =>
      raw.makeUnaryRequest(
        '/attacker.Chosen/Name',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.alloc(0),
        resolve,
      ),
    );
    raw.close();
    // The server counts the cancelled stream when the cancel arrives there.
    await ends.ended('StreamGreetings', 2);
  } finally {
    client.close();
    stranger.close();
  }
  exposition = await (await fetch(server.metricsUrl)).text();
  scraped = parseExposition(exposition);
});
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('server series', () => {
  it('count handled unary calls by Go code name, exactly', () => {
    expect(sample(scraped, 'grpc_server_handled_total', { ...unary, grpc_code: 'OK' })).toBe(3);
    expect(sample(scraped, 'grpc_server_handled_total', { ...unary, grpc_code: 'InvalidArgument' })).toBe(2);
    expect(sample(scraped, 'grpc_server_handled_total', { ...unary, grpc_code: 'Unauthenticated' })).toBe(1);
    expect(sample(scraped, 'grpc_server_started_total', unary)).toBe(6);
    // The refused call's request message is never read: auth answered on its headers.
    expect(sample(scraped, 'grpc_server_msg_received_total', unary)).toBe(5);
    expect(sample(scraped, 'grpc_server_msg_sent_total', unary)).toBe(3);
    expect(sample(scraped, 'grpc_server_handling_seconds_count', unary)).toBe(6);
  });

  it('count streams, their messages, and a cancelled one', () => {
    expect(sample(scraped, 'grpc_server_started_total', stream)).toBe(2);
    expect(sample(scraped, 'grpc_server_handled_total', { ...stream, grpc_code: 'OK' })).toBe(1);
    expect(sample(scraped, 'grpc_server_handled_total', { ...stream, grpc_code: 'Canceled' })).toBe(1);
    // 4 for the full stream; the cancelled one got at least its first out.
    expect(sample(scraped, 'grpc_server_msg_sent_total', stream)).toBeGreaterThanOrEqual(5);
    expect(sample(scraped, 'grpc_server_msg_sent_total', stream)).toBeLessThanOrEqual(6);
    expect(sample(scraped, 'grpc_server_msg_received_total', stream)).toBe(2);
    expect(sample(scraped, 'grpc_server_handled_total', { ...chat, grpc_code: 'OK' })).toBe(1);
    expect(sample(scraped, 'grpc_server_msg_received_total', chat)).toBe(2);
    expect(sample(scraped, 'grpc_server_msg_sent_total', chat)).toBe(2);
  });

  it('exist at zero for every Greeter method and code from the start', () => {
    for (const method of Object.values(greeterV1.Greeter.service)) {
      const [, grpc_service = '', grpc_method = ''] = method.path.split('/');
      const labels = { grpc_type: grpcType(method), grpc_service, grpc_method };
      for (const grpc_code of GO_CODE_NAMES)
        expect(sample(scraped, 'grpc_server_handled_total', { ...labels, grpc_code })).toBeGreaterThanOrEqual(0);
    }
  });

  it('make no series from a method name a caller chose', () => {
    expect(exposition).not.toContain('NoSuchMethod');
    expect(exposition).not.toContain('attacker');
  });

  it('histogram buckets are go-grpc-prometheus defaults', () => {
    const buckets = [...scraped.keys()]
      .filter((k) => k.startsWith('grpc_server_handling_seconds_bucket{') && k.includes('"SayHello"'))
      .map((k) => /le="([^"]+)"/.exec(k)?.[1]);
    expect(buckets).toEqual(['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf']);
  });
});

describe("calls that end without their handler's status", () => {
  let other: MetricsServerHandle;
  let ends: ReturnType<typeof callEnds>;
  beforeAll(async () => {
    ends = callEnds();
    other = await startGreeterServer({
      certs,
      token: TOKEN,
      drainDelayMs: 0,
      metricsAddress: { host: '127.0.0.1', port: 0 },
      logger: createLogger({ level: 'silent', pretty: false }),
      serverOptions: { interceptors: [ends.interceptor] },
      // A handler that takes 300 ms, so a call's duration and a deadline are known.
      handlers: {
        SayHello: (call, callback) => {
          setTimeout(() => callback(null, { message: `Hello, ${call.request.name}!` }), 300);
        },
      },
    });
  });
  afterAll(() => other.stop());

  const scrape = async () => parseExposition(await (await fetch(other.metricsUrl)).text());

  it('count a call whose deadline passed as DeadlineExceeded, as go-grpc-prometheus does, not Canceled', async () => {
    const client = createGreeterClient(`localhost:${other.port}`, { ca: certs.ca, token: TOKEN });
    try {
      const err = await sayHello(client, 'Ada', { deadline: new Date(Date.now() + 100) }).then(
        () => expect.fail('expected DEADLINE_EXCEEDED'),
        (e: grpc.ServiceError) => e,
      );
      expect(err.code).toBe(grpc.status.DEADLINE_EXCEEDED);
      await ends.ended('SayHello', 1);
    } finally {
      client.close();
    }
    const samples = await scrape();
    expect(sample(samples, 'grpc_server_handled_total', { ...unary, grpc_code: 'DeadlineExceeded' })).toBe(1);
    expect(sample(samples, 'grpc_server_handled_total', { ...unary, grpc_code: 'Canceled' })).toBe(0);
  });

  it('measure handling time in seconds: a 300 ms call adds about 0.3 to _sum, above the 0.25 bucket', async () => {
    const before = await scrape();
    const client = createGreeterClient(`localhost:${other.port}`, { ca: certs.ca, token: TOKEN });
    try {
      await sayHello(client, 'Bob');
    } finally {
      client.close();
    }
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = unary) =>
      (sample(after, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
    expect(delta('grpc_server_handling_seconds_count')).toBe(1);
    // At least the handler's 300 ms; in milliseconds it would be 300 or more.
    expect(delta('grpc_server_handling_seconds_sum')).toBeGreaterThanOrEqual(0.3);
    expect(delta('grpc_server_handling_seconds_sum')).toBeLessThan(30);
    expect(delta('grpc_server_handling_seconds_bucket', { ...unary, le: '0.25' })).toBe(0);
    expect(delta('grpc_server_handling_seconds_bucket', { ...unary, le: '+Inf' })).toBe(1);
  });

  it('count a chat whose client went away (its connection dropped) as Canceled, not OK', async () => {
    const proxy = await startStallProxy(other);
    const client = createGreeterClient(`localhost:${proxy.address.split(':')[1]}`, { ca: certs.ca, token: TOKEN });
    try {
      let heard!: () => void;
      const heardItself = new Promise<void>((resolve) => {
        heard = resolve;
      });
      const member = joinChat(client, 'gus', () => heard());
      member.ended.catch(() => {});
      await member.say('still here');
      await heardItself;
      // The connection goes, as when the client's process is killed.
      await proxy.close();
      await ends.ended('Chat', 1);
    } finally {
      client.close();
    }
    const samples = await scrape();
    expect(sample(samples, 'grpc_server_handled_total', { ...chat, grpc_code: 'Canceled' })).toBe(1);
    expect(sample(samples, 'grpc_server_handled_total', { ...chat, grpc_code: 'OK' })).toBe(0);
  });
});

describe('client series', () => {
  it('count the same calls from the caller side', () => {
    expect(sample(scraped, 'grpc_client_handled_total', { ...unary, grpc_code: 'OK' })).toBe(3);
    expect(sample(scraped, 'grpc_client_handled_total', { ...unary, grpc_code: 'InvalidArgument' })).toBe(2);
    expect(sample(scraped, 'grpc_client_started_total', unary)).toBe(5);
    expect(sample(scraped, 'grpc_client_handled_total', { ...stream, grpc_code: 'Canceled' })).toBe(1);
    expect(sample(scraped, 'grpc_client_msg_sent_total', chat)).toBe(2);
  });
});

describe('exposition', () => {
  it('has Node process metrics', () => {
    expect(exposition).toMatch(/^process_cpu_seconds_total /m);
    expect(exposition).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });

  it('collects them once per process: every server shares the same collectors', () => {
    // prom-client's collectors (an event-loop delay monitor, a GC observer)
    // cannot be stopped, so a new set per server would pile up.
    const a = processRegistry();
    const b = processRegistry();
    expect(a).not.toBe(b);
    for (const name of ['nodejs_eventloop_lag_seconds', 'nodejs_gc_duration_seconds', 'process_cpu_seconds_total'])
      expect(a.getSingleMetric(name)).toBe(b.getSingleMetric(name));
    expect(server.registry.getSingleMetric('nodejs_eventloop_lag_seconds')).toBe(a.getSingleMetric('nodejs_eventloop_lag_seconds'));
  });

  it('passes promtool check metrics', async () => {
    const child = spawn(process.env.PROMTOOL ?? 'promtool', ['check', 'metrics']);
    let output = '';
    child.stdout.on('data', (c) => {
      output += c;
    });
    child.stderr.on('data', (c) => {
      output += c;
    });
    child.stdin.end(exposition);
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(output).toBe('');
    expect(code).toBe(0);
  });

  it('is served on loopback by default, at /metrics only', async () => {
    expect(metricsAddressFromEnv({})).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(() => metricsAddressFromEnv({ METRICS_PORT: 'http' })).toThrow(ConfigError);
    expect(server.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect((await fetch(server.metricsUrl.replace('/metrics', '/'))).status).toBe(404);
  });
});

describe('a real Prometheus', () => {
  it('scrapes the server, and PromQL over its API returns the counts', async () => {
    const prometheus = await startPrometheus({ targets: [new URL(server.metricsUrl).host] });
    try {
      const query = 'sum(grpc_server_handled_total{grpc_service="greeter.v1.Greeter",grpc_method="SayHello",grpc_code="OK"})';
      const result = await prometheus.until(query, (r) => r[0]?.value[1] === '3');
      expect(result[0]?.value[1], prometheus.log()).toBe('3');
      const up = await prometheus.query('up');
      expect(up[0]?.value[1]).toBe('1');
    } finally {
      await prometheus.stop();
    }
  }, 45_000);
});
