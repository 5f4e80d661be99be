// Lesson 20 as the step runner drives it: the deploy bundle built as the
// Dockerfile builds it, started as the container starts it, probed as the
// kubelet probes it, and stopped as Kubernetes stops it, with calls in flight.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sayHello } from '@course/01-unary';
import { courseCertificates } from '@course/06-tls';
import { drainDelayFromEnv, graceFromEnv } from '@course/07-reflection-health';
import { createGreeterClient, metricsAddressFromEnv } from '@course/08-prometheus-metrics';
import { DEFAULT_LOGGER_PORT } from '@course/10-two-services/lesson';
import { brokerFromEnv } from '@course/16-async-events';
// Lesson 18's limit flags and serve, which lesson 19's lesson builds on without re-exporting.
import { limitFlags, limitsFromFlags, serveWithLimits } from '@course/18-rate-limiting/lesson';
// The previous step's lesson, imported here and nowhere else.
import { DEFAULT_HTTP_PORT, lesson as previousLesson, serveWithGateway } from '@course/19-rest-gateway/lesson';
import { type Command, ConfigError, type Flags, freePort, type Lesson, parsePort, row, type ServerMode, UsageError } from '@course/kit';
import { DEFAULT_CERTS_DIR } from '@course/kit/certs';
import { type BundleProcess, buildBundle, devDependenciesIn, residentMb, startBundle } from './bundle.js';
import { servingCertificates } from './certs.js';
import { LIVENESS_PATH, READINESS_PATH, startShippedGateway } from './gateway.js';
import { streamsInFlight } from './in-flight.js';
import { DEFAULT_PROBE_PORT, LIVENESS_SERVICE, probe, untilStatus } from './probes.js';
import { startGreeterServer, startLoggerServer } from './server.js';

const probePortFlag = {
  type: 'string',
  placeholder: 'P',
  description: `plaintext health for the kubelet (default ${DEFAULT_PROBE_PORT}, env PROBE_PORT; 0 picks a free one)`,
} as const;

/** --probe-port, else PROBE_PORT, else the mode's default. */
function probePort(flags: Flags, fallback: number): number {
  if (flags['probe-port'] !== undefined) return parsePort(String(flags['probe-port']), '--probe-port');
  return process.env.PROBE_PORT ? parsePort(process.env.PROBE_PORT, 'PROBE_PORT') : fallback;
}

/** The container's Greeter: alone (its Logger is another Deployment, at LOGGER_TARGET), behind lesson 18's limits, with a probe port. */
const greeterMode: ServerMode = {
  description: "the container's Greeter: alone, its Logger at --logger-target, health for the kubelet on --probe-port",
  defaultPort: 50051,
  flags: {
    'probe-port': probePortFlag,
    'logger-target': {
      type: 'string',
      placeholder: 'host:port',
      description: `the Logger (default LOGGER_TARGET, else localhost:${DEFAULT_LOGGER_PORT})`,
    },
    outbox: { type: 'string', placeholder: 'FILE', description: 'the outbox database (default OUTBOX_PATH, else one in the temp dir)' },
    ...limitFlags,
  },
  async serve({ host, port, flags }) {
    const loggerTarget = String(flags['logger-target'] ?? (process.env.LOGGER_TARGET || `localhost:${DEFAULT_LOGGER_PORT}`));
    const outboxPath = String(flags.outbox ?? (process.env.OUTBOX_PATH || join(tmpdir(), `grpc-course-outbox-${port}.db`)));
    const limits = limitsFromFlags(flags);
    const broker = await brokerFromEnv();
    try {
      const greeter = await startGreeterServer({
        host,
        port,
        certs: await servingCertificates(),
        loggerTarget,
        outboxPath,
        broker,
        limits,
        probe: { host, port: probePort(flags, DEFAULT_PROBE_PORT) },
      });
      row('greeter', `probe ${greeter.probe.address} (plaintext health), logger ${loggerTarget}, metrics ${greeter.metricsUrl}`);
      return {
        address: greeter.address,
        async stop() {
          await greeter.stop();
          await broker.close();
        },
      };
    } catch (err) {
      await broker.close();
      throw err;
    }
  },
};

/** The container's Logger: lesson 11's, with a probe port; its metrics default to 9465, beside a Greeter's 9464. */
const loggerMode: ServerMode = {
  description: "the container's Logger: lesson 11's, health for the kubelet on --probe-port",
  defaultPort: DEFAULT_LOGGER_PORT,
  flags: {
    'probe-port': {
      ...probePortFlag,
      description: probePortFlag.description.replace(`${DEFAULT_PROBE_PORT}`, `${DEFAULT_PROBE_PORT + 1}`),
    },
  },
  async serve({ host, port, flags }) {
    const logger = await startLoggerServer({
      host,
      port,
      certs: await servingCertificates(),
      metricsAddress: metricsAddressFromEnv({ METRICS_PORT: '9465', ...process.env }),
      probe: { host, port: probePort(flags, DEFAULT_PROBE_PORT + 1) },
    });
    row('logger', `probe ${logger.probe.address} (plaintext health), metrics ${logger.metricsUrl}, token from LOGGER_TOKEN`);
    return logger;
  },
};

