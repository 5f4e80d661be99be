// One trace across three processes, as the runner starts them with tracing
// preloaded: a client, `serve`'s Greeter, and the Logger process it starts.
// Their spans go to an OTLP receiver this test runs; the ids the client sent
// come back from the Logger.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Exit, type OtlpReceiver, SPAN_KIND, startLesson, startOtlpReceiver } from '@course/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const step = fileURLToPath(new URL('..', import.meta.url));
// The preload is lesson 09's, as package.json's course.preload names it.
const instrument = createRequire(import.meta.url).resolve('@course/09-tracing/instrument');
const work = mkdtempSync(join(tmpdir(), 'course-propagation-trace-'));
let receiver: OtlpReceiver;

function lessonProcess(args: string[], env: NodeJS.ProcessEnv) {
  return startLesson(step, args, {
    preload: [instrument],
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_BSP_SCHEDULE_DELAY: '50',
      CERTS_DIR: join(work, 'certs'),
      AUTH_TOKEN: 'trace-token',
      LOGGER_TOKEN: 'trace-logger-token',
      METRICS_PORT: '0',
      SHUTDOWN_GRACE_MS: '1000',
      ...env,
    },
  });
}

describe('a call from a client process through serve’s Greeter and Logger processes', () => {
  let client: Exit;
  let entries: Exit;
  let served: Exit;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    const server = lessonProcess(['serve', '--port', '0'], { OTEL_SERVICE_NAME: 'greeter-server' });
    try {
      const [greeter, logger] = (await Promise.all([server.listening, server.listeningAs('logger')])).map((a) =>
        a.replace('127.0.0.1', 'localhost'),
      );
      const run = (args: string[]) => lessonProcess(['client', ...args], { OTEL_SERVICE_NAME: 'greeter-client' }).exited;
      client = await run(['--target', greeter as string, '--name', 'Ada', '--user', 'u-7', '--request-id', 'trace-req-1']);
      entries = await run(['--target', logger as string, '--entries']);
      await receiver.until((r) => r.some((s) => s.service === 'logger' && s.span.name.endsWith('/Log')), 'the Logger’s span');
    } finally {
      server.child.kill('SIGTERM');
      served = await server.exited;
    }
  }, 60_000);
  afterAll(async () => {
    await receiver.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('greets with the user id and answers with the request id', () => {
    expect(client.code).toBe(0);
    expect(client.stdout).toMatch(/request\s+trace-req-1 /);
    expect(client.stdout).toMatch(/SayHello\s+Hello, Ada! \(for user u-7\)/);
  });

  it('reaches the Logger with both ids, which it keeps', () => {
    expect(entries.code).toBe(0);
    expect(entries.stdout).toMatch(/"Hello, Ada! \(for user u-7\)".*, user u-7, request trace-req-1\n/);
  });

  it('makes one trace of it: client → Greeter → Logger, each span the child of the one before', () => {
    const greeting = receiver.received.find((r) => r.service === 'greeter-client' && r.span.name.endsWith('Greeter/SayHello'));
    const trace = receiver.received.filter((r) => r.span.traceId === greeting?.span.traceId);
    const chain = [
      ['greeter-client', SPAN_KIND.CLIENT, 'grpc.greeter.v1.Greeter/SayHello'],
      ['greeter-server', SPAN_KIND.SERVER, 'grpc.greeter.v1.Greeter/SayHello'],
      ['greeter-server', SPAN_KIND.CLIENT, 'grpc.logger.v1.LoggerService/Log'],
      ['logger', SPAN_KIND.SERVER, 'grpc.logger.v1.LoggerService/Log'],
    ] as const;
    expect(trace).toHaveLength(chain.length);
    let parent: string | undefined;
    for (const [service, kind, name] of chain) {
      const span = trace.find((r) => r.service === service && r.span.kind === kind && r.span.name === name)?.span;
      expect(span, `${service} ${name}`).toBeDefined();
      expect(span?.parentSpanId || undefined).toBe(parent);
      parent = span?.spanId;
    }
  });

  it('stops both servers on one SIGTERM', () => {
    expect(served.code).toBe(0);
    expect(served.stdout).toMatch(/logger\s+stopped\n[\s\S]*server\s+stopped\n$/);
  });
});
