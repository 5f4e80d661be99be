// Watch it: `pnpm step 07 client --watch` prints each health status the server sends as it changes, and exits 0 once the server has gone NOT_SERVING and away.
import { exitLine, type NodeProcess, printed, startLesson } from '@course/kit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Served, serveLesson, step } from './serve.js';

let served: Served;
let watch: NodeProcess;
beforeAll(async () => {
  served = await serveLesson();
  watch = startLesson(step, ['client', '--target', served.target, '--watch'], { env: served.env });
  watch.child.stdin.end();
});
afterAll(async () => {
  if (watch.child.exitCode === null) watch.child.kill('SIGKILL');
  await served.close();
});

it('`client --watch` prints `health SERVING` while the server runs', async () => {
  await printed(watch, /^\s*health\s+SERVING\s*$/m);
});

it('prints `health NOT_SERVING` as soon as the server begins to stop', async () => {
  served.serve.child.kill('SIGTERM');
  await printed(watch, /^\s*health\s+NOT_SERVING\s*$/m);
});

it('exits 0 once the server is gone, having printed the two statuses in order', async () => {
  const exit = await watch.exited;
  expect(exitLine(exit)).toBe('exit 0');
  expect(exit.stdout.match(/\b(NOT_SERVING|SERVING)\b/g)).toEqual(['SERVING', 'NOT_SERVING']);
});
