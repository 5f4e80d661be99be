// One server for `pnpm bench`, in its own process: a bare grpc-js server with
// some of the lessons' layers switched on (their own exported interceptors and
// wrappers, composed here), or a lesson's whole chain as the lesson starts it.
//
//   bench-server.ts <kind> <certDir>
//     bare     SayHello over TLS, nothing else
//     h2c      the same without TLS (what TLS itself costs)
//     layers   bare plus BENCH_LAYERS (comma-separated: auth, log, recovery, metrics, trace; tracing is
//              either the preload src/instrument.ts or `trace`, lesson 09's interceptors; its sampler
//              OTEL_TRACES_SAMPLER[_ARG])
//     stream   bare plus StreamGreetings with no pause between messages
//     07, 09   lesson 07's / lesson 09's startGreeterServer (09: start it with the tracing preload)
//     09i      lesson 09's startGreeterServer with its tracing interceptors instead of the preload
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { promisify } from 'node:util';
import { greeterV1, greeting, sayHelloHandler, startGreeterServer as startBare } from '@course/01-unary';
import { streamGreetingsHandler } from '@course/02-server-streaming';
import { createLogger, recoverHandlers, serverLoggingInterceptor } from '@course/04-interceptors';
import { authInterceptor, sayHelloAsCaller } from '@course/05-metadata-auth';
import { serverCredentials } from '@course/06-tls';
import { startGreeterServer as start07 } from '@course/07-reflection-health';
import { GrpcMetrics, serverMetricsInterceptor } from '@course/08-prometheus-metrics';
import { serverTracingInterceptor, startGreeterServer as start09, startTracing } from '@course/09-tracing';
import { loadCertificates } from '@course/kit/certs';
import type * as grpc from '@grpc/grpc-js';
import { Registry } from 'prom-client';

const [kind = 'bare', certDir] = process.argv.slice(2);
const certs = loadCertificates(certDir);
const token = process.env.AUTH_TOKEN ?? 'bench-token';
const common = { port: 0, certs, token, graceMs: 500 };

async function startLayers(layers: readonly string[]) {
  const on = (layer: string) => layers.includes(layer);
  const logger = createLogger({ level: 'info', pretty: false });
  const interceptors: grpc.ServerInterceptor[] = [];
  // The lessons' order: logging nearest the network, then metrics, auth last.
  if (on('log')) interceptors.push(serverLoggingInterceptor(logger));
  if (on('metrics')) {
    const metrics = new GrpcMetrics(new Registry(), 'server');
    metrics.initialize(greeterV1.Greeter.service);
    interceptors.push(serverMetricsInterceptor(metrics));
  }
  // Where lesson 09 puts it: after metrics, before auth (so refused calls have spans too).
  if (on('trace')) {
    startTracing(process.env, { instrument: false });
    interceptors.push(serverTracingInterceptor());
  }
  if (on('auth')) interceptors.push(authInterceptor({ token }));
  return startBare({
    credentials: serverCredentials(certs),
    serverOptions: interceptors.length > 0 ? { interceptors } : undefined,
    handlers: { SayHello: on('auth') ? sayHelloAsCaller : sayHelloHandler },
    wrapHandlers: on('recovery') ? (handlers) => recoverHandlers('greeter.v1.Greeter', handlers, logger) : undefined,
  });
}

function start09i() {
  startTracing(process.env, { instrument: false });
  return start09({
    ...common,
    metricsAddress: { host: '127.0.0.1', port: 0 },
    serverOptions: { interceptors: [serverTracingInterceptor()] },
  });
}

const layers = (process.env.BENCH_LAYERS ?? '').split(',').filter(Boolean);
const server = await (kind === 'bare'
  ? startBare({
      credentials: serverCredentials(certs),
      handlers: { SayHello: (call, cb) => cb(null, { message: greeting(call.request.name) }) },
    })
  : kind === 'h2c'
    ? startBare({ handlers: { SayHello: (call, cb) => cb(null, { message: greeting(call.request.name) }) } })
    : kind === 'layers'
      ? startLayers(layers)
      : kind === 'stream'
        ? startBare({ credentials: serverCredentials(certs), handlers: { StreamGreetings: streamGreetingsHandler({ intervalMs: 0 }) } })
        : kind === '07'
          ? start07(common)
          : kind === '09i'
            ? start09i()
            : start09({ ...common, metricsAddress: { host: '127.0.0.1', port: 0 } }));
process.stderr.write(`listening on ${server.address}\n`);
// `pnpm bench --profile`: SIGUSR2 starts the CPU profiler, the next one writes BENCH_PROFILE,
// so the profile holds the measured calls and not the start-up.
const profileFile = process.env.BENCH_PROFILE;
if (profileFile) {
  const session = new Session();
  session.connect();
  const post = promisify(session.post.bind(session)) as (method: string, params?: object) => Promise<{ profile?: object }>;
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  let profiling = false;
  process.on('SIGUSR2', async () => {
    if (!profiling) {
      profiling = true;
      await post('Profiler.start');
      process.stderr.write('profiling\n');
    } else {
      const { profile } = await post('Profiler.stop');
      writeFileSync(profileFile, JSON.stringify(profile));
      process.stderr.write('profile written\n');
    }
  });
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void server.stop());
