// The step as a learner runs it: `serve --fail-first 2` in a process of its
// own, `client` against it in another, attempts read from the answers.
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { startLesson } from '@course/kit';
import { temporaryCertificates } from '@course/kit/temporary-certs';
import { afterAll, describe, expect, it } from 'vitest';

const step = fileURLToPath(new URL('..', import.meta.url));
const { dir, remove } = await temporaryCertificates('course-retries-lesson-');
afterAll(remove);
const env = { CERTS_DIR: dir, AUTH_TOKEN: 'lesson-13-token', METRICS_PORT: '0', LOG_LEVEL: 'silent', DRAIN_DELAY_MS: '0' };

describe('pnpm step 13 serve --fail-first 2', () => {
  it('fails two attempts of each call; the client’s retryPolicy makes the third, or gives up at --max-attempts', async () => {
    const server = startLesson(step, ['serve', '--port', '0', '--fail-first', '2'], { env });
    try {
      const address = await server.listeningAs('server');
      expect(server.stdout()).toMatch(/flaky\s+fails the first 2 attempts of each call with UNAVAILABLE/);
      const client = (...args: string[]) =>
        startLesson(step, ['client', '--target', address.replace('127.0.0.1', 'localhost'), ...args], { env }).exited;

      const ok = await client('--calls', '2');
      expect(ok.code).toBe(0);
      expect(ok.stdout.match(/SayHello\s+#\d\s+3 attempts\s+OK/g)).toHaveLength(2);

      const short = await client('--max-attempts', '2');
      expect(short.code).toBe(1);
      expect(short.stdout).toMatch(/SayHello\s+#1\s+2 attempts\s+UNAVAILABLE\s+\d+ ms\s+flaky: attempt 2 of the first 2 fails/);
      expect(short.stderr).toBe('error: UNAVAILABLE: flaky: attempt 2 of the first 2 fails\n');

      // Only the Greeter is flaky: health answers the first time.
      const health = await client('--health');
      expect(health.code).toBe(0);
      expect(health.stdout).toMatch(/greeter\.v1\.Greeter\s+SERVING/);
    } finally {
      server.child.kill('SIGTERM');
      const [code] = await once(server.child, 'exit');
      expect(code).toBe(0);
    }
  });
});
