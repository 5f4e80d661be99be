// `pnpm step 07 client` against a server that requires client certificates:
// --mtls presents ours, for Greeter and for the token-free health probe alike.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@course/04-interceptors';
import { startLesson } from '@course/kit';
import { ensureCertificates, loadCertificates } from '@course/kit/certs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HealthServerHandle, startGreeterServer } from '../src/index.js';

const step = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'course-certs-'));
const TOKEN = 'client-test-token';
let server: HealthServerHandle;
beforeAll(async () => {
  await ensureCertificates(dir);
  server = await startGreeterServer({ certs: loadCertificates(dir), token: TOKEN, mtls: true, logger: createLogger({ level: 'silent' }) });
});
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

const client = (...args: string[]) =>
  startLesson(step, ['client', '--target', `localhost:${server.port}`, ...args], { env: { CERTS_DIR: dir, AUTH_TOKEN: TOKEN } }).exited;

describe('client --mtls, against serve --mtls', () => {
  it('calls SayHello with the client certificate', async () => {
    expect(await client('--mtls', '--name', 'Ada')).toMatchObject({ code: 0, stdout: expect.stringContaining('Hello, Ada!'), stderr: '' });
  });

  it('asks health with the client certificate too', async () => {
    const { code, stdout, stderr } = await client('--mtls', '--health');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/health {5}"" +SERVING/);
  });

  it('is refused without it', async () => {
    const { code, stderr } = await client('--name', 'Ada');
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error: UNAVAILABLE: .*certificate required\n$/);
  });
});
