// Tracing with the interceptors instead of the instrumentation: nothing is
// patched, so no preload is needed and one process holds the SDK, a real
// server and a real client over TLS; the spans land in memory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { sayHello } from '@course/01-unary';
import { createLogger } from '@course/04-interceptors';
import { createGreeterClient, type MetricsServerHandle } from '@course/08-prometheus-metrics';
import { type Certificates, ensureCertificates, loadCertificates } from '@course/kit/certs';
import * as grpc from '@grpc/grpc-js';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clientTracingInterceptor, serverTracingInterceptor, startGreeterServer, traceFields } from '../src/index.js';

const TOKEN = 'interceptor-token';
const METHOD = 'grpc.greeter.v1.Greeter/SayHello';
const dir = mkdtempSync(join(tmpdir(), 'course-trace-interceptors-'));
const exporter = new InMemorySpanExporter();
const sdk = new NodeSDK({ serviceName: 'interceptors', spanProcessors: [new SimpleSpanProcessor({ exporter })], instrumentations: [] });
let certs: Certificates;
let server: MetricsServerHandle;
let target: string;
let client: ReturnType<typeof createGreeterClient>;
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  sdk.start();
  await ensureCertificates(dir);
  certs = loadCertificates(dir);
  const destination = new Writable({
    write(chunk, _, done) {
      for (const text of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(text));
      done();
    },
  });
  server = await startGreeterServer({
    port: 0,
    certs,
    token: TOKEN,
    metricsAddress: { host: '127.0.0.1', port: 0 },
    logger: createLogger({ level: 'info', pretty: false, destination, mixin: traceFields }),
    serverOptions: { interceptors: [serverTracingInterceptor()] },
  });
  target = `localhost:${server.port}`;
  client = traced(TOKEN);
});
afterAll(async () => {
  client.close();
  await server.stop();
  await sdk.shutdown();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => exporter.reset());

function traced(token: string) {
  return createGreeterClient(target, { ca: certs.ca, token, channelOptions: { interceptors: [clientTracingInterceptor(target)] } });
}

const settle = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (err: grpc.ServiceError) => err.code,
  );
const spans = (kind: SpanKind) => exporter.getFinishedSpans().filter((s) => s.kind === kind);
const only = (kind: SpanKind): ReadableSpan => {
  const found = spans(kind);
  expect(found).toHaveLength(1);
  return found[0] as ReadableSpan;
};

describe('a call through the tracing interceptors', () => {
  it('makes a CLIENT and a SERVER span, named and attributed as instrumentation-grpc does', async () => {
    await sayHello(client, 'Ada');
    const [clientSpan, serverSpan] = [only(SpanKind.CLIENT), only(SpanKind.SERVER)];
    for (const span of [clientSpan, serverSpan]) {
      expect(span.name).toBe(METHOD);
      expect(span.attributes).toMatchObject({
        'rpc.system': 'grpc',
        'rpc.service': 'greeter.v1.Greeter',
        'rpc.method': 'SayHello',
        'rpc.grpc.status_code': 0,
      });
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
    }
    expect(clientSpan.attributes).toMatchObject({ 'server.address': 'localhost', 'server.port': server.port });
  });

  it('joins the server span to the client span through traceparent: same trace, client span as parent', async () => {
    await sayHello(client, 'Bob');
    const [clientSpan, serverSpan] = [only(SpanKind.CLIENT), only(SpanKind.SERVER)];
    expect(serverSpan.spanContext().traceId).toBe(clientSpan.spanContext().traceId);
    expect(serverSpan.parentSpanContext?.spanId).toBe(clientSpan.spanContext().spanId);
    expect(serverSpan.parentSpanContext?.isRemote).toBe(true);
  });

  it("makes the client span a child of the caller's active span", async () => {
    const tracer = trace.getTracer('test');
    const parentId = await tracer.startActiveSpan('caller', async (parent) => {
      await sayHello(client, 'Cy');
      parent.end();
      return parent.spanContext().spanId;
    });
    expect(only(SpanKind.CLIENT).parentSpanContext?.spanId).toBe(parentId);
  });

  it('sets status by the conventions: INVALID_ARGUMENT is an error for the client, not for the server', async () => {
    expect(await settle(sayHello(client, ''))).toBe(grpc.status.INVALID_ARGUMENT);
    const [clientSpan, serverSpan] = [only(SpanKind.CLIENT), only(SpanKind.SERVER)];
    expect(clientSpan.status.code).toBe(SpanStatusCode.ERROR);
    expect(serverSpan.status.code).toBe(SpanStatusCode.UNSET);
    expect(serverSpan.attributes['rpc.grpc.status_code']).toBe(grpc.status.INVALID_ARGUMENT);
  });

  it('traces a call that auth refuses: the server span ends UNAUTHENTICATED', async () => {
    const stranger = traced('wrong');
    try {
      expect(await settle(sayHello(stranger, 'Eve'))).toBe(grpc.status.UNAUTHENTICATED);
    } finally {
      stranger.close();
    }
    const serverSpan = only(SpanKind.SERVER);
    expect(serverSpan.attributes['rpc.grpc.status_code']).toBe(grpc.status.UNAUTHENTICATED);
    expect(serverSpan.parentSpanContext?.spanId).toBe(only(SpanKind.CLIENT).spanContext().spanId);
  });

  it("writes the server span's trace id and span id into the served log line", async () => {
    lines.length = 0;
    await sayHello(client, 'Dee');
    const serverSpan = only(SpanKind.SERVER);
    const served = lines.filter((l) => l.msg === 'served');
    expect(served).toHaveLength(1);
    expect(served[0]).toMatchObject({ trace_id: serverSpan.spanContext().traceId, span_id: serverSpan.spanContext().spanId });
  });
});

describe('a traceparent from a caller without these interceptors', () => {
  let plain: ReturnType<typeof createGreeterClient>;
  beforeAll(() => {
    plain = createGreeterClient(target, { ca: certs.ca, token: TOKEN });
  });
  afterAll(() => plain.close());
  const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
  const PARENT = '00f067aa0ba902b7';
  const withParent = (flags: string) => {
    const metadata = new grpc.Metadata();
    metadata.set('traceparent', `00-${TRACE}-${PARENT}-${flags}`);
    return metadata;
  };

  it('continues a sampled trace', async () => {
    await sayHello(plain, 'Ada', {}, withParent('01'));
    const serverSpan = only(SpanKind.SERVER);
    expect(serverSpan.spanContext().traceId).toBe(TRACE);
    expect(serverSpan.parentSpanContext?.spanId).toBe(PARENT);
  });

  it('records nothing for an unsampled one (the default sampler follows the parent), yet logs its trace id', async () => {
    lines.length = 0;
    await sayHello(plain, 'Ada', {}, withParent('00'));
    expect(exporter.getFinishedSpans()).toEqual([]);
    expect(lines.find((l) => l.msg === 'served')).toMatchObject({ trace_id: TRACE });
  });
});
