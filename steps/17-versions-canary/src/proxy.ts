// HAProxy in front of the two deployments: the step's haproxy.cfg with its
// values in the environment, the process started and stopped softly, and its runtime API (a
// unix socket) spoken from Node to change the canary's weight while it runs.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Certificates } from '@course/kit/certs';

/** The proxy's config: the same file docker-compose.yml runs, its values from the environment. */
export const CONFIG = fileURLToPath(new URL('../haproxy.cfg', import.meta.url));

/** Is HAProxy there to run, on this PATH? */
export function haproxyOnPath(env: NodeJS.ProcessEnv = process.env): boolean {
  return spawnSync('haproxy', ['-v'], { env, stdio: 'ignore' }).status === 0;
}

/** What haproxy.cfg reads from its environment. */
export function configEnv(values: {
  socket: string;
  address: string;
  serverPem: string;
  ca: string;
  stable: string;
  canary: string;
  canaryWeight: number;
  metrics: string;
}): NodeJS.ProcessEnv {
  return {
    RUNTIME_SOCKET: values.socket,
    PROXY_ADDRESS: values.address,
    SERVER_PEM: values.serverPem,
    CA_FILE: values.ca,
    STABLE: values.stable,
    CANARY: values.canary,
    STABLE_WEIGHT: String(100 - values.canaryWeight),
    CANARY_WEIGHT: String(values.canaryWeight),
    METRICS_ADDRESS: values.metrics,
  };
}

/** Where the runtime API of the proxy on this port listens: `canary --port P` finds it there. */
export function socketFor(port: number): string {
  return join(tmpdir(), `grpc-course-17-haproxy-${port}.sock`);
}

/** One runtime API exchange: commands separated by `;`, the answer once HAProxy closes the connection. */
export async function runtime(socket: string, command: string): Promise<string> {
  const connection = net.connect(socket);
  connection.setEncoding('utf8');
  let answer = '';
  connection.on('data', (chunk: string) => {
    answer += chunk;
  });
  await once(connection, 'connect');
  connection.end(`${command}\n`);
  await once(connection, 'close');
  return answer.trim();
}

/** Canary gets `weight` percent of greeter.v1 calls and stable the rest: 0 is a rollback, 100 a full rollout. */
export async function setCanaryWeight(socket: string, weight: number): Promise<void> {
  if (!Number.isInteger(weight) || weight < 0 || weight > 100) throw new RangeError(`a weight is 0 to 100, got ${weight}`);
  const answer = await runtime(socket, `set server greeter/canary weight ${weight}; set server greeter/stable weight ${100 - weight}`);
  // `set server` answers nothing when it worked.
  if (answer !== '') throw Object.assign(new Error(`HAProxy refused the weights: ${answer}`), { code: 'EHAPROXY' });
}

/** The weights HAProxy uses now, as `get weight` reports them ("90 (initial 90)"). */
export async function weights(socket: string): Promise<{ stable: number; canary: number }> {
  const answer = await runtime(socket, 'get weight greeter/stable; get weight greeter/canary');
  const [stable, canary] = [...answer.matchAll(/^(\d+) \(initial/gm)].map((m) => Number(m[1]));
  if (stable === undefined || canary === undefined) throw Object.assign(new Error(`unexpected answer: ${answer}`), { code: 'EHAPROXY' });
  return { stable, canary };
}

export interface ProxyOptions {
  host: string;
  port: number;
  /** host:port of each deployment; both speak TLS with a certificate for localhost. */
  stable: string;
  canary: string;
  canaryWeight: number;
  certs: Certificates;
  metricsAddress: { host: string; port: number };
  /** Default socketFor(port). */
  socket?: string;
}

export interface ProxyHandle {
  address: string;
  socket: string;
  metricsUrl: string;
  pid: number;
  /** The exit code, however the process ends. */
  exited: Promise<number | null>;
  /** What HAProxy printed: shown when it fails to start. */
  output(): string;
  /** A soft stop (SIGUSR1): no new connections, calls in flight finish, then it exits. */
  stop(): Promise<number | null>;
}

/** Starts HAProxy in the foreground (master-worker, -db) and resolves once it says "Loading success". */
export async function startProxy(options: ProxyOptions): Promise<ProxyHandle> {
  const { host, port, certs, metricsAddress } = options;
  const socket = options.socket ?? socketFor(port);
  rmSync(socket, { force: true });
  // HAProxy reads certificate and key from one PEM file: written for it alone, removed when it stops.
  const dir = mkdtempSync(join(tmpdir(), 'course-haproxy-'));
  chmodSync(dir, 0o700);
  const serverPem = join(dir, 'server.pem');
  writeFileSync(serverPem, Buffer.concat([certs.server.cert, Buffer.from('\n'), certs.server.key]), { mode: 0o600 });
  writeFileSync(join(dir, 'ca.crt'), certs.ca);
  const env = configEnv({
    socket,
    address: `${host}:${port}`,
    serverPem,
    ca: join(dir, 'ca.crt'),
    stable: options.stable,
    canary: options.canary,
    canaryWeight: options.canaryWeight,
    metrics: `${metricsAddress.host}:${metricsAddress.port}`,
  });
  const child: ChildProcess = spawn('haproxy', ['-W', '-db', '-f', CONFIG], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: a terminal's Ctrl-C (which HAProxy takes as "stop now") reaches only
    // us, and we stop it first and softly, before the deployments behind it drain.
    detached: true,
  });
  // However this process ends, HAProxy does not run on alone.
  const orphanGuard = () => child.kill('SIGTERM');
  process.once('exit', orphanGuard);
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const read = (chunk: Buffer) => {
      output += chunk;
      if (output.includes('Loading success')) resolve();
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.once('error', reject);
    child.once('exit', (code) =>
      reject(Object.assign(new Error(`haproxy exited (${code}) before it was ready:\n${output.trim()}`), { code: 'EHAPROXY' })),
    );
  });
  const exited = once(child, 'exit').then(([code]) => {
    process.off('exit', orphanGuard);
    rmSync(dir, { recursive: true, force: true });
    rmSync(socket, { force: true });
    return code as number | null;
  });
  await ready;
  return {
    address: `${host}:${port}`,
    socket,
    metricsUrl: `http://${metricsAddress.host}:${metricsAddress.port}/metrics`,
    pid: child.pid as number,
    exited,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGUSR1');
      return exited;
    },
  };
}
