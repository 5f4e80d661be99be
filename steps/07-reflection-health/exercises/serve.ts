// What the health exercises share: `pnpm step 07 serve` in its own process, with certificates made for it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type NodeProcess, startLesson } from '@course/kit';
import { type Certificates, ensureCertificates, loadCertificates } from '@course/kit/certs';

export const step = fileURLToPath(new URL('..', import.meta.url));

export interface Served {
  serve: NodeProcess;
  /** localhost:P, the name on the certificate. */
  target: string;
  certs: Certificates;
  /** The environment serve runs with, for a client process to share. */
  env: NodeJS.ProcessEnv;
  /** Stops serve (SIGTERM) if it is still running, and removes the certificates. */
  close(): Promise<void>;
}

export async function serveLesson(env: NodeJS.ProcessEnv = {}): Promise<Served> {
  const dir = mkdtempSync(join(tmpdir(), 'ex07-'));
  await ensureCertificates(dir);
  const shared = { CERTS_DIR: dir, AUTH_TOKEN: '', NODE_ENV: 'development', LOG_LEVEL: 'silent', SHUTDOWN_GRACE_MS: '1000', ...env };
  const serve = startLesson(step, ['serve', '--port', '0'], { env: shared });
  const port = (await serve.listening).split(':').at(-1);
  return {
    serve,
    target: `localhost:${port}`,
    certs: loadCertificates(dir),
    env: shared,
    async close() {
      if (serve.child.exitCode === null) serve.child.kill('SIGTERM');
      await serve.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
