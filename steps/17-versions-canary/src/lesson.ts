// Lesson 17 as the step runner drives it: a stable and a canary deployment,
// each a process of its own, behind HAProxy (or, without it, a client that
// splits the calls itself); 1,000 v1 and 100 v2 calls, a rollout and a
// rollback under load; `serve` for all of it and `canary --weight N`.
import { fileURLToPath } from 'node:url';
import { createLogger } from '@course/04-interceptors';
import { tokenFromEnv } from '@course/05-metadata-auth';
import { courseCertificates } from '@course/06-tls';
import { metricsAddressFromEnv } from '@course/08-prometheus-metrics';
import { loggerEnv, loggerMode } from '@course/10-two-services/lesson';
import { startLoggerServer } from '@course/11-metadata-propagation';
import { lesson as propagationLesson } from '@course/11-metadata-propagation/lesson';
import {
  type Command,
  freePort,
  type Lesson,
  type ModeProcess,
  parsePort,
  parsePositiveInt,
  row,
  type ServerMode,
  startMode,
  UsageError,
} from '@course/kit';
import { loadClientCertificates } from '@course/kit/certs';
import { many, type Reply, split } from './client.js';
import { startDeployment, TRACKS, type Track, VERSIONS } from './deployment.js';
import { haproxyOnPath, type ProxyHandle, setCanaryWeight, socketFor, startProxy, weights } from './proxy.js';
import { changeUnderLoad, clientFront, type Front, proxyFront } from './rollout.js';

const STEP_DIR = fileURLToPath(new URL('..', import.meta.url));
/** Canary's first share of greeter.v1: what a rollout starts with. */
export const INITIAL_WEIGHT = 10;
const TRACK_OF: Record<string, Track> = Object.fromEntries(TRACKS.map((t) => [VERSIONS[t], t]));

export function parseWeight(value: string | boolean | undefined, source = '--weight'): number {
  const text = String(value);
  if (!/^\d+$/.test(text) || Number(text) > 100) throw new UsageError(`${source} must be a whole number from 0 to 100, got '${text}'`);
  return Number(text);
}

/** "1.0 (stable) 900 (90.0%), 1.1 (canary) 100 (10.0%)": who answered, and what failed. */
export function describeSplit(replies: Reply[]): string {
  const { byVersion, failed } = split(replies);
  const answered = replies.length - failed;
  const parts = Object.entries(byVersion).map(
    ([version, n]) => `${version} (${TRACK_OF[version] ?? '?'}) ${n} (${((100 * n) / Math.max(answered, 1)).toFixed(1)}%)`,
  );
  return `${parts.join(', ') || 'none'}${failed ? `, ${failed} failed` : ''}`;
}

/** Metrics ports: the proxy's on METRICS_PORT (9464), the Logger's after it, then stable's and canary's; all free ones when it is 0. */
function metricsPort(offset: number, env: NodeJS.ProcessEnv = process.env): number {
  const { port } = metricsAddressFromEnv(env);
  return port === 0 ? 0 : port + offset;
}

function startDeploymentProcess(track: Track, host: string, port: number, loggerTarget: string, env: NodeJS.ProcessEnv = {}) {
  const args = ['--track', track, '--host', host, '--port', String(port), '--logger-target', loggerTarget];
  const metrics = String(metricsPort(track === 'stable' ? 2 : 3, { ...process.env, ...env }));
  return startMode(STEP_DIR, 'deployment', args, { env: { ...env, METRICS_PORT: metrics, OTEL_SERVICE_NAME: `greeter-${track}` } });
}

/** The step's `deployment` mode: stable or canary alone in the foreground (serve starts both). */
const deploymentMode: ServerMode = {
  description: 'runs one deployment, stable or canary, alone in the foreground (serve starts both)',
  defaultPort: 50061,
  flags: {
    track: { type: 'string', placeholder: 'NAME', description: 'stable (release 1.0, v1) or canary (release 1.1, v1 + v2)' },
    'logger-target': { type: 'string', placeholder: 'host:port', description: 'the Logger it logs to (default localhost:50052)' },
  },
  async serve({ host, port, flags }) {
    const track = String(flags.track ?? 'stable') as Track;
    if (!TRACKS.includes(track)) throw new UsageError(`--track must be stable or canary, got '${track}'`);
    const server = await startDeployment({
      track,
      host,
      port,
      loggerTarget: String(flags['logger-target'] ?? 'localhost:50052'),
      metricsAddress: metricsAddressFromEnv({ METRICS_PORT: '9466', ...process.env }),
    });
    row(track, `release ${server.version}, metrics on ${server.metricsUrl}`);
    return server;
  },
};

type Stop = () => Promise<unknown>;

