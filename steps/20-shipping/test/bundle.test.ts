// The deploy bundle through real processes: built once by bundle.sh, started
// as the container starts it (NODE_ENV=production, tokens and certificates
// from where the Secrets put them), probed as the kubelet probes, and stopped
// with calls in flight.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGreeterClient as createPlainClient, sayHello } from '@course/01-unary';
import { listServices } from '@course/07-reflection-health';
import { createGreeterClient } from '@course/08-prometheus-metrics';
import { freePort } from '@course/kit';
import { temporaryCertificates } from '@course/kit/temporary-certs';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Bundle,
  type BundleProcess,
  buildBundle,
  devDependenciesIn,
  LIVENESS_SERVICE,
  probe,
  startBundle,
  streamsInFlight,
  untilStatus,
} from '../src/index.js';

const { dir: certsDir, certs, remove } = await temporaryCertificates('course-shipping-');
const secret = { AUTH_TOKEN: 'bundle-auth-token', LOGGER_TOKEN: 'bundle-logger-token' };
const config = { NODE_ENV: 'production', CERTS_DIR: certsDir, METRICS_PORT: '0', LOG_LEVEL: 'warn' };
const work = mkdtempSync(join(tmpdir(), 'lesson-20-test-'));
let bundle: Bundle;
const started: BundleProcess[] = [];

beforeAll(async () => {
  bundle = await buildBundle(join(work, 'bundle'));
}, 120_000);

afterAll(async () => {
  for (const p of started) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await Promise.all(started.map((p) => p.exited));
  rmSync(work, { recursive: true, force: true });
  remove();
});

function start(mode: string, args: string[], env: NodeJS.ProcessEnv = {}, wrapper: string[] = []): BundleProcess {
  const p = startBundle(bundle.dir, mode, args, { ...config, ...secret, ...env }, wrapper);
  started.push(p);
  return p;
}

describe('the bundle', () => {
  it('holds the step and what it runs on, copied in, and none of its dev dependencies', () => {
    expect(devDependenciesIn(bundle)).toEqual([]);
    for (const name of ['kubernetes-models', '@action-validator/core', 'vitest', 'typescript', '@biomejs/biome'])
      expect(existsSync(join(bundle.dir, 'node_modules', name)), name).toBe(false);
    const runner = join(bundle.dir, 'node_modules/@course/kit/src/run.ts');
    // A copy inside the bundle, not a link back into the workspace: the image has no workspace.
    expect(realpathSync(runner).startsWith(realpathSync(bundle.dir))).toBe(true);
    expect(lstatSync(join(bundle.dir, 'src/lesson.ts')).isFile()).toBe(true);
    expect(existsSync(join(bundle.dir, 'node_modules/tsx'))).toBe(true);
    expect(bundle.bytes).toBeGreaterThan(0);
  });

  it('refuses to start in production with the default token, in one line', async () => {
    const p = start('greeter', ['--port', '0', '--probe-port', '0'], { AUTH_TOKEN: '' });
    expect(await p.exited).toBe(2);
    expect(p.output().trim()).toBe('error: AUTH_TOKEN must be set to a secret of your own when NODE_ENV=production');
  });

  it('refuses to start in production without the TLS Secret, naming the file, and makes no certificates', async () => {
    const empty = mkdtempSync(join(work, 'no-certs-'));
    const p = start('logger', ['--port', '0', '--probe-port', '0'], { CERTS_DIR: empty });
    expect(await p.exited).toBe(2);
    expect(p.output().trim()).toBe(`error: ${join(empty, 'ca.crt')} is missing: mount the TLS Secret at CERTS_DIR (${empty})`);
    expect(existsSync(join(empty, 'ca.key'))).toBe(false);
  });
});

