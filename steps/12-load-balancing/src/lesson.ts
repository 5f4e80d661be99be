// Lesson 12 as the step runner drives it: three backends, each a process of
// its own; round_robin and pick_first over an address list and over a DNS
// name; then one backend killed under load, without and with retries.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@course/04-interceptors';
import { tokenFromEnv } from '@course/05-metadata-auth';
import { courseCertificates } from '@course/06-tls';
import { metricsAddressFromEnv } from '@course/08-prometheus-metrics';
import { loggerMode, serveWithLogger } from '@course/10-two-services/lesson';
import { startLoggerServer } from '@course/11-metadata-propagation';
import { lesson as propagationLesson } from '@course/11-metadata-propagation/lesson';
import {
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
import type { GreeterClient } from '@course/proto/gen/greeter/v1/Greeter';
import * as grpc from '@grpc/grpc-js';
import { startBackend } from './backend.js';
import { type Answer, createBalancedClient, type Policy, sayHelloFrom, spread } from './client.js';
import { startDnsServer } from './dns-server.js';
import { type Failover, loseUnderLoad, untilAllAnswer } from './failover.js';

const STEP_DIR = fileURLToPath(new URL('..', import.meta.url));
const POLICIES: Policy[] = ['round_robin', 'pick_first'];

/**
 * An address list has no name to check the server's certificate against
 * (grpc-js would use the first address): check it against the one it bears.
 */
function nameOnCertificate(target: string): object {
  return /^ipv[46]:/.test(target) ? { 'grpc.ssl_target_name_override': 'localhost' } : {};
}

/** A balancing client with the course CA and AUTH_TOKEN. */
async function balancedClient(target: string, policy: Policy, retry = false): Promise<GreeterClient> {
  return createBalancedClient(
    target,
    { policy, retry },
    { ca: (await courseCertificates()).ca, token: tokenFromEnv(), channelOptions: nameOnCertificate(target) },
  );
}

function describeSpread(answers: Answer[]): string {
  const failed = answers.filter((a) => a.error).length;
  const counts = Object.entries(spread(answers)).map(([id, n]) => `${id} ${n}`);
  return `${counts.join(', ') || 'none'}${failed ? `, ${failed} failed` : ''}`;
}

function describeFailover(f: Failover): string {
  const codes = [...new Set(f.failed.map((a) => (a.error ? grpc.status[a.error.code] : '')))].join(', ');
  return `${f.calls} calls, ${f.failed.length} failed${codes ? ` (${codes})` : ''}; switch over ${Math.round(f.switchMs)} ms after the kill (${f.inFlight.length} calls in flight, slowest ${Math.round(f.slowestMs)} ms)`;
}

/** The backends' metrics ports: after the Greeter's and the Logger's (9466, 9467, ...), or all free ones when METRICS_PORT is 0. */
function backendEnv(index: number, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const { port } = metricsAddressFromEnv(env);
  return { METRICS_PORT: String(port === 0 ? 0 : port + 1 + index), OTEL_SERVICE_NAME: `greeter-${index + 1}` };
}

function startBackendProcess(
  id: string,
  host: string,
  port: number,
  loggerTarget: string,
  extra: string[] = [],
  /** Added to this process's environment for the backend. */
  env: NodeJS.ProcessEnv = {},
): Promise<ModeProcess> {
  const args = ['--id', id, '--host', host, '--port', String(port), '--logger-target', loggerTarget, ...extra];
  return startMode(STEP_DIR, 'backend', args, { env: { ...env, ...backendEnv(Number(id.slice(1)) - 1, { ...process.env, ...env }) } });
}

/** `client` mode in a process of its own, its rows among ours: for the DNS target, which needs grpc-js's other resolver. */
async function clientProcess(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const child = spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(new URL('../../../kit/src/run.ts', import.meta.url)), STEP_DIR, 'client', ...args],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const [code] = await once(child, 'exit');
  if (code !== 0) throw Object.assign(new Error(`the client process ended with ${code}`), { code: 'ECHILD' });
}