/** --greeter-target, else GREETER_TARGET, else localhost:50051; host:port (or dns:///host:port), which grpc-js would take any text for. */
function greeterTarget(flags: Flags): string {
  const [text, source] =
    flags['greeter-target'] !== undefined
      ? [String(flags['greeter-target']), '--greeter-target']
      : process.env.GREETER_TARGET
        ? [process.env.GREETER_TARGET, 'GREETER_TARGET']
        : ['localhost:50051', ''];
  const port = /^(?:dns:\/\/\/)?[^\s/:]+:(\d+)$/.exec(text)?.[1];
  if (port === undefined || Number(port) > 65_535) {
    const message = `${source} needs host:port, such as localhost:50051, got '${text}'`;
    throw source === 'GREETER_TARGET' ? new ConfigError(message) : new UsageError(message);
  }
  return text;
}

/** The container's gateway: lesson 19's, alone, in front of a Greeter at --greeter-target, with HTTP probe paths. */
const gatewayMode: ServerMode = {
  description: `the container's REST gateway: alone, TLS to the Greeter at --greeter-target, probes at ${READINESS_PATH} and ${LIVENESS_PATH}`,
  defaultPort: DEFAULT_HTTP_PORT,
  flags: {
    'greeter-target': {
      type: 'string',
      placeholder: 'host:port',
      description: 'the Greeter, by the name on its certificate (default GREETER_TARGET, else localhost:50051)',
    },
  },
  async serve({ host, port, flags }) {
    const target = greeterTarget(flags);
    const gateway = await startShippedGateway({
      target,
      ca: (await servingCertificates()).ca,
      host,
      port,
      drainDelayMs: drainDelayFromEnv(),
      graceMs: graceFromEnv(),
    });
    row('gateway', `TLS to the Greeter at ${target}; readiness ${READINESS_PATH}, liveness ${LIVENESS_PATH}`);
    return gateway;
  },
};

/** `probe`: one kubelet-style check; exit 1 unless SERVING, as a failed probe counts. */
const probeCommand: Command = {
  description: 'one health Check as the kubelet sends it (plaintext, 1 s timeout) to --target, a probe port',
  flags: {
    service: { type: 'string', placeholder: 'NAME', description: `the service to ask for: '' (readiness, default) or ${LIVENESS_SERVICE}` },
  },
  async run({ target, flags }) {
    const service = String(flags.service ?? '');
    const status = await probe(target, service);
    const what = `${target} ${service === '' ? "''" : service}: ${status}`;
    if (status !== 'SERVING') throw Object.assign(new Error(`probe failed: ${what}`), { code: 'EPROBE' });
    row('probe', what);
  },
};

const mb = (bytes: number) => `${(bytes / 1_000_000).toFixed(0)} MB`;
const secondsSince = (start: number) => `${((performance.now() - start) / 1000).toFixed(1)} s`;

/** Readiness then liveness, as the kubelet asks them: one row. */
async function probeBoth(label: string, target: string): Promise<void> {
  const ready = await probe(target, '');
  const live = await probe(target, LIVENESS_SERVICE);
  row(label, `probe ${target}: readiness ${ready}, liveness ${live}`);
}

/** One GET through the gateway, as a row: status and body. */
async function httpRow(base: string, path: string, token?: string): Promise<void> {
  const res = await fetch(new URL(path, base), { headers: token ? { authorization: `Bearer ${token}` } : {} });
  row('gateway', `GET ${path}: ${res.status} ${(await res.text()).trim()}`);
}

const STREAMS = 8;
const PER_STREAM = 20;

