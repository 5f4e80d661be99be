// A retry budget on the client: `client --throttle N` adds `retryThrottling` with maxTokens N and tokenRatio 0.1 to its service config, so a storm of calls against a backend that always fails stops being retried.
import { fileURLToPath } from 'node:url';
import { exitLine, startLesson } from '@course/kit';
import { temporaryCertificates } from '@course/kit/temporary-certs';
import { afterAll, expect, it } from 'vitest';

const step = fileURLToPath(new URL('..', import.meta.url));
const { dir, remove } = await temporaryCertificates('course-throttle-');
const env = { CERTS_DIR: dir, AUTH_TOKEN: 'throttle-exercise-token', METRICS_PORT: '0', LOG_LEVEL: 'silent', DRAIN_DELAY_MS: '0' };
const serve = startLesson(step, ['serve', '--port', '0', '--fail-first', '1000'], { env });
afterAll(async () => {
  serve.child.kill('SIGTERM');
  await serve.exited;
  remove();
});

it('client --calls 10 --max-attempts 3 --throttle 10: 3, 2, then 1 attempt per call', async () => {
  const address = (await serve.listeningAs('server')).replace('127.0.0.1', 'localhost');
  const run = await startLesson(step, ['client', '--target', address, '--calls', '10', '--max-attempts', '3', '--throttle', '10'], { env })
    .exited;
  expect(exitLine(run), 'how the client ended').toMatch(/^exit 1: error: UNAVAILABLE/);
  const attempts = [...run.stdout.matchAll(/SayHello\s+#\d+\s+(\d+) attempts?/g)].map((m) => Number(m[1]));
  // 10 tokens, one taken per failure, a retry only while more than 5 are left.
  expect(attempts, 'attempts per call').toEqual([3, 2, 1, 1, 1, 1, 1, 1, 1, 1]);
});
