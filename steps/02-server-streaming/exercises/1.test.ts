// Stop early: `pnpm step 02 client --stop-after N` cancels the stream after N replies, exits 0, and the server stops sending.
import { fileURLToPath } from 'node:url';
import { exitLine, startLesson } from '@course/kit';
import { afterEach, expect, it } from 'vitest';
import { type StreamEvent, startGreeterServer } from '../src/index.js';

const step = fileURLToPath(new URL('..', import.meta.url));
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A server on port 0 and `pnpm step 02 client` against it; `done` is how the server's handler ended. */
async function runClient(...flags: string[]) {
  let finished!: (event: Extract<StreamEvent, { type: 'done' }>) => void;
  const done = new Promise<Extract<StreamEvent, { type: 'done' }>>((resolve) => {
    finished = resolve;
  });
  const server = await startGreeterServer({ stream: { intervalMs: 20, onEvent: (e) => e.type === 'done' && finished(e) } });
  cleanups.push(() => server.stop());
  const child = startLesson(step, ['client', '--target', server.address, ...flags]);
  child.child.stdin.end();
  return { exit: await child.exited, done };
}

it('`client --count 50 --stop-after 3` exits 0', async () => {
  const { exit } = await runClient('--count', '50', '--stop-after', '3');
  expect(exitLine(exit)).toBe('exit 0');
});

it('prints exactly 3 reply rows, #1 to #3', async () => {
  const { exit } = await runClient('--count', '50', '--stop-after', '3');
  const replies = exit.stdout.split('\n').filter((l) => /^\s*reply\b/.test(l));
  expect(replies.map((l) => /#(\d+)/.exec(l)?.[1])).toEqual(['1', '2', '3']);
});

it("ends the server's handler as cancelled, long before 50 greetings", async () => {
  const { exit, done } = await runClient('--count', '50', '--stop-after', '3');
  expect(exitLine(exit)).toBe('exit 0');
  const event = await done;
  expect(event.reason).toBe('cancelled');
  expect(event.sent).toBeLessThan(50);
});

it('refuses `--stop-after 0` with exit 2 and one line naming the flag', async () => {
  const { exit } = await runClient('--stop-after', '0');
  // The kit's parsePositiveInt words the rest.
  expect(exitLine(exit)).toMatch(/^exit 2: error: --stop-after\b/);
});
