// Pushback: with `serve --pushback-ms MS` the flaky backend's failures carry `grpc-retry-pushback-ms: MS` in their trailers, so the server, not the client's backoff, says when to try again (and a negative value says not to).
import { fileURLToPath } from 'node:url';
import { type NodeProcess, startLesson } from '@course/kit';
import { temporaryCertificates } from '@course/kit/temporary-certs';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, expect, it } from 'vitest';
import { createRetryingClient, sayHelloAttempted } from '../src/index.js';

const step = fileURLToPath(new URL('..', import.meta.url));
const TOKEN = 'pushback-exercise-token';
const { dir, certs, remove } = await temporaryCertificates('course-pushback-');
afterAll(remove);
const running: NodeProcess[] = [];
afterEach(async () => {
  for (const serve of running.splice(0)) {
    serve.child.kill('SIGTERM');
    await serve.exited;
  }
});

async function serve(pushback: string): Promise<string> {
  const process = startLesson(step, ['serve', '--port', '0', '--fail-first', '2', '--pushback-ms', pushback], {
    env: { CERTS_DIR: dir, AUTH_TOKEN: TOKEN, METRICS_PORT: '0', LOG_LEVEL: 'silent', DRAIN_DELAY_MS: '0' },
  });
  running.push(process);
  return (await process.listeningAs('server')).replace('127.0.0.1', 'localhost');
}

it('--pushback-ms 100: a client whose own backoff is 5 s still gets its answer within 2 s, at the third attempt', async () => {
  const client = createRetryingClient(
    await serve('100'),
    { maxAttempts: 4, initialBackoffS: 5, maxBackoffS: 5 },
    { ca: certs.ca, token: TOKEN },
  );
  try {
    const answer = await sayHelloAttempted(client, 'Ada', { deadlineMs: 2_000 });
    expect(grpc.status[answer.code], 'code').toBe('OK');
    expect(answer.attempts, 'attempts').toBe(3);
  } finally {
    client.close();
  }
});

it('--pushback-ms -1: no retry at all, however many attempts the client allows', async () => {
  const client = createRetryingClient(await serve('-1'), { maxAttempts: 4, initialBackoffS: 0.01 }, { ca: certs.ca, token: TOKEN });
  try {
    const answer = await sayHelloAttempted(client, 'Ada', { deadlineMs: 2_000 });
    expect(grpc.status[answer.code], 'code').toBe('UNAVAILABLE');
    expect(answer.attempts, 'attempts').toBe(1);
  } finally {
    client.close();
  }
});
