// Tracing through real processes, as the runner starts them (instrumentation
// preloaded with --import): a traced server and a traced client export OTLP
// to a receiver this test runs, and the spans are checked as Jaeger would see them.
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Exit, startLesson } from '@course/kit';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isServerError } from '../src/conventions.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  status?: { code?: number };
}
const SERVER = 2;
const CLIENT = 3;
const ERROR = 2;

const step = fileURLToPath(new URL('..', import.meta.url));
const instrument = fileURLToPath(new URL('../src/instrument.ts', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'course-tracing-'));

// An OTLP/HTTP receiver: what Jaeger's port 4318 does, minus the storage.
const received: { service: string; span: OtlpSpan }[] = [];
const receiver = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => {
    body += c;
  });
  req.on('end', () => {
    const payload = JSON.parse(body) as {
      resourceSpans: {
        resource: { attributes: { key: string; value: { stringValue?: string } }[] };
        scopeSpans: { spans: OtlpSpan[] }[];
      }[];
    };
    for (const rs of payload.resourceSpans) {
      const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
      for (const ss of rs.scopeSpans) for (const span of ss.spans) received.push({ service, span });
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
  });
});

let endpoint: string;
beforeAll(async () => {
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
afterAll(async () => {
  receiver.close();
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

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; received ${JSON.stringify(received)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

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
