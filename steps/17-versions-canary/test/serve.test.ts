// The step as a person runs it: `serve` starts a Logger, both deployments and
// HAProxy, `canary --weight` moves the split while it runs, and one SIGTERM
// stops all of it with exit 0 and nothing left running; and the demo on a
// machine without HAProxy says so once and splits on the client.
import { existsSync } from 'node:fs';
import net from 'node:net';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startLesson } from '@course/kit';
import { temporaryCertificates } from '@course/kit/temporary-certs';
import { afterAll, describe, expect, it } from 'vitest';
import { many, proxyFront, socketFor, split } from '../src/index.js';

const step = fileURLToPath(new URL('..', import.meta.url));
const TOKEN = 'serve-token';
const { dir, certs, remove } = await temporaryCertificates('course-canary-serve-');
const env = { CERTS_DIR: dir, AUTH_TOKEN: TOKEN, METRICS_PORT: '0', LOG_LEVEL: 'warn', DRAIN_DELAY_MS: '0' };
afterAll(remove);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function refuses(address: string): Promise<boolean> {
  const [host, port] = address.split(':');
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('serve', () => {
  it('runs the proxy on --port, moves the weight on `canary --weight`, and stops everything on one SIGTERM', async () => {
    const port = await freePort();
    const serve = startLesson(step, ['serve', '--port', String(port)], { env });
    const address = await serve.listening;
    expect(address).toBe(`127.0.0.1:${port}`);
    const out = serve.stdout();
    // Each process prints its own listening line and metrics URL.
    const deployments = [...out.matchAll(/deployment listening on (\S+)/g)].map((m) => m[1] as string);
    expect(deployments).toHaveLength(2);
    expect(out).toMatch(/logger +listening on /);
    for (const who of ['logger', 'stable', 'canary', 'proxy']) expect(out).toMatch(new RegExp(`${who} .*metrics on http://`));
    const pid = Number(/haproxy pid (\d+)/.exec(out)?.[1]);
    expect(isAlive(pid)).toBe(true);

    const front = proxyFront(`localhost:${port}`, socketFor(port), { ca: certs.ca, token: TOKEN });
    try {
      const first = split(await many(100, () => front.v1('Ada')));
      expect(first.failed).toBe(0);
      expect(Math.abs((first.byVersion['1.1'] ?? 0) - 10)).toBeLessThanOrEqual(3);
      const canary = startLesson(step, ['canary', '--weight', '50', '--target', `localhost:${port}`], { env });
      const result = await canary.exited;
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/canary +greeter\.v1 → stable 50, canary 50/);
      const after = split(await many(100, () => front.v1('Ada')));
      expect(after.failed).toBe(0);
      expect(Math.abs((after.byVersion['1.1'] ?? 0) - 50)).toBeLessThanOrEqual(3);
    } finally {
      front.close();
    }

    serve.child.kill('SIGTERM');
    const { code, stdout } = await serve.exited;
    expect(code).toBe(0);
    expect(stdout).toMatch(/server +stopped/);
    expect(isAlive(pid)).toBe(false);
    expect(existsSync(socketFor(port))).toBe(false);
    for (const a of [address, ...deployments]) expect(await refuses(a)).toBe(true);
  });

  it('`canary` with no proxy running says so in one line, exit 1', async () => {
    const { code, stderr } = await startLesson(step, ['canary', '--weight', '5', '--target', `localhost:${await freePort()}`], { env })
      .exited;
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/no proxy answers at .*: is `pnpm step 17 serve` running on that port\?/);
  });
});

describe('the demo without HAProxy on PATH', () => {
  it('says so in one line and shows the same split, made by the client', async () => {
    // This Node and the system's programs, without /usr/sbin where Debian puts haproxy.
    const PATH = [dirname(process.execPath), '/usr/bin', '/bin'].join(':');
    const { code, stdout, stderr } = await startLesson(step, [], { env: { ...env, PATH } }).exited;
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.match(/no haproxy on PATH/g)).toHaveLength(1);
    expect(stdout).toMatch(/v1 +1000 calls → 1\.0 \(stable\) 900 \(90\.0%\), 1\.1 \(canary\) 100 \(10\.0%\)/);
    expect(stdout).toMatch(/v2 +100 calls +→ 1\.1 \(canary\) 100 \(100\.0%\)/);
    expect(stdout).toMatch(/rollback +weight 0 under load: 600 calls, 0 failed; then 200 v1 → 1\.0 \(stable\) 200/);
  });
});
