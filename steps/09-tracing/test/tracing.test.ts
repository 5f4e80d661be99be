// Tracing through real processes, as the runner starts them (instrumentation
// preloaded with --import): a traced server and a traced client export OTLP
// to a receiver this test runs, and the spans are checked as Jaeger would see them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Exit, type OtlpReceiver, SPAN_KIND, STATUS_ERROR, startLesson, startOtlpReceiver } from '@course/kit';
import * as grpc from '@grpc/grpc-js';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isServerError } from '../src/conventions.js';
import { ReportingExporter } from '../src/tracing.js';

const { SERVER, CLIENT } = SPAN_KIND;
const ERROR = STATUS_ERROR;
const [SUCCESS, FAILED] = [0, 1]; // ExportResultCode

const step = fileURLToPath(new URL('..', import.meta.url));
const instrument = fileURLToPath(new URL('../src/instrument.ts', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'course-tracing-'));

// An OTLP/HTTP receiver: what Jaeger's port 4318 does, minus the storage.
let receiver: OtlpReceiver;
let endpoint: string;
let received: OtlpReceiver['received'];
beforeAll(async () => {
  receiver = await startOtlpReceiver();
  ({ endpoint, received } = receiver);
});
afterAll(async () => {
  await receiver.close();
  rmSync(work, { recursive: true, force: true });
});

/** The lesson's process with its preload, as `pnpm step 09 ...` starts it. */
function lessonProcess(args: string[], env: NodeJS.ProcessEnv) {
  return startLesson(step, args, {
    preload: [instrument],
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_BSP_SCHEDULE_DELAY: '50',
      CERTS_DIR: join(work, 'certs'),
      AUTH_TOKEN: 'trace-token',
      METRICS_PORT: '0',
      SHUTDOWN_GRACE_MS: '1000',
      ...env,
    },
  });
}

const until = (check: () => boolean, what: string) => receiver.until(check, what);

describe('a traced server and a traced client, in their own processes', () => {
  let serverLog = '';
  let clientRuns: Exit[] = [];
  let unsampled: Exit;

  beforeAll(async () => {
    const server = lessonProcess(['serve', '--port', '0'], { OTEL_SERVICE_NAME: 'greeter-server', LOG_LEVEL: 'info' });
    const target = (await server.listening).replace('127.0.0.1', 'localhost');
    const client = (name: string, env: NodeJS.ProcessEnv = {}) =>
      lessonProcess(['client', '--target', target, '--name', name], { OTEL_SERVICE_NAME: 'greeter-client', ...env }).exited;
    clientRuns = [await client('Ada'), await client('')];
    unsampled = await client('Unsampled', { OTEL_TRACES_SAMPLER: 'always_off' });
    await until(() => received.filter((r) => r.service === 'greeter-client').length >= 2, 'the client spans');
    server.child.kill('SIGTERM');
    const { code, stdout } = await server.exited;
    expect(code).toBe(0);
    serverLog = stdout;
    await until(() => received.filter((r) => r.service === 'greeter-server').length >= 2, 'the server spans');
  }, 60_000);

  const spans = (service: string) => received.filter((r) => r.service === service).map((r) => r.span);

  it('ran the calls: one OK, one refused', () => {
    expect(clientRuns.map((r) => r.code)).toEqual([0, 1]);
    expect(clientRuns[1]?.stderr).toContain('INVALID_ARGUMENT');
    expect(unsampled.code).toBe(0);
  });

  it('makes a CLIENT span and a SERVER span per call, named after the method', () => {
    expect(spans('greeter-client').map((s) => [s.name, s.kind])).toEqual([
      ['grpc.greeter.v1.Greeter/SayHello', CLIENT],
      ['grpc.greeter.v1.Greeter/SayHello', CLIENT],
    ]);
    expect(spans('greeter-server').map((s) => [s.name, s.kind])).toEqual([
      ['grpc.greeter.v1.Greeter/SayHello', SERVER],
      ['grpc.greeter.v1.Greeter/SayHello', SERVER],
    ]);
  });

  it('joins each server span to its client span: same trace, client span as parent', () => {
    const servers = spans('greeter-server');
    for (const client of spans('greeter-client')) {
      const server = servers.find((s) => s.traceId === client.traceId);
      expect(server?.parentSpanId).toBe(client.spanId);
    }
    expect(new Set(spans('greeter-client').map((s) => s.traceId)).size).toBe(2);
  });

  it('sets span status by the gRPC semantic conventions: INVALID_ARGUMENT is an error for the client, not for the server', () => {
    const errors = (service: string) => spans(service).map((s) => s.status?.code === ERROR);
    expect(errors('greeter-client')).toEqual([false, true]);
    // A server span is an error only for codes that mean the server failed;
    // a client's bad argument leaves it unset, as an HTTP 400 does.
    expect(errors('greeter-server')).toEqual([false, false]);
    expect(spans('greeter-server').map((s) => s.status?.code ?? 0)).toEqual([0, 0]);
  });

  it('follows OTEL_TRACES_SAMPLER: an unsampled client call makes no span on either side', () => {
    expect(received).toHaveLength(4);
  });

  it('writes the trace id and span id of the server span into its log lines', () => {
    const lines = serverLog
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string; trace_id?: string; span_id?: string });
    const served = lines.filter((l) => l.msg === 'served');
    expect(served.length).toBeGreaterThanOrEqual(2);
    const serverSpans = spans('greeter-server');
    for (const span of serverSpans) expect(served.some((l) => l.trace_id === span.traceId && l.span_id === span.spanId)).toBe(true);
  });
});