/** `serve`: the Greeter on --port (its id from --id), --backends N − 1 more on the ports after it, one Logger for all. */
const serveBackends: Lesson['serve'] = async (context) => {
  const { host, port, flags } = context;
  const count = flags.backends === undefined ? 1 : parsePositiveInt(flags.backends, '--backends');
  if (port !== 0 && port + count - 1 > 65_535) throw new UsageError(`--backends ${count} from port ${port} runs past 65535`);
  const loggerPort = flags['logger-port'] === undefined ? await freePort(host) : parsePort(String(flags['logger-port']), '--logger-port');
  const id = String(flags.id ?? 'b1');
  const main = await serveWithLogger(STEP_DIR, (options) => startBackend({ ...options, id }))({
    ...context,
    flags: { ...flags, 'logger-port': String(loggerPort) },
  });
  const others: ModeProcess[] = [];
  try {
    for (let i = 1; i < count; i++) {
      others.push(
        await startBackendProcess(
          `b${i + 1}`,
          host,
          port === 0 ? 0 : port + i,
          `localhost:${loggerPort}`,
          flags.mtls === true ? ['--mtls'] : [],
        ),
      );
    }
  } catch (err) {
    await Promise.all(others.map((o) => o.stop()));
    await main.stop();
    throw err;
  }
  row('backends', `${[main.address, ...others.map((o) => o.address)].join(', ')}`);
  return {
    address: main.address,
    async stop() {
      await Promise.all(others.map((o) => o.stop()));
      await main.stop();
    },
  };
};

/** The step's `backend` mode: one more Greeter backend, logging to a Logger that runs elsewhere. */
const backendMode: ServerMode = {
  description: 'runs one more backend alone in the foreground (serve --backends starts them itself)',
  defaultPort: 50061,
  flags: {
    id: { type: 'string', placeholder: 'ID', description: 'what it answers in x-backend (default b2)' },
    'logger-target': { type: 'string', placeholder: 'host:port', description: 'the Logger it logs to (default localhost:50052)' },
    mtls: { type: 'boolean', description: 'mutual TLS: callers must present a certificate from our CA' },
  },
  async serve({ host, port, flags }) {
    const id = String(flags.id ?? 'b2');
    const server = await startBackend({
      id,
      host,
      port,
      mtls: flags.mtls === true,
      loggerTarget: String(flags['logger-target'] ?? 'localhost:50052'),
      metricsAddress: metricsAddressFromEnv({ METRICS_PORT: '9466', ...process.env }),
    });
    row('backend', `${id}, metrics on ${server.metricsUrl}`);
    return server;
  },
};

async function showCalls(client: GreeterClient, calls: number, each: boolean): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (let i = 1; i <= calls; i++) {
    const answer = await sayHelloFrom(client, 'Ada');
    answers.push(answer);
    if (each) row('SayHello', `#${i} → ${answer.error ? answer.error.details : `OK from ${answer.backend}`}`);
  }
  return answers;
}

