// gRPC metrics as go-grpc-prometheus exports them, same names, same labels,
// same code names, so the dashboards and alerts written for Go servers work
// unchanged. Series are made per registered method, never per caller input.
import { cancelledCode, deliveredCode } from '@course/04-interceptors';
import * as grpc from '@grpc/grpc-js';
import { Counter, Histogram, type Registry } from 'prom-client';

/** Status codes as Go's codes.Code.String() spells them: what go-grpc-prometheus puts in grpc_code. */
export const GO_CODE_NAMES = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
] as const;

export type GrpcType = 'unary' | 'client_stream' | 'server_stream' | 'bidi_stream';

export function grpcType({ requestStream, responseStream }: { requestStream: boolean; responseStream: boolean }): GrpcType {
  if (requestStream) return responseStream ? 'bidi_stream' : 'client_stream';
  return responseStream ? 'server_stream' : 'unary';
}

const METHOD_LABELS = ['grpc_type', 'grpc_service', 'grpc_method'] as const;
type MethodLabels = Record<(typeof METHOD_LABELS)[number], string>;

/**
 * One method's counts. A call only adds to plain numbers here; prom-client
 * gets them when it is scraped (each family's collect()), because its own
 * inc() builds a label key string per call, even through a bound child.
 */
export class Series {
  started = 0;
  received = 0;
  sent = 0;
  readonly handled = new Float64Array(GO_CODE_NAMES.length);
  /** What prom-client was last given, to pass on only what was added since. */
  readonly reported = { started: 0, received: 0, sent: 0, handled: new Float64Array(GO_CODE_NAMES.length) };
  readonly handling: Histogram.Internal<string>;
  /** Per method, not per call: the listener and responder steps that only count a message. */
  readonly onReceiveMessage = (message: unknown, next: (message: unknown) => void): void => {
    this.received++;
    next(message);
  };
  readonly sendMessage = (message: unknown, next: (message: unknown) => void): void => {
    this.sent++;
    next(message);
  };

  constructor(
    readonly labels: MethodLabels,
    handling: Histogram,
  ) {
    this.handling = handling.labels(labels);
  }
}

type Count = 'started' | 'received' | 'sent';

/** One side's (server or client) five families, and the series per method. */
export class GrpcMetrics {
  private readonly started: Counter;
  private readonly handled: Counter;
  private readonly received: Counter;
  private readonly sent: Counter;
  private readonly handling: Histogram;
  private readonly byPath = new Map<string, Series>();

  constructor(
    registry: Registry,
    readonly side: 'server' | 'client',
  ) {
    const p = `grpc_${side}`;
    const registers = [registry];
    const labelNames = [...METHOD_LABELS];
    const rpcs = side === 'server' ? 'RPCs started on the server' : 'RPCs started on the client';
    const byPath = this.byPath;
    /** A collect() that hands prom-client what a count gained since the last scrape. */
    const flush = (count: Count) =>
      function (this: Counter) {
        for (const series of byPath.values()) {
          const added = series[count] - series.reported[count];
          if (added > 0) this.inc(series.labels, added);
          series.reported[count] = series[count];
        }
      };
    this.started = new Counter({
      name: `${p}_started_total`,
      help: `Total number of ${rpcs}.`,
      labelNames,
      registers,
      collect: flush('started'),
    });
    this.handled = new Counter({
      name: `${p}_handled_total`,
      help: `Total number of RPCs completed on the ${side}, regardless of success or failure.`,
      labelNames: [...labelNames, 'grpc_code'],
      registers,
      collect(this: Counter) {
        for (const series of byPath.values()) {
          series.handled.forEach((count, code) => {
            const added = count - (series.reported.handled[code] ?? 0);
            if (added > 0) this.inc({ ...series.labels, grpc_code: GO_CODE_NAMES[code] as string }, added);
            series.reported.handled[code] = count;
          });
        }
      },
    });
    this.received = new Counter({
      name: `${p}_msg_received_total`,
      help: `Total number of RPC stream messages received on the ${side}.`,
      labelNames,
      registers,
      collect: flush('received'),
    });
    this.sent = new Counter({
      name: `${p}_msg_sent_total`,
      help: `Total number of gRPC stream messages sent by the ${side}.`,
      labelNames,
      registers,
      collect: flush('sent'),
    });
    this.handling = new Histogram({
      name: `${p}_handling_seconds`,
      help: `Histogram of response latency (seconds) of gRPC that had been application-level handled by the ${side}.`,
      labelNames,
      // Go's prometheus.DefBuckets, which go-grpc-prometheus uses.
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
  }

  /**
   * The series for a method, made on first use. Only methods the server
   * registered reach an interceptor (grpc-js answers others UNIMPLEMENTED
   * before any interceptor runs), so this map is bounded by the API.
   */
  series(path: string, type: GrpcType): Series {
    let series = this.byPath.get(path);
    if (series === undefined) {
      series = new Series(this.labelsOf(path, type), this.handling);
      this.byPath.set(path, series);
    }
    return series;
  }

  /** Creates every series of a service at zero, as go-grpc-prometheus's InitializeMetrics does, so rate() works from the first scrape. */
  initialize(service: grpc.ServiceDefinition): void {
    for (const method of Object.values(service)) {
      const { labels } = this.series(method.path, grpcType(method));
      for (const counter of [this.started, this.received, this.sent]) counter.inc(labels, 0);
      for (const grpc_code of GO_CODE_NAMES) this.handled.inc({ ...labels, grpc_code }, 0);
      this.handling.zero(labels);
    }
  }

  private labelsOf(path: string, type: GrpcType): MethodLabels {
    const slash = path.lastIndexOf('/');
    return { grpc_type: type, grpc_service: path.slice(1, slash), grpc_method: path.slice(slash + 1) };
  }
}

/** A call's end, counted once whichever way it ends. */
function finish(series: Series, startedAt: number, code: grpc.status): void {
  if (code < series.handled.length) series.handled[code] = (series.handled[code] ?? 0) + 1;
  series.handling.observe((performance.now() - startedAt) / 1000);
}

export function serverMetricsInterceptor(metrics: GrpcMetrics): grpc.ServerInterceptor {
  return (method, call) => {
    const series = metrics.series(method.path, grpcType(method));
    series.started++;
    const startedAt = performance.now();
    let done = false;
    return new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMessage: series.onReceiveMessage,
          // grpc-js calls this when any call ends; it counts only a call that
          // ended with no status from its handler (lesson 04 says why).
          onCancel() {
            if (done) return;
            done = true;
            finish(series, startedAt, cancelledCode(call));
          },
        });
      },
      sendMessage: series.sendMessage,
      sendStatus(status, next) {
        if (!done) {
          done = true;
          finish(series, startedAt, deliveredCode(call, status.code));
        }
        next(status);
      },
    });
  };
}

export function clientMetricsInterceptor(metrics: GrpcMetrics): grpc.Interceptor {
  return (options, nextCall) => {
    const series = metrics.series(options.method_definition.path, grpcType(options.method_definition));
    return new grpc.InterceptingCall(nextCall(options), {
      start(metadata, _listener, next) {
        series.started++;
        const startedAt = performance.now();
        next(metadata, {
          onReceiveMessage: series.onReceiveMessage,
          onReceiveStatus(status, nextStatus) {
            finish(series, startedAt, status.code);
            nextStatus(status);
          },
        });
      },
      sendMessage: series.sendMessage,
    });
  };
}
