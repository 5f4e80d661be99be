// Look before you turn: `pnpm step 17 canary` without --weight prints the weights the running proxy uses now, and changes nothing.
import { fileURLToPath } from 'node:url';
import { exitLine, freePort, startLesson } from '@course/kit';
import { temporaryCertificates } from '@course/kit/temporary-certs';
import { afterAll, beforeAll, expect, it } from 'vitest';

const step = fileURLToPath(new URL('..', import.meta.url));
const { dir, remove } = await temporaryCertificates('course-canary-show-');
const env = { CERTS_DIR: dir, METRICS_PORT: '0', LOG_LEVEL: 'warn', DRAIN_DELAY_MS: '0' };
let port: number;
let serve: ReturnType<typeof startLesson>;

beforeAll(async () => {
  port = await freePort();
  serve = startLesson(step, ['serve', '--port', String(port), '--weight', '25'], { env });
  await serve.listening;
}, 30_000);
afterAll(async () => {
  serve?.child.kill('SIGTERM');
  await serve?.exited;
  remove();
});

const canary = async (...args: string[]) => startLesson(step, ['canary', '--target', `localhost:${port}`, ...args], { env }).exited;

it('`canary` alone exits 0 and prints the weights serve started with', async () => {
  const exit = await canary();
  expect(exitLine(exit)).toBe('exit 0');
  expect(exit.stdout).toMatch(/canary +greeter\.v1 → stable 75, canary 25/);
});

it('and after `canary --weight 40`, prints those', async () => {
  expect(exitLine(await canary('--weight', '40'))).toBe('exit 0');
  const exit = await canary();
  expect(exitLine(exit)).toBe('exit 0');
  expect(exit.stdout).toMatch(/canary +greeter\.v1 → stable 60, canary 40/);
});
