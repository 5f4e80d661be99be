// Token rotation: with AUTH_TOKENS set (comma-separated), the server accepts each token in it and no other, so a new token can go out before the old one is retired.
import { fileURLToPath } from 'node:url';
import { sayHello } from '@course/01-unary';
import { exitLine, howItEnded, type NodeProcess, startLesson } from '@course/kit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createGreeterClient } from '../src/index.js';

const step = fileURLToPath(new URL('..', import.meta.url));
// A space and an empty entry on purpose: neither may become a token that matches.
const AUTH_TOKENS = 'old-secret, new-secret,';
let serve: NodeProcess;
let address: string;
beforeAll(async () => {
  serve = startLesson(step, ['serve', '--port', '0'], { env: { AUTH_TOKENS, AUTH_TOKEN: '', NODE_ENV: 'development' } });
  address = await serve.listening;
});
afterAll(async () => {
  serve.child.kill('SIGTERM');
  await serve.exited;
});

async function callWith(token: string): Promise<string> {
  const client = createGreeterClient(address, { token });
  try {
    return await howItEnded(sayHello(client, 'Ada'));
  } finally {
    client.close();
  }
}

/** `serve` with this environment: "listening", or how it exited. */
async function startsWith(env: NodeJS.ProcessEnv): Promise<string> {
  const other = startLesson(step, ['serve', '--port', '0'], { env: { AUTH_TOKEN: '', ...env } });
  try {
    await other.listening;
    return 'listening';
  } catch {
    return exitLine(await other.exited);
  } finally {
    other.child.kill('SIGTERM');
    await other.exited;
  }
}

it('accepts the old token', async () => {
  expect(await callWith('old-secret')).toBe('OK');
});

it('accepts the new token', async () => {
  expect(await callWith('new-secret')).toBe('OK');
});

it.each([
  ['a token not in the list', 'other-secret'],
  ['the whole list as one token', AUTH_TOKENS],
  ['an empty token', ''],
  ['dev-token (AUTH_TOKENS replaces it)', 'dev-token'],
])('refuses %s with UNAUTHENTICATED', async (_, token) => {
  expect(await callWith(token)).toMatch(/^UNAUTHENTICATED: /);
});

it('starts in production with AUTH_TOKENS and no AUTH_TOKEN', async () => {
  expect(await startsWith({ NODE_ENV: 'production', AUTH_TOKENS: 'old-secret,new-secret' })).toBe('listening');
});

it('refuses to start in production when AUTH_TOKENS holds dev-token, as it does for AUTH_TOKEN: exit 2, one line', async () => {
  expect(await startsWith({ NODE_ENV: 'production', AUTH_TOKENS: 'new-secret,dev-token' })).toMatch(/^exit 2: error: .*AUTH_TOKENS/);
});
