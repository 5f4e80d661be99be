// Tracing as grpc-js interceptors on @opentelemetry/api: the spans that
// @opentelemetry/instrumentation-grpc makes (same names, same rpc.*
// attributes, the same `traceparent` through the W3C propagator), with no
// patching and no `--import` preload, and measured cheaper (docs/performance.md).
import { cancelledCode, deliveredCode } from '@course/04-interceptors';
import * as grpc from '@grpc/grpc-js';
import {
  type Attributes,
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { isServerError } from './conventions.js';

/** The tracer's name: spans say which library made them (instrumentation-grpc says its own). */
export const TRACER_NAME = '@course/09-tracing';

const fromMetadata: TextMapGetter<grpc.Metadata> = {
  keys: (metadata) => Object.keys(metadata.getMap()),
  get(metadata, key) {
    const values = metadata.get(key);
    return values.length === 0 ? undefined : values.map(String);
  },
};
const intoMetadata: TextMapSetter<grpc.Metadata> = { set: (metadata, key, value) => metadata.set(key, value) };

/** A method's span name and attributes, made once per method: a call only reads them. */
interface Named {
  name: string;
  attributes: Attributes;
}

function namer(extra: Attributes = {}): (path: string) => Named {
  // Only registered methods reach a server interceptor, and a client calls its own API: bounded.
  const byPath = new Map<string, Named>();
  return (path) => {
    let named = byPath.get(path);
    if (named === undefined) {
      const slash = path.lastIndexOf('/');
      named = {
        // "grpc.greeter.v1.Greeter/SayHello", as instrumentation-grpc names it.
        name: `grpc.${path.slice(1)}`,
        attributes: { 'rpc.system': 'grpc', 'rpc.service': path.slice(1, slash), 'rpc.method': path.slice(slash + 1), ...extra },
      };
      byPath.set(path, named);
    }
    return named;
  };
}

function endSpan(span: Span, code: grpc.status, isError: boolean, details?: string): void {
  span.setAttribute('rpc.grpc.status_code', code);
  if (isError) span.setStatus({ code: SpanStatusCode.ERROR, message: details });
  span.end();
}

/**
 * A SERVER span per call, child of the caller's span when its metadata
 * carries a `traceparent`. The span is the active one wherever the handler
 * runs (so log lines carry its trace id); its status follows the semantic
 * conventions (an error only when the server failed).
 */
export function serverTracingInterceptor(tracer: Tracer = trace.getTracer(TRACER_NAME)): grpc.ServerInterceptor {
  const named = namer();
  return (method, call) => {
    const { name, attributes } = named(method.path);
    let active: Context = ROOT_CONTEXT;
    let span: Span | undefined;
    const end = (code: grpc.status, details?: string) => {
      if (span === undefined) return;
      endSpan(span, code, isServerError(code), details);
      span = undefined;
    };
    // The span's context is entered where grpc-js runs what follows: the
    // metadata callback (later interceptors; a request stream's handler), the
    // half-close one (a unary or server-streaming handler), and, only for
    // request streams, each message (the handler's 'data' listeners).
    const streaming = method.requestStream;
    return new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, nextMetadata) {
            const parent = propagation.extract(ROOT_CONTEXT, metadata, fromMetadata);
            span = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
            active = trace.setSpan(parent, span);
            context.with(active, nextMetadata, undefined, metadata);
          },
          onReceiveMessage(message, nextMessage) {
            if (streaming) context.with(active, nextMessage, undefined, message);
            else nextMessage(message);
          },
          onReceiveHalfClose(nextHalfClose) {
            context.with(active, nextHalfClose);
          },
          // Every call ends here, after its status if it had one.
          onCancel() {
            end(cancelledCode(call));
          },
        });
      },
      sendStatus(status, next) {
        end(deliveredCode(call, status.code), status.details);
        next(status);
      },
    });
  };
}

/**
 * A CLIENT span per call, child of whatever span is active where the call
 * is made, and its context sent as `traceparent` (and `tracestate`) in the
 * call's metadata. `target` ("host:port") gives server.address and server.port.
 */
export function clientTracingInterceptor(target: string, tracer: Tracer = trace.getTracer(TRACER_NAME)): grpc.Interceptor {
  const colon = target.lastIndexOf(':');
  const named = namer({
    'server.address': target.slice(0, colon).replace(/^\[|\]$/g, ''),
    'server.port': Number(target.slice(colon + 1)),
  });
  return (options, nextCall) => {
    const { name, attributes } = named(options.method_definition.path);
    // Read now: grpc-js runs the interceptor where the call is made, in its caller's context.
    const parent = context.active();
    const span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent);
    return new grpc.InterceptingCall(nextCall(options), {
      start(metadata, _listener, next) {
        propagation.inject(trace.setSpan(parent, span), metadata, intoMetadata);
        next(metadata, {
          onReceiveStatus(status, nextStatus) {
            endSpan(span, status.code, status.code !== grpc.status.OK, status.details);
            nextStatus(status);
          },
        });
      },
    });
  };
}
