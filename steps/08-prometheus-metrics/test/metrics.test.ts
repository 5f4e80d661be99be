// The metrics through a real server and a real scrape: exact counts for every
// outcome, go-grpc-prometheus names, bounded series, promtool's lint, and a
// real Prometheus scraping the server and answering PromQL.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { greeterV1, sayHello } from '@course/01-unary';
import { streamGreetings } from '@course/02-server-streaming';
import { joinChat } from '@course/03-bidi-streaming';
import { createLogger } from '@course/04-interceptors';
import { ConfigError } from '@course/05-metadata-auth';
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

beforeAll(async () => {
  await ensureCertificates(join(dir, 'certs'));
  certs = loadCertificates(join(dir, 'certs'));
  server = await startGreeterServer({
    certs,
    token: TOKEN,
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
    // The server counts a cancelled call when the cancel arrives: give it a moment.
    await new Promise((r) => setTimeout(r, 200));
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

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const probe = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => probe.once('listening', r));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((r) => probe.close(r));
  return port;
}

describe('a real Prometheus', () => {
  it('scrapes the server, and PromQL over its API returns the counts', async () => {
    const work = mkdtempSync(join(tmpdir(), 'course-prometheus-'));
    const port = await freePort();
    const target = new URL(server.metricsUrl).host;
    writeFileSync(
      join(work, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: greeter\n    static_configs:\n      - targets: ['${target}']\n`,
    );
    const prometheus = spawn(process.env.PROMETHEUS ?? 'prometheus', [
      `--config.file=${join(work, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(work, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ]);
    let log = '';
    prometheus.stderr.on('data', (c) => {
      log += c;
    });
    try {
      const query = 'sum(grpc_server_handled_total{grpc_service="greeter.v1.Greeter",grpc_method="SayHello",grpc_code="OK"})';
      let value: string | undefined;
      const deadline = Date.now() + 30_000;
      while (value !== '3' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 500));
        const response = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(query)}`).catch(() => undefined);
        if (!response?.ok) continue;
        const body = (await response.json()) as { data: { result: { value: [number, string] }[] } };
        value = body.data.result[0]?.value[1];
      }
      expect(value, log).toBe('3');
      const up = (await (await fetch(`http://127.0.0.1:${port}/api/v1/query?query=up`)).json()) as {
        data: { result: { value: [number, string] }[] };
      };
      expect(up.data.result[0]?.value[1]).toBe('1');
    } finally {
      prometheus.kill('SIGTERM');
      await new Promise((r) => prometheus.once('exit', r));
      rmSync(work, { recursive: true, force: true });
    }
  }, 45_000);
});
