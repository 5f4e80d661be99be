// The OpenTelemetry Node SDK with the gRPC instrumentation: one span per call
// on each side, joined into one trace by the `traceparent` header the client
// instrumentation adds to the call's metadata.
import { trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, type ReadableSpan, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ConventionalStatus } from './conventions.js';

/** Keeps the last spans in memory when no collector is configured, for the demo to show. */
export class RecentSpans implements SpanExporter {
  private readonly spans: ReadableSpan[] = [];
  constructor(private readonly limit = 1_000) {}

  export(spans: ReadableSpan[], done: (result: { code: 0 }) => void): void {
    this.spans.push(...spans);
    if (this.spans.length > this.limit) this.spans.splice(0, this.spans.length - this.limit);
    done({ code: 0 });
  }

  all(): readonly ReadableSpan[] {
    return this.spans;
  }

  async shutdown(): Promise<void> {}
}

export const recentSpans = new RecentSpans();

/** Where spans go: OTLP (e.g. Jaeger) when an endpoint is set, else memory. */
export function spanDestination(env: NodeJS.ProcessEnv = process.env): 'otlp' | 'memory' {
  return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT ? 'otlp' : 'memory';
}

/**
 * Starts the SDK. It must run before @grpc/grpc-js is first loaded (see
 * instrument.ts): the instrumentation patches grpc-js as it loads, and a
 * grpc-js loaded earlier is never patched, silently.
 * The sampler comes from OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG
 * (default: parentbased_always_on); the OTLP exporter reads the standard
 * OTEL_EXPORTER_OTLP_* variables itself.
 */
export function startTracing(env: NodeJS.ProcessEnv = process.env): NodeSDK {
  const otlp = spanDestination(env) === 'otlp';
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME || 'grpc-course',
    spanProcessors: [
      otlp
        ? new BatchSpanProcessor(new ConventionalStatus(new OTLPTraceExporter()))
        : new SimpleSpanProcessor(new ConventionalStatus(recentSpans)),
    ],
    instrumentations: [new GrpcInstrumentation()],
  });
  sdk.start();
  return sdk;
}

/** The active span's ids, for log lines: pino calls this for every line it writes. */
export function traceFields(): { trace_id?: string; span_id?: string } {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}
