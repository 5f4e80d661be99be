// `serve` as lesson 19's with the probes added (a port for the Greeter, paths on the gateway), and the `probe` command a
// person (or a script) checks it with, through real processes.
import { fileURLToPath } from 'node:url';
import { freePort, startLesson } from '@course/kit';
import { temporaryCertificates } from '@course/kit/temporary-certs';
import { afterAll, describe, expect, it } from 'vitest';
import { LIVENESS_SERVICE, probe, READINESS_PATH } from '../src/index.js';

const step = fileURLToPath(new URL('..', import.meta.url));
const preload = [fileURLToPath(new URL('../node_modules/@course/09-tracing/src/instrument.ts', import.meta.url))];
const { dir, remove } = await temporaryCertificates('course-shipping-serve-');
const env = { CERTS_DIR: dir, AUTH_TOKEN: 'serve-token', METRICS_PORT: '0', LOG_LEVEL: 'warn', DRAIN_DELAY_MS: '0' };
afterAll(remove);

describe('serve', () => {
  it('adds plaintext health on --probe-port beside the Greeter, its Logger and the gateway, and stops all of it on one SIGTERM', async () => {
    const [port, probePort, httpPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const args = ['serve', '--port', String(port), '--probe-port', String(probePort), '--http-port', String(httpPort)];
    const serve = startLesson(step, args, { env, preload });
    expect(await serve.listening).toBe(`127.0.0.1:${port}`);
    expect(serve.stdout()).toMatch(new RegExp(`probe +127\\.0\\.0\\.1:${probePort}: plaintext health`));
    expect(serve.stdout()).toMatch(/logger +listening on /);
    expect(await probe(`127.0.0.1:${probePort}`, '')).toBe('SERVING');
    expect(serve.stdout()).toMatch(
      new RegExp(`gateway +listening on http://127\\.0\\.0\\.1:${httpPort}, TLS to the Greeter; readiness /healthz`),
    );
    const ready = await fetch(`http://127.0.0.1:${httpPort}${READINESS_PATH}`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', greeter: 'SERVING' });

    const check = startLesson(step, ['probe', '--target', `127.0.0.1:${probePort}`, '--service', LIVENESS_SERVICE], { env, preload });
    const checked = await check.exited;
    expect(checked.code).toBe(0);
    expect(checked.stdout).toMatch(new RegExp(`probe +127\\.0\\.0\\.1:${probePort} liveness: SERVING`));

    serve.child.kill('SIGTERM');
    const { code, stdout } = await serve.exited;
    expect(code).toBe(0);
    expect(stdout).toMatch(/server +stopped/);

    // Nothing there now: the probe fails, in one line, exit 1.
    const after = await startLesson(step, ['probe', '--target', `127.0.0.1:${probePort}`], { env, preload }).exited;
    expect(after.code).toBe(1);
    expect(after.stderr.trim()).toBe(`error: probe failed: 127.0.0.1:${probePort} '': UNAVAILABLE`);
    expect(after.stdout).toBe('');
  });

  it('says what is wrong with a bad --probe-port, exit 2', async () => {
    const { code, stderr } = await startLesson(step, ['serve', '--port', '0', '--probe-port', 'eighty'], { env, preload }).exited;
    expect(code).toBe(2);
    expect(stderr).toMatch(/^error: --probe-port must be a port number from 0 to 65535, got 'eighty'/);
  });
});