export const lesson: Lesson = {
  ...propagationLesson,
  step: '12',
  title: 'Load balancing',
  summary: 'round_robin and pick_first across three Greeter backends, by an address list and by DNS, and one killed under load.',
  flags: {
    serve: {
      ...propagationLesson.flags?.serve,
      id: { type: 'string', placeholder: 'ID', description: 'what the backend on --port answers in x-backend (default b1)' },
      backends: { type: 'string', placeholder: 'N', description: 'run N backends, on --port and the N − 1 ports after it (default 1)' },
    },
    client: {
      // Lesson 11's --user and --request-id are for one greeting, not for a spread of them.
      ...Object.fromEntries(
        Object.entries(propagationLesson.flags?.client ?? {}).filter(([name]) => name !== 'user' && name !== 'request-id'),
      ),
      target: { type: 'string', placeholder: 'target', description: 'host:port, ipv4:A:P,B:P,… or dns://DNS-HOST:PORT/name:port' },
      policy: { type: 'string', placeholder: 'NAME', description: 'round_robin (default) or pick_first' },
      calls: { type: 'string', placeholder: 'N', description: 'how many calls to make, one after another (default 6)' },
      retry: { type: 'boolean', description: 'with waitForReady and a retry policy for UNAVAILABLE' },
      quiet: { type: 'boolean', description: 'print only the spread, not each call' },
    },
  },
  async demo() {
    const certs = await courseCertificates();
    const logger = await startLoggerServer({
      certs,
      logger: createLogger({ level: 'silent' }),
      metricsAddress: { host: '127.0.0.1', port: 0 },
    });
    // Three backends on one port at three loopback addresses: one address list, and one DNS name for all three.
    const port = await freePort();
    const hosts = ['127.0.0.1', '127.0.0.2', '127.0.0.3'];
    // The demo's metrics on free ports, beside whatever else runs here.
    const start = (i: number) =>
      startBackendProcess(`b${i + 1}`, hosts[i] as string, port, `localhost:${logger.port}`, [], { METRICS_PORT: '0', LOG_LEVEL: 'warn' });
    const backends = await Promise.all(hosts.map((_, i) => start(i)));
    const dns = await startDnsServer('localhost', hosts);
    row('dns', `${dns.address} answers localhost with ${hosts.join(', ')}`);
    const list = `ipv4:${hosts.map((h) => `${h}:${port}`).join(',')}`;
    row('list', list);
    try {
      for (const policy of POLICIES) {
        const client = await balancedClient(list, policy);
        try {
          // round_robin sends each call to the next READY backend: until all three are, the first ones get more.
          const warmUp = policy === 'round_robin' ? `after ${await untilAllAnswer(client, hosts.length)} to connect, ` : '';
          row('list', `${policy.padEnd(11)} ${warmUp}9 calls → ${describeSpread(await showCalls(client, 9, false))}`);
        } finally {
          client.close();
        }
      }
      // GRPC_NODE_USE_ALTERNATIVE_RESOLVER is read once, when grpc-js loads: a process of its own.
      const byName = `dns://${dns.address}/localhost:${port}`;
      row('dns', `client --target ${byName} (GRPC_NODE_USE_ALTERNATIVE_RESOLVER=true):`);
      await clientProcess(['--target', byName, '--calls', '9', '--quiet'], { GRPC_NODE_USE_ALTERNATIVE_RESOLVER: 'true', NO_COLOR: '1' });

      for (const retry of [false, true]) {
        const client = await balancedClient(list, 'round_robin', retry);
        try {
          await untilAllAnswer(client, backends.length);
          const lost = backends[1] as ModeProcess;
          const result = await loseUnderLoad(client, { lost: 'b2', lose: () => process.kill(lost.pid, 'SIGKILL') });
          await lost.exited;
          row(retry ? 'retry' : 'no retry', describeFailover(result));
          row('', `after the kill: ${result.toLostAfter} calls answered by b2`);
        } finally {
          client.close();
        }
        backends[1] = await start(1);
      }
    } finally {
      await Promise.all(backends.map((b) => b.stop()));
      await dns.stop();
      await logger.stop();
    }
  },
  serve: serveBackends,
  async client(context) {
    const { target, flags } = context;
    if (flags.entries === true || flags.health === true || flags.list === true) return propagationLesson.client(context);
    const policy = (flags.policy ?? 'round_robin') as Policy;
    if (!POLICIES.includes(policy)) throw new UsageError(`--policy must be ${POLICIES.join(' or ')}, got '${policy}'`);
    const calls = flags.calls === undefined ? 6 : parsePositiveInt(flags.calls, '--calls');
    const client = await balancedClient(target, policy, flags.retry === true);
    try {
      const answers = await showCalls(client, calls, flags.quiet !== true);
      row('spread', `${policy}, ${calls} calls → ${describeSpread(answers)}`);
      const failed = answers.find((a) => a.error);
      if (failed) throw failed.error;
    } finally {
      client.close();
    }
  },
  servers: { backend: backendMode, logger: loggerMode(startLoggerServer) },
};