describe('a collector that cannot be reached', () => {
  it('says so in one line naming the endpoint, and the demo exits 0 at once', async () => {
    // Nothing listens on port 1: every export is refused.
    const { code, stdout, stderr } = await lessonProcess([], { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' }).exited;
    expect(code).toBe(0);
    expect(stdout).toContain('spans go to OTLP');
    expect(stderr.trim().split('\n')).toEqual([
      'warning: spans could not be exported to http://127.0.0.1:1 (OTEL_EXPORTER_OTLP_ENDPOINT): connect ECONNREFUSED 127.0.0.1:1',
    ]);
  });

  it('names the traces endpoint when that is the one set, without the credentials in its URL', async () => {
    const { code, stderr } = await lessonProcess([], {
      OTEL_EXPORTER_OTLP_ENDPOINT: '',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://course:s3cret@127.0.0.1:1/v1/traces',
    }).exited;
    expect(code).toBe(0);
    expect(stderr.trim()).toBe(
      'warning: spans could not be exported to http://127.0.0.1:1/v1/traces (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT): connect ECONNREFUSED 127.0.0.1:1',
    );
  });

  it('reports once per run of failed exports, and again after one succeeded', () => {
    const results = [FAILED, FAILED, SUCCESS, FAILED];
    const inner: SpanExporter = {
      export: (_spans, done) => done(results.shift() === FAILED ? { code: FAILED, error: new Error('refused') } : { code: SUCCESS }),
      shutdown: async () => {},
    };
    const lines: string[] = [];
    const exporter = new ReportingExporter(inner, 'http://collector:4318 (OTEL_EXPORTER_OTLP_ENDPOINT)', (l) => lines.push(l));
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) exporter.export([], (r) => codes.push(r.code));
    expect(codes).toEqual([FAILED, FAILED, SUCCESS, FAILED]);
    expect(lines).toEqual(
      Array(2).fill('warning: spans could not be exported to http://collector:4318 (OTEL_EXPORTER_OTLP_ENDPOINT): refused'),
    );
  });
});

describe('the gRPC semantic conventions for a server span', () => {
  it('count as errors exactly UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE and DATA_LOSS', () => {
    const codes = Object.values(grpc.status).filter((c): c is number => typeof c === 'number');
    expect(codes).toHaveLength(17);
    expect(codes.filter(isServerError).map((c) => grpc.status[c])).toEqual([
      'UNKNOWN',
      'DEADLINE_EXCEEDED',
      'UNIMPLEMENTED',
      'INTERNAL',
      'UNAVAILABLE',
      'DATA_LOSS',
    ]);
  });
});
