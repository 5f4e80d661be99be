// Span status as the OpenTelemetry semantic conventions for gRPC give it:
// a SERVER span is an error only when the server failed, not when the
// client sent something wrong (as an HTTP 400 is no error of the server's).
// @opentelemetry/instrumentation-grpc marks every non-OK server span ERROR.
import * as grpc from '@grpc/grpc-js';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';

const SERVER_ERRORS: ReadonlySet<number> = new Set([
  grpc.status.UNKNOWN,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.UNIMPLEMENTED,
  grpc.status.INTERNAL,
  grpc.status.UNAVAILABLE,
  grpc.status.DATA_LOSS,
]);

/** Whether a status code makes a SERVER span an error, by the conventions. */
export function isServerError(code: number): boolean {
  return SERVER_ERRORS.has(code);
}

function byConvention(span: ReadableSpan): ReadableSpan {
  if (span.kind !== SpanKind.SERVER || span.status.code !== SpanStatusCode.ERROR) return span;
  const code = span.attributes['rpc.grpc.status_code'];
  if (typeof code !== 'number' || isServerError(code)) return span;
  // An ended span cannot change: pass on a view of it with the status unset.
  return Object.create(span, { status: { value: { code: SpanStatusCode.UNSET } } }) as ReadableSpan;
}

/** Wraps an exporter so that the spans it gets have their status by the conventions. */
export class ConventionalStatus implements SpanExporter {
  constructor(private readonly next: SpanExporter) {}

  export(spans: ReadableSpan[], done: Parameters<SpanExporter['export']>[1]): void {
    this.next.export(spans.map(byConvention), done);
  }

  shutdown(): Promise<void> {
    return this.next.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.next.forceFlush?.() ?? Promise.resolve();
  }
}
