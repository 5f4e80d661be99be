// Matching certificates: `problemWith` notices a server.crt that ca.crt did not sign (copied from another machine, say), so `pnpm step 06 serve` makes a matching set instead of serving one no client trusts.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sayHello } from '@course/01-unary';
import { howItEnded, startLesson } from '@course/kit';
import { certPaths, ensureCertificates, loadCertificates, makeCertificates, problemWith } from '@course/kit/certs';
import { afterEach, expect, it } from 'vitest';
import { createGreeterClient } from '../src/index.js';

const step = fileURLToPath(new URL('..', import.meta.url));
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A certificate folder whose server certificate and key come from another CA's set. */
async function mismatched(): Promise<string> {
  const [dir, other] = [mkdtempSync(join(tmpdir(), 'ex06-')), mkdtempSync(join(tmpdir(), 'ex06-other-'))];
  dirs.push(dir, other);
  await makeCertificates(dir);
  await makeCertificates(other);
  for (const file of ['cert', 'key'] as const) copyFileSync(certPaths(other).server[file], certPaths(dir).server[file]);
  return dir;
}

it('problemWith says the server certificate is not signed by ca.crt', async () => {
  expect(problemWith(await mismatched()) ?? 'nothing wrong found').toMatch(/not signed by/);
});

it('problemWith still finds nothing wrong with a set made together', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ex06-'));
  dirs.push(dir);
  await ensureCertificates(dir);
  expect(problemWith(dir)).toBeUndefined();
});

it('`pnpm step 06 serve` replaces a mismatched set, and a client trusting ca.crt gets in', async () => {
  const dir = await mismatched();
  const serve = startLesson(step, ['serve', '--port', '0'], { env: { CERTS_DIR: dir, AUTH_TOKEN: '', NODE_ENV: 'development' } });
  try {
    const port = (await serve.listening).split(':').at(-1);
    const client = createGreeterClient(`localhost:${port}`, { ca: loadCertificates(dir).ca, token: 'dev-token' });
    try {
      expect(await howItEnded(sayHello(client, 'Ada', { deadline: new Date(Date.now() + 3_000) }))).toBe('OK');
    } finally {
      client.close();
    }
  } finally {
    serve.child.kill('SIGTERM');
    await serve.exited;
  }
});
