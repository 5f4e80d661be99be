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

/** The prom-client children for one method, bound once so a call only increments. */
interface Series {
  started: Counter.Internal;
  received: Counter.Internal;
  sent: Counter.Internal;
  handling: Histogram.Internal<string>;
  handled: Counter.Internal[];
}

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
    this.started = new Counter({ name: `${p}_started_total`, help: `Total number of ${rpcs}.`, labelNames, registers });
    this.handled = new Counter({
      name: `${p}_handled_total`,
      help: `Total number of RPCs completed on the ${side}, regardless of success or failure.`,
      labelNames: [...labelNames, 'grpc_code'],
      registers,
    });
    this.received = new Counter({
      name: `${p}_msg_received_total`,
      help: `Total number of RPC stream messages received on the ${side}.`,
      labelNames,
      registers,
    });
    this.sent = new Counter({
      name: `${p}_msg_sent_total`,
      help: `Total number of gRPC stream messages sent by the ${side}.`,
      labelNames,
      registers,
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
      const labels = this.labelsOf(path, type);
      series = {
        started: this.started.labels(labels),
        received: this.received.labels(labels),
        sent: this.sent.labels(labels),
        handling: this.handling.labels(labels),
        handled: GO_CODE_NAMES.map((grpc_code) => this.handled.labels({ ...labels, grpc_code })),
      };
      this.byPath.set(path, series);
    }
    return series;
  }

  /** Creates every series of a service at zero, as go-grpc-prometheus's InitializeMetrics does, so rate() works from the first scrape. */
  initialize(service: grpc.ServiceDefinition): void {
    for (const method of Object.values(service)) {
      const series = this.series(method.path, grpcType(method));
      for (const counter of [series.started, series.received, series.sent, ...series.handled]) counter.inc(0);
      this.handling.zero(this.labelsOf(method.path, grpcType(method)));
    }
  }

  private labelsOf(path: string, type: GrpcType): MethodLabels {
    const slash = path.lastIndexOf('/');
    return { grpc_type: type, grpc_service: path.slice(1, slash), grpc_method: path.slice(slash + 1) };
  }
}

/** A call's end, counted once whichever way it ends. */
function finish(series: Series, startedAt: number, code: grpc.status): void {
  series.handled[code]?.inc();
  series.handling.observe((performance.now() - startedAt) / 1000);
}

export function serverMetricsInterceptor(metrics: GrpcMetrics): grpc.ServerInterceptor {
  return (method, call) => {
    const series = metrics.series(method.path, grpcType(method));
    series.started.inc();
    const startedAt = performance.now();
    let done = false;
    return new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMessage(message, nextMessage) {
            series.received.inc();
            nextMessage(message);
          },
          // grpc-js calls this when any call ends; it counts only a call that
          // ended with no status from its handler (lesson 04 says why).
          onCancel() {
            if (done) return;
            done = true;
            finish(series, startedAt, cancelledCode(call));
          },
        });
      },
      sendMessage(message, next) {
        series.sent.inc();
        next(message);
      },
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
        series.started.inc();
        const startedAt = performance.now();
        next(metadata, {
          onReceiveMessage(message, nextMessage) {
            series.received.inc();
            nextMessage(message);
          },
          onReceiveStatus(status, nextStatus) {
            finish(series, startedAt, status.code);
            nextStatus(status);
          },
        });
      },
      sendMessage(message, next) {
        series.sent.inc();
        next(message);
      },
    });
  };
}
