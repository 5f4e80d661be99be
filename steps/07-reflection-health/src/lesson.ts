// Lesson 07 as the step runner drives it: health and reflection without a
// token, then a graceful stop: NOT_SERVING for the drain delay, then new
// calls refused, the in-flight stream allowed to finish.
import { setTimeout as sleep } from 'node:timers/promises';

import { nameFlag, sayHello } from '@course/01-unary';
import { streamGreetings } from '@course/02-server-streaming';
import { createLogger } from '@course/04-interceptors';
import { tokenFromEnv } from '@course/05-metadata-auth';
import { channelCredentials, clientMtlsFlag, courseCertificates, createGreeterClient, tlsLesson } from '@course/06-tls';
import { type Lesson, row, show } from '@course/kit';
import { DEFAULT_CERTS_DIR, loadClientCertificates } from '@course/kit/certs';
import { checkHealth, createHealthClient, listServices } from './probes.js';
import { HEALTH_SERVICES, startGreeterServer } from './server.js';

export const lesson: Lesson = {
  step: '07',
  title: 'Reflection and health',
  summary: 'Health and reflection for tools and load balancers, and a graceful stop that drains in-flight calls.',
  defaultTarget: tlsLesson.defaultTarget,
  flags: {
    serve: tlsLesson.flags?.serve,
    client: {
      name: nameFlag,
      mtls: clientMtlsFlag,
      health: { type: 'boolean', description: 'ask grpc.health.v1.Health instead (no token needed)' },
      list: { type: 'boolean', description: 'list the services through reflection instead (no token needed)' },
    },
  },
  async demo() {
    const certs = await courseCertificates();
    const token = tokenFromEnv();
    const server = await startGreeterServer({
      certs,
      token,
      graceMs: 2_000,
      drainDelayMs: 500,
      logger: createLogger({ level: 'silent', pretty: false }),
    });
    const target = `localhost:${server.port}`;
    row('server', `listening on ${server.address}, drain ${server.drainDelayMs} ms, grace ${server.graceMs} ms`);
    const probe = channelCredentials({ ca: certs.ca });
    const health = createHealthClient(target, probe);
    const client = createGreeterClient(target, { ca: certs.ca, token });
    const late = createGreeterClient(target, { ca: certs.ca, token, channelOptions: { 'grpc.use_local_subchannel_pool': 1 } });
    try {
      for (const service of [...HEALTH_SERVICES, 'no.such.Service']) {
        await show('health', service === '' ? '""' : service, () => checkHealth(health, service));
      }
      await show('reflect', 'list', async () => (await listServices(target, probe)).join(', '));

      // A stream is in flight when the stop begins: it may finish, new calls may not start.
      const inFlight = streamGreetings(client, 'Ada', 5).toArray();
      await new Promise((resolve) => setTimeout(resolve, 150));
      row('server', `stopping: health NOT_SERVING for ${server.drainDelayMs} ms, then no new calls, in-flight calls may finish`);
      const stopped = server.stop();
      await show('health', '""', () => checkHealth(health, ''));
      // After the drain delay the server stops listening.
      await sleep(server.drainDelayMs);
      await show('new call', '"Bob"', async () => (await sayHello(late, 'Bob')).message);
      await show('in flight', '"Ada" × 5', async () => `all ${(await inFlight).length} greetings arrived`);
      await stopped;
    } finally {
      for (const c of [health, client, late]) c.close();
      await server.stop();
    }
    row('server', 'stopped');
  },
  async serve({ host, port, flags }) {
    // Lesson 06's server makes and loads certs/ when it is given no certificates.
    const server = await startGreeterServer({ host, port, mtls: flags.mtls === true });
    row(
      'server',
      `health SERVING; on stop: drain ${server.drainDelayMs} ms (DRAIN_DELAY_MS), grace ${server.graceMs} ms (SHUTDOWN_GRACE_MS)`,
    );
    return server;
  },
  async client(context) {
    const { target, flags } = context;
    if (flags.health !== true && flags.list !== true) return tlsLesson.client(context);
    // Probes carry no token, but with --mtls they still present the client certificate.
    const credentials = channelCredentials(loadClientCertificates(DEFAULT_CERTS_DIR, { mtls: flags.mtls === true }));
    if (flags.list === true) {
      row('services', (await listServices(target, credentials)).join(', '));
      return;
    }
    const health = createHealthClient(target, credentials);
    try {
      for (const service of HEALTH_SERVICES) row('health', `${(service || '""').padEnd(20)} ${await checkHealth(health, service)}`);
    } finally {
      health.close();
    }
  },
};
