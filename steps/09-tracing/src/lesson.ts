// Lesson 09 as the step runner drives it (with src/instrument.ts preloaded):
// two calls, their spans on both sides of the hop, and a log line that
// carries the trace id.

import { showSayHello } from '@course/01-unary';
import { createLogger } from '@course/04-interceptors';
import { tokenFromEnv } from '@course/05-metadata-auth';
import { courseCertificates } from '@course/06-tls';
import { createGreeterClient } from '@course/08-prometheus-metrics';
import { lesson as metricsLesson, serveWith } from '@course/08-prometheus-metrics/lesson';
import { type Lesson, pc, row } from '@course/kit';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { startGreeterServer } from './server.js';
import { recentSpans, spanDestination, traceFields } from './tracing.js';

/** One span as a row: kind, name, status, duration, trace id, and who its parent is. */
function describeSpan(span: ReadableSpan, all: readonly ReadableSpan[]): string {
  const kind = SpanKind[span.kind].padEnd(6);
  const status = span.status.code === SpanStatusCode.ERROR ? pc.red('ERROR') : pc.green(SpanStatusCode[span.status.code]);
  const ms = (span.duration[0] * 1e3 + span.duration[1] / 1e6).toFixed(1);
  const parentId = span.parentSpanContext?.spanId;
  const parent = all.find((s) => s.spanContext().spanId === parentId);
  const under = parent ? `child of the ${SpanKind[parent.kind]} span` : 'root';
  return `${kind} ${span.name.padEnd(36)} ${status.padEnd(5)} ${ms.padStart(6)} ms  trace ${span.spanContext().traceId.slice(0, 8)}…  ${under}`;
}

export const lesson: Lesson = {
  ...metricsLesson,
  step: '09',
  title: 'Tracing',
  summary: 'OpenTelemetry spans for every call, client and server in one trace, trace ids in the logs.',
  async demo() {
    const certs = await courseCertificates();
    const token = tokenFromEnv();
    const logger = createLogger({ pretty: true, level: 'info', mixin: traceFields });
    const server = await startGreeterServer({ certs, token, logger, metricsAddress: { host: '127.0.0.1', port: 0 } });
    row(
      'server',
      `listening on ${server.address}; spans go to ${spanDestination() === 'otlp' ? 'OTLP' : 'memory (no OTEL_EXPORTER_OTLP_ENDPOINT)'}`,
    );
    const client = createGreeterClient(`localhost:${server.port}`, { ca: certs.ca, token });
    try {
      await showSayHello(client);
    } finally {
      client.close();
      await server.stop();
    }
    const spans = recentSpans.all();
    for (const span of spans) row('span', describeSpan(span, spans));
    row('server', 'stopped');
  },
  serve: serveWith(startGreeterServer),
};
