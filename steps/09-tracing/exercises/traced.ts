// What the tracing exercises share: lesson 09 in its own process, as `pnpm step 09` starts it (instrumentation preloaded).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type NodeProcess, startLesson } from '@course/kit';
import { type Certificates, ensureCertificates, loadCertificates } from '@course/kit/certs';

const step = fileURLToPath(new URL('..', import.meta.url));
const instrument = fileURLToPath(new URL('../src/instrument.ts', import.meta.url));

export interface Traced {
  certs: Certificates;
  /** `pnpm step 09 ...args` with its preload, spans kept in memory, certificates of its own. */
  start(args: string[], env?: NodeJS.ProcessEnv): NodeProcess;
  close(): void;
}

export async function tracedLesson(): Promise<Traced> {
  const dir = mkdtempSync(join(tmpdir(), 'ex09-'));
  await ensureCertificates(dir);
  const started: NodeProcess[] = [];
  return {
    certs: loadCertificates(dir),
    start(args, env = {}) {
      const lesson = startLesson(step, args, {
        preload: [instrument],
        env: {
          CERTS_DIR: dir,
          AUTH_TOKEN: 'trace-exercise-token',
          METRICS_PORT: '0',
          SHUTDOWN_GRACE_MS: '1000',
          LOG_LEVEL: 'info',
          OTEL_EXPORTER_OTLP_ENDPOINT: '',
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '',
          ...env,
        },
      });
      lesson.child.stdin.end();
      started.push(lesson);
      return lesson;
    },
    close() {
      for (const lesson of started) if (lesson.child.exitCode === null) lesson.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
