// The `gateway` mode through a real process: lesson 19's gateway alone, in
// front of a Greeter it finds at GREETER_TARGET, with the CA from CERTS_DIR as
// a container has it, and the HTTP paths its probes ask.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@course/04-interceptors';
import { InProcessBroker } from '@course/16-async-events';
import { freePort, startLesson } from '@course/kit';
import { temporaryCertificates } from '@course/kit/temporary-certs';
import { afterAll, describe, expect, it } from 'vitest';
import { LIVENESS_PATH, READINESS_PATH, startGreeterServer, startLoggerServer } from '../src/index.js';

const step = fileURLToPath(new URL('..', import.meta.url));
const preload = [fileURLToPath(new URL('../node_modules/@course/09-tracing/src/instrument.ts', import.meta.url))];
const { dir: certsDir, certs, remove } = await temporaryCertificates('course-shipping-gateway-');
const work = mkdtempSync(join(tmpdir(), 'lesson-20-gateway-'));
const TOKEN = 'gateway-mode-token';
const silent = createLogger({ level: 'silent' });
const ANY_PORT = { host: '127.0.0.1', port: 0 };
afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  await remove();
});

async function get(base: string, path: string, token?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(new URL(path, base), { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('the gateway mode', () => {
  it('serves the Greeter at GREETER_TARGET over TLS, ready only while it is SERVING, alive either way, and drains on SIGTERM', async () => {
    const logger = await startLoggerServer({ certs, logger: silent, metricsAddress: ANY_PORT });
    const greeter = await startGreeterServer({
      certs,
      token: TOKEN,
      logger: silent,
      metricsAddress: ANY_PORT,
      loggerTarget: `localhost:${logger.port}`,
      outboxPath: join(work, 'outbox.db'),
      broker: new InProcessBroker(),
    });
    let greeterStopped = false;
    const port = await freePort();
    const env = {
      NODE_ENV: 'production',
      CERTS_DIR: certsDir,
      GREETER_TARGET: `localhost:${greeter.port}`,
      DRAIN_DELAY_MS: '0',
      LOG_LEVEL: 'warn',
    };
    const gateway = startLesson(step, ['gateway', '--port', String(port)], { env, preload });
    try {
      const address = await gateway.listeningAs('gateway');
      expect(address).toBe(`127.0.0.1:${port}`);
      expect(gateway.stdout()).toMatch(new RegExp(`TLS to the Greeter at localhost:${greeter.port}; readiness /healthz, liveness /livez`));
      const base = `http://${address}`;

      expect(await get(base, READINESS_PATH)).toEqual({ status: 200, body: { status: 'ready', greeter: 'SERVING' } });
      expect(await get(base, LIVENESS_PATH)).toEqual({ status: 200, body: { status: 'alive' } });
      expect(await get(base, '/v1/greet/Ada', TOKEN)).toEqual({ status: 200, body: { message: 'Hello, Ada!' } });
      expect((await get(base, '/v1/greet/Ada', 'not-the-token')).status).toBe(401);

      // The Greeter draining: the gateway leaves the pool, but is not restarted.
      greeter.health.setStatus('', 'NOT_SERVING');
      expect(await get(base, READINESS_PATH)).toEqual({ status: 503, body: { status: 'not ready', greeter: 'NOT_SERVING' } });
      expect((await get(base, LIVENESS_PATH)).status).toBe(200);

      // The Greeter gone: the Check fails as a call does.
      await greeter.stop();
      greeterStopped = true;
      expect(await get(base, READINESS_PATH)).toEqual({ status: 503, body: { status: 'not ready', greeter: 'UNAVAILABLE' } });
    } finally {
      gateway.child.kill('SIGTERM');
      const { code, stdout } = await gateway.exited;
      expect(code, `exit code after SIGTERM: ${stdout}`).toBe(0);
      if (!greeterStopped) await greeter.stop();
      await logger.stop();
    }
  });

  it('refuses a bad --greeter-target or GREETER_TARGET before it listens, exit 2', async () => {
    const flag = await startLesson(step, ['gateway', '--port', '0', '--greeter-target', 'no port here'], {
      env: { CERTS_DIR: certsDir },
      preload,
    }).exited;
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/^error: --greeter-target needs host:port, such as localhost:50051, got 'no port here'\n/);
    const env = { CERTS_DIR: certsDir, GREETER_TARGET: 'greeter:grpc' };
    const fromEnv = await startLesson(step, ['gateway', '--port', '0'], { env, preload }).exited;
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr.trim()).toBe("error: GREETER_TARGET needs host:port, such as localhost:50051, got 'greeter:grpc'");
  });
});
