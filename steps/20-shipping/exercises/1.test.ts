// Tokens from files: the `greeter` and `logger` modes read AUTH_TOKEN_FILE and LOGGER_TOKEN_FILE, a Secret mounted as files.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sayHello } from '@course/01-unary';
import { createGreeterClient } from '@course/08-prometheus-metrics';
import { createLoggerClient, listEntries } from '@course/10-two-services';
import { freePort, startLesson } from '@course/kit';
import { temporaryCertificates } from '@course/kit/temporary-certs';
import * as grpc from '@grpc/grpc-js';
import { afterAll, expect, it } from 'vitest';

const step = fileURLToPath(new URL('..', import.meta.url));
const { dir: certsDir, certs, remove } = await temporaryCertificates('course-shipping-exercise-');
const files = mkdtempSync(join(tmpdir(), 'lesson-20-exercise-'));
afterAll(() => {
  rmSync(files, { recursive: true, force: true });
  remove();
});

/** A file holding text, as a Secret's key mounted in a volume (with the newline `echo` would add). */
function secretFile(name: string, text: string): string {
  const path = join(files, name);
  writeFileSync(path, `${text}\n`);
  return path;
}

const base = { CERTS_DIR: certsDir, METRICS_PORT: '0', LOG_LEVEL: 'warn', AUTH_TOKEN: '', LOGGER_TOKEN: '' };

async function greeter(env: NodeJS.ProcessEnv) {
  const args = ['greeter', '--port', String(await freePort()), '--probe-port', '0', '--outbox', join(files, `outbox-${Date.now()}.db`)];
  return startLesson(step, args, { env: { ...base, ...env } });
}

it('the greeter accepts the token in AUTH_TOKEN_FILE, trimmed, and no other', async () => {
  const serve = await greeter({ AUTH_TOKEN_FILE: secretFile('auth', 'token-from-a-file') });
  try {
    const address = await serve.listeningAs('greeter');
    const target = `localhost:${address.split(':')[1]}`;
    const right = createGreeterClient(target, { ca: certs.ca, token: 'token-from-a-file' });
    const wrong = createGreeterClient(target, { ca: certs.ca, token: 'dev-token' });
    try {
      expect((await sayHello(right, 'Ada')).message, 'a greeting with the file token').toBe('Hello, Ada!');
      const refused = await sayHello(wrong, 'Ada').catch((e: grpc.ServiceError) => e);
      expect((refused as grpc.ServiceError).code, 'the dev token').toBe(grpc.status.UNAUTHENTICATED);
    } finally {
      right.close();
      wrong.close();
    }
  } finally {
    serve.child.kill('SIGTERM');
    expect((await serve.exited).code, 'exit code after SIGTERM').toBe(0);
  }
});

it('the logger accepts the token in LOGGER_TOKEN_FILE', async () => {
  const port = await freePort();
  const serve = startLesson(step, ['logger', '--port', String(port), '--probe-port', '0'], {
    env: { ...base, LOGGER_TOKEN_FILE: secretFile('logger', 'logger-token-from-a-file') },
  });
  try {
    await serve.listeningAs('logger');
    const client = createLoggerClient(`localhost:${port}`, { ca: certs.ca, token: 'logger-token-from-a-file' });
    try {
      expect(await listEntries(client), 'ListEntries with the file token').toEqual([]);
    } finally {
      client.close();
    }
  } finally {
    serve.child.kill('SIGTERM');
    expect((await serve.exited).code, 'exit code after SIGTERM').toBe(0);
  }
});

it('refuses AUTH_TOKEN and AUTH_TOKEN_FILE at once: one line, exit 2', async () => {
  const { code, stderr } = await (await greeter({ AUTH_TOKEN: 'x', AUTH_TOKEN_FILE: secretFile('both', 'y') })).exited;
  expect(code, 'exit code').toBe(2);
  expect(stderr.trim()).toBe('error: set AUTH_TOKEN or AUTH_TOKEN_FILE, not both');
});

it('names a token file it cannot read: one line, exit 2', async () => {
  const missing = join(files, 'no-such-file');
  const { code, stderr } = await (await greeter({ AUTH_TOKEN_FILE: missing })).exited;
  expect(code, 'exit code').toBe(2);
  expect(stderr.trim().split('\n'), 'one line').toHaveLength(1);
  expect(stderr).toContain(missing);
});

it('still refuses the default token in production, when a file holds it', async () => {
  const { code, stderr } = await (
    await greeter({ NODE_ENV: 'production', AUTH_TOKEN_FILE: secretFile('dev', 'dev-token'), LOGGER_TOKEN_FILE: secretFile('l', 'real') })
  ).exited;
  expect(code, 'exit code').toBe(2);
  expect(stderr.trim()).toBe('error: AUTH_TOKEN must be set to a secret of your own when NODE_ENV=production');
});
