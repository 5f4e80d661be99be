// `serve` as the runner starts it: the Greeter in one process and the Logger
// in a child process of its own, each with its own `listening` line; one
// signal stops both in order, and no Logger outlives its Greeter, however
// the Greeter's process ends.
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sayHello } from '@course/01-unary';
import { createGreeterClient } from '@course/08-prometheus-metrics';
import { startLesson } from '@course/kit';
import { ensureCertificates, loadCertificates } from '@course/kit/certs';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLoggerClient, listEntries } from '../src/index.js';

const step = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'course-two-processes-'));
const certsDir = join(work, 'certs');
const env = {
  CERTS_DIR: certsDir,
  AUTH_TOKEN: 'proc-token',
  LOGGER_TOKEN: 'proc-logger-token',
  METRICS_PORT: '0',
  SHUTDOWN_GRACE_MS: '1000',
};
beforeAll(() => ensureCertificates(certsDir));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const kills: (() => unknown)[] = [];
afterEach(() => {
  for (const kill of kills.splice(0)) kill();
});

/** The processes a process has started that run this step's `logger` mode (Linux). */
function loggersOf(pid: number): number[] {
  const children = readdirSync(`/proc/${pid}/task`).flatMap((task) =>
    readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
  );
  return children.filter((child) => readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0').includes('logger'));
}

/** Alive, as opposed to gone or a zombie that has exited and waits to be reaped (Linux). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Resolves once pid is gone (it may still be exiting when its pipes close), or false after timeoutMs. */
async function gone(pid: number, timeoutMs = 5_000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (running(pid)) {
    if (Date.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

async function serve(args: string[] = []) {
  const server = startLesson(step, ['serve', '--port', '0', ...args], { env });
  kills.push(() => server.child.kill('SIGKILL'));
  const [greeter, logger] = await Promise.all([server.listening, server.listeningAs('logger')]);
  const [loggerPid, ...others] = loggersOf(server.child.pid as number);
  expect(others).toEqual([]);
  kills.push(() => running(loggerPid as number) && process.kill(loggerPid as number, 'SIGKILL'));
  return { server, greeter, logger, loggerPid: loggerPid as number };
}

describe('pnpm step 10 serve', () => {
  it('runs the Logger as a process of its own, which keeps what the Greeter sends it', async () => {
    const { server, greeter, logger } = await serve();
    const certs = loadCertificates(certsDir);
    const client = createGreeterClient(greeter.replace('127.0.0.1', 'localhost'), { ca: certs.ca, token: env.AUTH_TOKEN });
    const loggerClient = createLoggerClient(logger.replace('127.0.0.1', 'localhost'), { ca: certs.ca, token: env.LOGGER_TOKEN });
    try {
      for (const name of ['Ada', 'Bob']) await sayHello(client, name);
      const entries = await listEntries(loggerClient);
      expect(entries.map((e) => e.entry?.text)).toEqual(['Hello, Ada!', 'Hello, Bob!']);
    } finally {
      client.close();
      loggerClient.close();
    }
    expect(greeter).not.toBe(logger);
    // Each process prints its own metrics URL: two exporters, two ports.
    const urls = server.stdout().match(/http:\/\/127\.0\.0\.1:\d+\/metrics/g) ?? [];
    expect(new Set(urls).size).toBe(2);
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
  });

  it('with --mtls, requires client certificates on both, and the Greeter presents its own to the Logger', async () => {
    const { server, greeter, logger } = await serve(['--mtls']);
    const certs = loadCertificates(certsDir);
    const [greeterTarget, loggerTarget] = [greeter, logger].map((a) => a.replace('127.0.0.1', 'localhost')) as [string, string];
    const withCert = createGreeterClient(greeterTarget, { ca: certs.ca, client: certs.client, token: env.AUTH_TOKEN });
    const withoutCert = createLoggerClient(loggerTarget, { ca: certs.ca, token: env.LOGGER_TOKEN });
    const loggerClient = createLoggerClient(loggerTarget, { ca: certs.ca, client: certs.client, token: env.LOGGER_TOKEN });
    try {
      await sayHello(withCert, 'Ada');
      await expect(listEntries(withoutCert)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
      expect((await listEntries(loggerClient)).map((e) => e.entry?.text)).toEqual(['Hello, Ada!']);
    } finally {
      for (const c of [withCert, withoutCert, loggerClient]) c.close();
    }
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('stops the Greeter, then the Logger, on one %s: exit 0, nothing left running', async (signal) => {
    const { server, logger, loggerPid } = await serve();
    server.child.kill(signal);
    const { code, stdout } = await server.exited;
    expect(code).toBe(0);
    const rows = stdout.split('\n').filter((l) => /stopping|stopped/.test(l));
    expect(rows.map((l) => l.trim().replace(/\s+/g, ' '))).toEqual([
      `server ${signal}: stopping`,
      'logger SIGTERM: stopping',
      'logger stopped',
      'server stopped',
    ]);
    expect(running(loggerPid)).toBe(false);
    const [host, port] = logger.split(':');
    const refused = net.connect(Number(port), host);
    await expect(once(refused, 'connect')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('takes the Logger down with it when its own process is killed outright', async () => {
    const { server, loggerPid } = await serve();
    // The Logger shares the Greeter's stdout: the pipe closes once both are gone.
    const closed = once(server.child.stdout, 'close');
    server.child.kill('SIGKILL');
    await closed;
    // Its own log lines may come between the two rows; what matters is that it stopped, and is gone.
    expect(server.stdout()).toMatch(/logger\s+parent gone: stopping\n(?:.*\n)*?\s*logger\s+stopped\n/);
    expect(await gone(loggerPid)).toBe(true);
  });

  it('fails with exit 1 and leaves nothing running when the Logger cannot start', async () => {
    const taken = net.createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    kills.push(() => taken.close());
    const port = (taken.address() as net.AddressInfo).port;
    const server = startLesson(step, ['serve', '--port', '0', '--logger-port', String(port)], { env });
    kills.push(() => server.child.kill('SIGKILL'));
    const { code, stderr } = await server.exited;
    expect(code).toBe(1);
    expect(stderr).toContain(`cannot listen on 127.0.0.1:${port}`);
    expect(stderr).toContain('error: logger exited (1) before it was listening');
  });
});

describe('pnpm step 10 logger', () => {
  it('runs the Logger alone, labelled as the Logger, until a signal', async () => {
    const logger = startLesson(step, ['logger', '--port', '0'], { env });
    kills.push(() => logger.child.kill('SIGKILL'));
    expect(await logger.listeningAs('logger')).toMatch(/^127\.0\.0\.1:\d+$/);
    logger.child.kill('SIGINT');
    const { code, stdout } = await logger.exited;
    expect(code).toBe(0);
    expect(stdout).toMatch(/logger\s+stopped\n$/);
  });

  it('is listed in the step’s help', async () => {
    const { code, stdout } = await startLesson(step, ['--help']).exited;
    expect(code).toBe(0);
    expect(stdout).toContain('usage: pnpm step 10 [demo|serve|client|logger] [flags]');
    expect(stdout).toMatch(/--logger-port <P>/);
  });
});
