// `pnpm step 15 load` as a learner runs it, against a server already running:
// one progress line a second when its output is not a terminal, then the mix
// it produced; one line and exit 1 when there is no server to load; and the
// demo without a Prometheus, which says so in one line.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@course/04-interceptors';
import { freePort, startLesson } from '@course/kit';
import { ensureCertificates, loadCertificates } from '@course/kit/certs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startGreeterServer, startLoggerServer } from '../src/index.js';

const step = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'course-load-'));
const TOKEN = 'load-token';
const env = { CERTS_DIR: join(dir, 'certs'), AUTH_TOKEN: TOKEN, NO_COLOR: '1' };
let target: string;
let stop: () => Promise<void>;

beforeAll(async () => {
  await ensureCertificates(env.CERTS_DIR);
  const certs = loadCertificates(env.CERTS_DIR);
  const silent = createLogger({ level: 'silent', pretty: false });
  const metricsAddress = { host: '127.0.0.1', port: 0 };
  const logger = await startLoggerServer({ certs, logger: silent, metricsAddress });
  const greeter = await startGreeterServer({
    certs,
    token: TOKEN,
    drainDelayMs: 0,
    logger: silent,
    metricsAddress,
    loggerTarget: `localhost:${logger.port}`,
  });
  target = `localhost:${greeter.port}`;
  stop = async () => {
    await greeter.stop();
    await logger.stop();
  };
});
afterAll(async () => {
  await stop?.();
  rmSync(dir, { recursive: true, force: true });
});

it('prints a progress line each second, then the mix by code', async () => {
  const { code, stdout, stderr } = await startLesson(step, ['load', '--seconds', '2', '--rate', '20', '--target', target], { env }).exited;
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  const progress = stdout.split('\n').filter((l) => /^ {2}load +\d+ s /.test(l));
  expect(progress.map((l) => /(\d+) s /.exec(l)?.[1])).toEqual(['1', '2']);
  expect(progress[0]).toMatch(/calls\/s {2}errors +[\d.]+% {2}p99 \d+ ms$/);
  expect(stdout).toContain('mix        40 calls: OK 32, INVALID_ARGUMENT 4, CANCELLED 2, UNAUTHENTICATED 2 (errors 20.0%)');
});

it('says in one line that nothing answered when no server runs there, exit 1', async () => {
  const nowhere = `localhost:${await freePort()}`;
  const { code, stdout, stderr } = await startLesson(step, ['load', '--seconds', '1', '--rate', '5', '--target', nowhere], { env }).exited;
  expect(stdout).toContain('mix        5 calls: UNAVAILABLE 5 (errors 100.0%)');
  expect({ code, stderr }).toEqual({ code: 1, stderr: `error: no call succeeded: is a step 15 server running at ${nowhere}?\n` });
});

it('the demo without a Prometheus runs the load and says in one line what it skipped', async () => {
  const { code, stdout, stderr } = await startLesson(step, ['--seconds', '1', '--rate', '10'], {
    env: { ...env, PROMETHEUS: '/nonexistent/prometheus' },
  }).exited;
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  expect(stdout).toContain('mix        10 calls: OK 8, INVALID_ARGUMENT 1, UNAUTHENTICATED 1 (errors 20.0%)');
  expect(stdout.split('\n').filter((l) => l.includes('skipped'))).toEqual([
    '  prometheus not on PATH (or $PROMETHEUS): skipped the panel queries; the load and its mix ran',
  ]);
  expect(stdout).not.toContain('Server: request rate');
});