export const lesson: Lesson = {
  ...previousLesson,
  step: '20',
  title: 'Shipping it',
  summary:
    'The deploy bundle the Dockerfile builds, started as its container, probed as the kubelet probes, and drained on SIGTERM with no call lost.',
  flags: {
    ...previousLesson.flags,
    demo: {},
    serve: { ...previousLesson.flags?.serve, 'probe-port': probePortFlag },
  },
  async demo() {
    const dir = mkdtempSync(join(tmpdir(), 'lesson-20-'));
    const running: BundleProcess[] = [];
    try {
      row('bundle', 'bundle.sh: pnpm deploy --prod into a temp dir, as the Dockerfile does (a few seconds)');
      const bundle = await buildBundle(dir);
      const dev = devDependenciesIn(bundle);
      row(
        'bundle',
        `built in ${(bundle.ms / 1000).toFixed(1)} s: ${mb(bundle.bytes)}, ${bundle.packages.length} packages, dev dependencies: ${dev.length === 0 ? 'none' : dev.join(', ')}`,
      );

      // What the Secret holds; the ConfigMap's settings, with free ports instead of the container's.
      const secret = { AUTH_TOKEN: randomBytes(16).toString('hex'), LOGGER_TOKEN: randomBytes(16).toString('hex') };
      const certs = await courseCertificates();
      const config = { NODE_ENV: 'production', CERTS_DIR: DEFAULT_CERTS_DIR, METRICS_PORT: '0' };
      const [loggerPort, loggerProbe, greeterPort, greeterProbe, gatewayPort] = await Promise.all([
        freePort(),
        freePort(),
        freePort(),
        freePort(),
        freePort(),
      ]);

      const refused = startBundle(bundle.dir, 'greeter', ['--port', String(greeterPort)], {
        ...config,
        LOGGER_TOKEN: secret.LOGGER_TOKEN,
        AUTH_TOKEN: '',
      });
      await refused.exited;
      row(
        'start',
        `no AUTH_TOKEN in production: exit ${await refused.exited}, "${refused
          .output()
          .trim()
          .replace(/^error: /, '')}"`,
      );

      const started = performance.now();
      const logger = startBundle(bundle.dir, 'logger', ['--port', String(loggerPort), '--probe-port', String(loggerProbe)], {
        ...config,
        ...secret,
      });
      running.push(logger);
      const greeter = startBundle(
        bundle.dir,
        'greeter',
        [
          '--port',
          String(greeterPort),
          '--probe-port',
          String(greeterProbe),
          '--logger-target',
          `localhost:${loggerPort}`,
          '--outbox',
          join(dir, 'outbox.db'),
        ],
        { ...config, ...secret },
      );
      running.push(greeter);
      await Promise.all([logger.listening, greeter.listening]);
      row('start', `logger and greeter listening in ${secondsSince(started)}, NODE_ENV=production, tokens from the "Secret"`);
      await probeBoth('logger', `127.0.0.1:${loggerProbe}`);
      await probeBoth('greeter', `127.0.0.1:${greeterProbe}`);
      // The gateway's container: no token of its own (it forwards the caller's), the CA from CERTS_DIR.
      const gateway = startBundle(
        bundle.dir,
        'gateway',
        ['--port', String(gatewayPort), '--greeter-target', `localhost:${greeterPort}`],
        config,
      );
      running.push(gateway);
      const gatewayUrl = `http://${await gateway.listening}`;
      await httpRow(gatewayUrl, READINESS_PATH);
      await httpRow(gatewayUrl, '/v1/greet/Ada', secret.AUTH_TOKEN);
      const rss = (p: BundleProcess) => `${residentMb(p.child.pid as number).toFixed(0)} MB`;
      row('memory', `greeter ${rss(greeter)}, logger ${rss(logger)}, gateway ${rss(gateway)} resident, idle (k8s/ requests 256Mi each)`);

      const client = createGreeterClient(`localhost:${greeterPort}`, { ca: certs.ca, token: secret.AUTH_TOKEN });
      try {
        row('SayHello', `"${(await sayHello(client, 'Ada')).message}"`);
        // Streams paced 100 ms a greeting: still running when the SIGTERM comes.
        const inFlight = streamsInFlight(client, STREAMS, PER_STREAM);
        await inFlight.running;
        greeter.child.kill('SIGTERM');
        row('SIGTERM', `greeter, with ${STREAMS} streams in flight (${inFlight.received()} of ${STREAMS * PER_STREAM} greetings sent)`);
        await untilStatus(`127.0.0.1:${greeterProbe}`, '', 'NOT_SERVING');
        await probeBoth('draining', `127.0.0.1:${greeterProbe}`);
        await httpRow(gatewayUrl, READINESS_PATH);
        const { ok, received } = await inFlight.settled;
        const code = await greeter.exited;
        row(
          'drained',
          `${ok} of ${STREAMS} streams OK, ${received} of ${STREAMS * PER_STREAM} greetings, ${STREAMS - ok} lost; exit ${code}`,
        );
      } finally {
        client.close();
      }
      gateway.child.kill('SIGTERM');
      row('gateway', `SIGTERM: exit ${await gateway.exited}`);
      logger.child.kill('SIGTERM');
      row('logger', `SIGTERM: exit ${await logger.exited}`);
    } finally {
      for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      await Promise.all(running.map((p) => p.exited));
      rmSync(dir, { recursive: true, force: true });
      row('bundle', 'temp dir removed');
    }
  },
  // Lesson 19's serve (lesson 18's Greeter and Logger, the gateway in front), with the probes: a port for the Greeter's, paths for the gateway's.
  serve: (context) =>
    serveWithGateway(
      context,
      (grpcContext) =>
        serveWithLimits(grpcContext, async (options) => {
          const greeter = await startGreeterServer({
            ...options,
            probe: { host: context.host, port: probePort(context.flags, DEFAULT_PROBE_PORT) },
          });
          row('probe', `${greeter.probe.address}: plaintext health for the kubelet ('' for readiness, '${LIVENESS_SERVICE}' for liveness)`);
          return greeter;
        }),
      startShippedGateway,
      (gateway) =>
        row('gateway', `listening on ${gateway.url}, TLS to the Greeter; readiness ${READINESS_PATH}, liveness ${LIVENESS_PATH}`),
    ),
  servers: { ...previousLesson.servers, greeter: greeterMode, logger: loggerMode, gateway: gatewayMode },
  commands: { ...previousLesson.commands, probe: probeCommand },
};