/**
 * Stops in stages, each stage's processes at once; the first failure is
 * thrown once all are stopped. The deployments go first, while the proxy
 * still carries their last words (health NOT_SERVING, streams drained to
 * their end, a room's UNAVAILABLE); then the proxy, with no call left; then
 * the Logger they logged to.
 */
async function stopInStages(stages: Stop[][]): Promise<void> {
  let failure: unknown;
  for (const stage of stages) {
    const codes = await Promise.all(
      stage.map((stop) =>
        stop().catch((err: unknown) => {
          failure ??= err;
        }),
      ),
    );
    for (const code of codes)
      if (typeof code === 'number' && code !== 0) failure ??= Object.assign(new Error(`a process ended with ${code}`), { code: 'ECHILD' });
  }
  if (failure) throw failure;
}

interface Started {
  deployments: Stop[];
  proxy: Stop[];
  logger: Stop[];
}

const stopStarted = (started: Started) => stopInStages([started.deployments, started.proxy, started.logger]);

/** `serve`: the Logger, stable and canary, each a process, and HAProxy in front on --port. */
const serveCanary: Lesson['serve'] = async ({ host, port, flags }) => {
  if (!haproxyOnPath())
    throw Object.assign(new Error('serve needs HAProxy on PATH (Debian: apt-get install haproxy)'), { code: 'ENOPROXY' });
  const weight = flags.weight === undefined ? INITIAL_WEIGHT : parseWeight(flags.weight);
  const certs = await courseCertificates();
  const started: Started = { deployments: [], proxy: [], logger: [] };
  try {
    const loggerPort = flags['logger-port'] === undefined ? await freePort(host) : parsePort(String(flags['logger-port']), '--logger-port');
    const logger = await startMode(STEP_DIR, 'logger', ['--port', String(loggerPort), '--host', host], { env: loggerEnv() });
    started.logger.push(() => logger.stop());
    const deployment = async (track: Track, flag: string) => {
      const p = flags[flag] === undefined ? 0 : parsePort(String(flags[flag]), `--${flag}`);
      const child = await startDeploymentProcess(track, host, p, `localhost:${loggerPort}`);
      started.deployments.push(() => child.stop());
      return child;
    };
    const stable = await deployment('stable', 'stable-port');
    const canary = await deployment('canary', 'canary-port');
    const proxyPort = port === 0 ? await freePort(host) : port;
    const metrics = metricsAddressFromEnv();
    const proxy = await startProxy({
      host,
      port: proxyPort,
      stable: stable.address,
      canary: canary.address,
      canaryWeight: weight,
      certs,
      metricsAddress: { host: metrics.host, port: metrics.port === 0 ? await freePort(metrics.host) : metrics.port },
    });
    started.proxy.push(() => proxy.stop());
    row('proxy', `haproxy pid ${proxy.pid}, metrics on ${proxy.metricsUrl}, runtime API on ${proxy.socket}`);
    row('proxy', `greeter.v2 → canary; greeter.v1 → stable ${100 - weight}, canary ${weight}`);
    return { address: proxy.address, stop: () => stopStarted(started) };
  } catch (err) {
    await stopStarted(started).catch(() => {});
    throw err;
  }
};

/** `canary --weight N`: the running proxy's weights, changed through its runtime API. */
const canaryCommand: Command = {
  description: "sets canary's share of greeter.v1 calls on a running serve, through HAProxy's runtime API",
  flags: {
    weight: { type: 'string', placeholder: 'N', description: 'percent of greeter.v1 calls for canary, 0 (rollback) to 100' },
    socket: { type: 'string', placeholder: 'PATH', description: "the runtime API's socket, when it is not serve's (docker-compose.yml)" },
  },
  async run({ target, flags }) {
    if (flags.weight === undefined) throw new UsageError('canary needs --weight N');
    const weight = parseWeight(flags.weight);
    // --target names the proxy, as for `client`; serve keeps its runtime API by the proxy's port.
    const socket = typeof flags.socket === 'string' ? flags.socket : socketFor(parsePort(target.split(':').at(-1) ?? '', '--target port'));
    try {
      await setCanaryWeight(socket, weight);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ECONNREFUSED')
        throw Object.assign(new Error(`no proxy answers at ${socket}: is \`pnpm step 17 serve\` running on that port?`), { code });
      throw err;
    }
    const now = await weights(socket);
    row('canary', `greeter.v1 → stable ${now.stable}, canary ${now.canary}`);
  },
};

