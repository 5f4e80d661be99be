// Lesson 08 as the step runner drives it: a few calls of every outcome, then
// the series they produced, read back from /metrics as Prometheus would.

import { sayHello } from '@course/01-unary';
import { streamGreetings } from '@course/02-server-streaming';
import { createLogger } from '@course/04-interceptors';
import { tokenFromEnv } from '@course/05-metadata-auth';
import { courseCertificates, tlsLesson } from '@course/06-tls';
import { lesson as healthLesson } from '@course/07-reflection-health/lesson';
import { type Lesson, row } from '@course/kit';
import { createGreeterClient } from './client.js';
import { GrpcMetrics } from './metrics.js';
import { startGreeterServer } from './server.js';

/** The lines of an exposition whose name starts with prefix and whose value is not 0. */
export function nonZero(exposition: string, prefix: string): string[] {
  return exposition.split('\n').filter((l) => l.startsWith(prefix) && !l.endsWith(' 0'));
}

/** `serve` for this lesson and the ones built on it: TLS certificates, the server, its metrics URL. */
export function serveWith(start: typeof startGreeterServer): Lesson['serve'] {
  return async ({ host, port, flags }) => {
    const server = await start({ host, port, mtls: flags.mtls === true });
    row('metrics', `${server.metricsUrl} (METRICS_PORT, METRICS_HOST)`);
    return server;
  };
}

export const lesson: Lesson = {
  step: '08',
  title: 'Prometheus metrics',
  summary: 'go-grpc-prometheus series from prom-client, served on /metrics for Prometheus to scrape.',
  defaultTarget: tlsLesson.defaultTarget,
  flags: { serve: healthLesson.flags?.serve, client: healthLesson.flags?.client },
  async demo() {
    const certs = await courseCertificates();
    const token = tokenFromEnv();
    const server = await startGreeterServer({
      certs,
      token,
      metricsAddress: { host: '127.0.0.1', port: 0 },
      logger: createLogger({ level: 'silent' }),
    });
    const target = `localhost:${server.port}`;
    row('server', `listening on ${server.address}, metrics on ${server.metricsUrl}`);
    // The client counts into the same registry here; in a real system each process has its own.
    const clientMetrics = new GrpcMetrics(server.registry, 'client');
    const client = createGreeterClient(target, { ca: certs.ca, token, metrics: clientMetrics });
    const stranger = createGreeterClient(target, { ca: certs.ca, token: 'wrong', metrics: clientMetrics });
    try {
      const settle = (p: Promise<unknown>) =>
        p.then(
          () => 'ok',
          () => 'failed',
        );
      await Promise.all([sayHello(client, 'Ada'), sayHello(client, 'Bob'), sayHello(client, 'Cy')]);
      await settle(sayHello(client, ''));
      await settle(sayHello(stranger, 'Eve'));
      await streamGreetings(client, 'Dee', 3).toArray();
      row('calls', '3 SayHello OK, 1 with an empty name, 1 with a wrong token, 1 stream of 3');
      const exposition = await (await fetch(server.metricsUrl)).text();
      const families = new Set(
        exposition
          .split('\n')
          .filter((l) => l.startsWith('# TYPE'))
          .map((l) => l.split(' ')[2]),
      );
      row('scrape', `GET /metrics: ${families.size} metric families, grpc_* and Node's process_*/nodejs_*`);
      for (const line of [...nonZero(exposition, 'grpc_server_handled_total'), ...nonZero(exposition, 'grpc_server_msg_sent_total')]) {
        row('', line.replace(/grpc_service="greeter\.v1\.Greeter",/, ''));
      }
      for (const line of nonZero(exposition, 'grpc_client_handled_total'))
        row('', line.replace(/grpc_service="greeter\.v1\.Greeter",/, ''));
    } finally {
      client.close();
      stranger.close();
      await server.stop();
    }
    row('server', 'stopped');
  },
  serve: serveWith(startGreeterServer),
  client: (context) => healthLesson.client(context),
};
