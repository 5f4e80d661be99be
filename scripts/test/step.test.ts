// The step runner's contract, through real processes: selection, list, help,
// usage errors (exit 2), and for every step `serve` and `client` as two
// processes talking, with a graceful stop on SIGINT and SIGTERM.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Exit, startNode } from '@course/kit';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const steps = readdirSync(`${root}/steps`)
  .filter((d) => /^\d\d-/.test(d))
  .sort();

/** `node --import tsx scripts/step.ts ...args`: what `pnpm step` runs. */
const runner = (args: string[], env?: NodeJS.ProcessEnv) => startNode([join(root, 'scripts/step.ts'), ...args], env);

/** Runs the runner to its end with stdin closed. */
function run(args: string[], env?: NodeJS.ProcessEnv): Promise<Exit> {
  const child = runner(args, env);
  child.child.stdin.end();
  return child.exited;
}

/** Starts `serve` on a free port; resolves once it is listening. */
async function serve(step: string, extra: string[] = [], env?: NodeJS.ProcessEnv) {
  const server = runner([step, 'serve', ...extra], env);
  return { child: server.child, address: await server.listening, output: server.stdout, exited: server.exited };
}

describe('pnpm step', () => {
  it('lists every lesson', async () => {
    const { code, stdout } = await run(['list']);
    expect(code).toBe(0);
    for (const step of steps) expect(stdout).toContain(`steps/${step}`);
  });

  it.each(['1', '01', '01-unary', 'steps/01-unary'])('selects step 01 from %s', async (selector) => {
    const { code, stdout } = await run([selector, '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^step 01 · Unary RPC/);
    expect(stdout).toContain('usage: pnpm step 01');
  });

  it.each([
    [['99'], /^error: no step '99'/],
    [[], /^error: which step\?/],
    [['01', 'serve', '--bogus'], /^error: unknown flag --bogus for serve/],
    [['01', 'serve', '--port', 'abc'], /^error: --port must be a port number/],
    [['01', 'client', 'extra'], /^error: unexpected argument 'extra'/],
  ])('refuses %j with one line, the usage, and exit 2', async (args, message) => {
    const { code, stderr, stdout } = await run(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toContain('usage: pnpm step');
    expect(stdout).toBe('');
  });

  it('refuses a bad PORT from the environment with exit 2', async () => {
    const { code, stderr } = await run(['01', 'serve'], { PORT: '70000' });
    expect(code).toBe(2);
    expect(stderr).toMatch(/^error: PORT must be a port number/);
  });

  it('takes the port from PORT', async () => {
    const { child, address, exited } = await serve('01', [], { PORT: '0' });
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    child.kill('SIGTERM');
    expect((await exited).code).toBe(0);
  });

  it('exits 1 with one line, no stack, when the client cannot reach a server', async () => {
    const { code, stderr } = await run(['01', 'client', '--target', '127.0.0.1:1', '--deadline-ms', '500']);
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^error: (UNAVAILABLE|DEADLINE_EXCEEDED): /);
  });
});

describe.each(steps.map((s) => s.slice(0, 2)))('step %s', (step) => {
  it.each(['SIGINT', 'SIGTERM'] as const)('serve answers a client process, then stops gracefully on %s with exit 0', async (signal) => {
    // A free metrics port too (lesson 08 on), so no run depends on 9464 being free.
    const { child, address, output, exited } = await serve(step, ['--port', '0'], { METRICS_PORT: '0' });
    try {
      // localhost, the name on the TLS lessons' certificate (plaintext lessons accept it too).
      const client = await run([step, 'client', '--target', address.replace('127.0.0.1', 'localhost')]);
      expect(client.stderr).toBe('');
      expect(client.code).toBe(0);
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
    child.kill(signal);
    expect((await exited).code).toBe(0);
    expect(output()).toContain(`${signal}: stopping`);
    expect(output()).toMatch(/stopped\n$/);
  });
});