/** The demo's sequence, the same in front of a proxy or of a splitting client. */
async function rollout(front: Front): Promise<void> {
  row('v1', `1000 calls → ${describeSplit(await many(1000, () => front.v1('Ada')))}`);
  row('v2', `100 calls  → ${describeSplit(await many(100, () => front.v2({ given: 'Grace', family: 'Hopper' })))}`);
  for (const weight of [50, 100]) {
    const { replies } = await changeUnderLoad(front, weight);
    const after = await many(200, () => front.v1('Ada'));
    row(
      `weight ${weight}`,
      `changed under load: ${replies.length} calls, ${split(replies).failed} failed; then 200 v1 → ${describeSplit(after)}`,
    );
  }
  const { replies } = await changeUnderLoad(front, 0);
  const after = await many(200, () => front.v1('Ada'));
  row('rollback', `weight 0 under load: ${replies.length} calls, ${split(replies).failed} failed; then 200 v1 → ${describeSplit(after)}`);
}

export const lesson: Lesson = {
  ...propagationLesson,
  step: '17',
  title: 'Versions and canary',
  summary:
    'greeter.v1 and greeter.v2 side by side; stable and canary behind HAProxy, 90/10 of v1, all of v2 to canary, weights moved live.',
  flags: {
    serve: {
      'logger-port': { type: 'string', placeholder: 'P', description: 'port for the Logger (default: a free one)' },
      weight: {
        type: 'string',
        placeholder: 'N',
        description: `canary's first share of greeter.v1 calls, in percent (default ${INITIAL_WEIGHT})`,
      },
      'stable-port': { type: 'string', placeholder: 'P', description: 'where stable listens (default: a free port)' },
      'canary-port': { type: 'string', placeholder: 'P', description: 'where canary listens (default: a free port)' },
    },
    client: {
      health: { type: 'boolean', description: 'ask grpc.health.v1.Health instead (no token needed)' },
      list: { type: 'boolean', description: 'list the services through reflection instead (no token needed)' },
      calls: { type: 'string', placeholder: 'N', description: 'how many v1 calls, and a tenth as many v2 calls (default 100)' },
    },
  },
  async demo() {
    const certs = await courseCertificates();
    const tls = { ca: certs.ca, token: tokenFromEnv() };
    const logger = await startLoggerServer({
      certs,
      logger: createLogger({ level: 'silent' }),
      metricsAddress: { host: '127.0.0.1', port: 0 },
    });
    const quiet = { METRICS_PORT: '0', LOG_LEVEL: 'warn' };
    const started: Started = { deployments: [], proxy: [], logger: [() => logger.stop()] };
    try {
      const start = async (track: Track) => {
        const child: ModeProcess = await startDeploymentProcess(track, '127.0.0.1', 0, `localhost:${logger.port}`, quiet);
        started.deployments.push(() => child.stop());
        return child;
      };
      const [stable, canary] = await Promise.all([start('stable'), start('canary')]);
      let front: Front;
      if (haproxyOnPath()) {
        const proxy: ProxyHandle = await startProxy({
          host: '127.0.0.1',
          port: await freePort(),
          stable: stable.address,
          canary: canary.address,
          canaryWeight: INITIAL_WEIGHT,
          certs,
          metricsAddress: { host: '127.0.0.1', port: await freePort() },
        });
        started.proxy.push(() => proxy.stop());
        row('proxy', `haproxy on ${proxy.address}: greeter.v2 → canary, greeter.v1 → stable 90, canary 10`);
        front = proxyFront(proxy.address, proxy.socket, tls);
      } else {
        row('proxy', 'no haproxy on PATH: the client splits the calls itself (weighted round robin), as the proxy would');
        front = clientFront({ stable: stable.address, canary: canary.address }, INITIAL_WEIGHT, tls);
      }
      try {
        await rollout(front);
      } finally {
        front.close();
      }
    } finally {
      await stopStarted(started);
    }
  },
  serve: serveCanary,
  async client(context) {
    const { target, flags } = context;
    if (flags.health === true || flags.list === true) return propagationLesson.client(context);
    const calls = flags.calls === undefined ? 100 : parsePositiveInt(flags.calls, '--calls');
    const { ca } = loadClientCertificates();
    // Only the replies are read here: no runtime API is needed.
    const f = proxyFront(target, '', { ca, token: tokenFromEnv() });
    try {
      const v1 = await many(calls, () => f.v1('Ada'));
      row('v1', `${calls} calls → ${describeSplit(v1)}`);
      const v2 = await many(Math.max(1, Math.round(calls / 10)), () => f.v2({ given: 'Grace', family: 'Hopper' }));
      row('v2', `${v2.length} calls → ${describeSplit(v2)}`);
      const failed = [...v1, ...v2].find((r) => r.error);
      if (failed) throw failed.error;
    } finally {
      f.close();
    }
  },
  servers: { deployment: deploymentMode, logger: loggerMode(startLoggerServer) },
  commands: { canary: canaryCommand },
};