describe('the bundle running as the containers run it', () => {
  it('answers probes on the plaintext port, serves over TLS, and drains on SIGTERM with no call lost', async () => {
    const [loggerPort, loggerProbe, greeterPort, greeterProbe] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const logger = start('logger', ['--port', String(loggerPort), '--probe-port', String(loggerProbe)]);
    const greeter = start(
      'greeter',
      [
        ...['--port', String(greeterPort), '--probe-port', String(greeterProbe)],
        ...['--logger-target', `localhost:${loggerPort}`, '--outbox', join(work, 'outbox.db')],
      ],
      // A drain long enough that the probes below land inside it on a busy machine.
      { DRAIN_DELAY_MS: '3000' },
    );
    expect(await logger.listening).toBe(`127.0.0.1:${loggerPort}`);
    expect(await greeter.listening).toBe(`127.0.0.1:${greeterPort}`);
    for (const port of [loggerProbe, greeterProbe]) {
      expect(await probe(`127.0.0.1:${port}`, '')).toBe('SERVING');
      expect(await probe(`127.0.0.1:${port}`, LIVENESS_SERVICE)).toBe('SERVING');
      expect(await probe(`127.0.0.1:${port}`, 'no.such.Service')).toBe('NOT_FOUND');
    }

    // The probe port tells serving states and nothing else: no Greeter there, even with the token.
    const plain = createPlainClient(`127.0.0.1:${greeterProbe}`);
    const onProbePort = await sayHello(plain, 'Ada').then(
      () => 'OK',
      (err: grpc.ServiceError) => grpc.status[err.code],
    );
    plain.close();
    expect(onProbePort).toBe('UNIMPLEMENTED');

    const client = createGreeterClient(`localhost:${greeterPort}`, { ca: certs.ca, token: secret.AUTH_TOKEN });
    try {
      expect((await sayHello(client, 'Ada')).message).toBe('Hello, Ada!');
      // NODE_ENV=production: no reflection.
      const reflection = await listServices(`localhost:${greeterPort}`, grpc.credentials.createSsl(certs.ca)).then(
        () => 'OK',
        (err: grpc.ServiceError) => grpc.status[err.code],
      );
      expect(reflection).toBe('UNIMPLEMENTED');

      const inFlight = streamsInFlight(client, 6, 15);
      await inFlight.running;
      greeter.child.kill('SIGTERM');
      // Draining: readiness fails, so Kubernetes takes the pod out; liveness holds, so it does not kill it.
      await untilStatus(`127.0.0.1:${greeterProbe}`, '', 'NOT_SERVING');
      expect(await probe(`127.0.0.1:${greeterProbe}`, LIVENESS_SERVICE)).toBe('SERVING');
      expect(await inFlight.settled).toEqual({ ok: 6, failed: [], received: 6 * 15 });
      expect(await greeter.exited).toBe(0);
      expect(greeter.output()).toMatch(/greeter +SIGTERM: stopping[\s\S]*greeter +stopped/);
      // Gone with it: the probe port too.
      expect(await probe(`127.0.0.1:${greeterProbe}`, '')).toBe('UNAVAILABLE');
    } finally {
      client.close();
    }
    logger.child.kill('SIGTERM');
    expect(await logger.exited).toBe(0);
  });
});

/** A PID namespace of its own, as a container has: `unshare --pid --fork` as root, with a user namespace otherwise. */
function pidNamespace(): string[] | undefined {
  for (const wrapper of [
    ['unshare', '--pid', '--fork'],
    ['unshare', '--user', '--map-root-user', '--pid', '--fork'],
  ]) {
    const [command = '', ...args] = wrapper;
    if (spawnSync(command, [...args, 'true']).status === 0) return wrapper;
  }
  return undefined;
}
const namespace = pidNamespace();

describe('the bundle as PID 1', () => {
  // Needs unshare (util-linux) and either root or unprivileged user namespaces; .ci/run has both.
  it.runIf(namespace !== undefined)('drains on SIGTERM as PID 1 of its own PID namespace, as in a container, and exits 0', async () => {
    const [port, probePort] = await Promise.all([freePort(), freePort()]);
    const args = ['--port', String(port), '--probe-port', String(probePort), '--outbox', join(work, 'outbox-pid1.db')];
    const greeter = start('greeter', args, {}, namespace);
    await greeter.listening;
    // unshare's child is Node: PID 1 in its namespace (the last NSpid), another number out here.
    const node = Number(execFileSync('ps', ['--ppid', String(greeter.child.pid), '-o', 'pid='], { encoding: 'utf8' }).trim());
    const nspid = /^NSpid:\s+(.+)$/m.exec(readFileSync(`/proc/${node}/status`, 'utf8'))?.[1]?.split(/\s+/);
    expect(nspid?.at(-1)).toBe('1');

    const client = createGreeterClient(`localhost:${port}`, { ca: certs.ca, token: secret.AUTH_TOKEN });
    try {
      const inFlight = streamsInFlight(client, 4, 10);
      await inFlight.running;
      // From outside the namespace, as the container runtime sends it: PID 1 gets it only because it handles it.
      process.kill(node, 'SIGTERM');
      expect(await inFlight.settled).toEqual({ ok: 4, failed: [], received: 40 });
    } finally {
      client.close();
    }
    expect(await greeter.exited).toBe(0);
    expect(greeter.output()).toMatch(/greeter +SIGTERM: stopping[\s\S]*greeter +stopped/);
  });
});
