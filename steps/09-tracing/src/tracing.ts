// The OpenTelemetry Node SDK with the gRPC instrumentation: one span per call
// on each side, joined into one trace by the `traceparent` header the client
// instrumentation adds to the call's metadata.
import { trace } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, type ReadableSpan, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace';
import { ConventionalStatus } from './conventions.js';

/** Keeps the last spans in memory when no collector is configured, for the demo to show. */
export class RecentSpans implements SpanExporter {
  private readonly spans: ReadableSpan[] = [];
  constructor(private readonly limit = 1_000) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.spans.push(...spans);
    if (this.spans.length > this.limit) this.spans.splice(0, this.spans.length - this.limit);
    done({ code: ExportResultCode.SUCCESS });
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

/** The endpoint setting in effect, for messages: "http://host:4318 (OTEL_EXPORTER_OTLP_ENDPOINT)". */
function otlpEndpoint(env: NodeJS.ProcessEnv): string {
  const name = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT';
  // A collector URL may carry credentials (https://user:key@host): they stay out of the message.
  return `${(env[name] ?? '').replace(/\/\/[^/@]*@/, '//')} (${name})`;
}

/** "connect ECONNREFUSED 127.0.0.1:1", "HTTP 404 Not Found", or the error's code when it has no message. */
function reason(error: Error | undefined): string {
  if (!error) return 'unknown error';
  const { code } = error as { code?: unknown };
  if (typeof code === 'number') return `HTTP ${code} ${error.message}`.trim();
  return error.message || String(code ?? error.name);
}

/**
 * Passes spans on to `inner` and says in one line on stderr when they could
 * not be delivered: the SDK drops them and reports only through its
 * diagnostic logger, which is off. Once per run of failures, not per batch.
 */
export class ReportingExporter implements SpanExporter {
  private failing = false;
  constructor(
    private readonly inner: SpanExporter,
    private readonly where: string,
    private readonly report: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code === ExportResultCode.SUCCESS) this.failing = false;
      else if (!this.failing) {
        this.failing = true;
        this.report(`warning: spans could not be exported to ${this.where}: ${reason(result.error)}`);
      }
      done(result);
    });
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

/** The OTLP/HTTP exporter, which reads the standard OTEL_EXPORTER_OTLP_* variables, reporting failures. */
function otlpExporter(env: NodeJS.ProcessEnv): SpanExporter {
  // The SDK's default is to retry a refused export for up to 10 s, which
  // keeps a finished demo waiting at exit; a lesson's collector is local, so
  // 1 s will do unless a timeout variable says otherwise.
  const timeoutMillis = env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT || env.OTEL_EXPORTER_OTLP_TIMEOUT ? undefined : 1_000;
  return new ReportingExporter(new OTLPTraceExporter({ timeoutMillis }), otlpEndpoint(env));
}

/**
 * Starts the SDK. It must run before @grpc/grpc-js is first loaded (see
 * instrument.ts): the instrumentation patches grpc-js as it loads, and a
 * grpc-js loaded earlier is never patched, silently.
 * The sampler comes from OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG
 * (default: parentbased_always_on). With `instrument: false` the SDK starts
 * without the gRPC instrumentation, for the interceptors (interceptors.ts)
 * to make the spans instead; then nothing needs to load first.
 */
export function startTracing(env: NodeJS.ProcessEnv = process.env, { instrument = true } = {}): NodeSDK {
  const otlp = spanDestination(env) === 'otlp';
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME || 'grpc-course',
    spanProcessors: [
      otlp
        ? new BatchSpanProcessor({ exporter: new ConventionalStatus(otlpExporter(env)) })
        : new SimpleSpanProcessor({ exporter: new ConventionalStatus(recentSpans) }),
    ],
    instrumentations: instrument ? [new GrpcInstrumentation()] : [],
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
