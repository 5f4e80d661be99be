// Signals through the processes a learner runs: pnpm, then `scripts/step.ts`,
// which hands its process over to the lesson (`kit/src/run.ts`). Who gets a
// signal, and what each process exits with, as a shell or a supervisor sees it.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const running: ChildProcess[] = [];
afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

interface Started {
  child: ChildProcess;
  output(): string;
  /** Resolves once the output contains `text`; rejects if the process ends first. */
  printed(text: string): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Started {
  const child = spawn(command, args, {
    cwd: root,
    // A free port for the metrics lessons too; no colour, so output is plain.
    env: { ...process.env, NO_COLOR: '1', METRICS_PORT: '0', SHUTDOWN_GRACE_MS: '2000', DRAIN_DELAY_MS: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let output = '';
  const watchers: { text: string; resolve: () => void }[] = [];
  const onData = (chunk: Buffer) => {
    output += chunk;
    for (const w of watchers.filter((w) => output.includes(w.text))) {
      watchers.splice(watchers.indexOf(w), 1);
      w.resolve();
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = once(child, 'close').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  return {
    child,
    output: () => output,
    printed: (text) =>
      new Promise<void>((resolve, reject) => {
        if (output.includes(text)) return resolve();
        watchers.push({ text, resolve });
        void exited.then(({ code, signal }) => reject(new Error(`exited (${code ?? signal}) before printing '${text}':\n${output}`)));
      }),
    exited,
  };
}

const pnpm = (args: string[], env?: NodeJS.ProcessEnv) => start('pnpm', ['step', ...args], env);
const runner = (args: string[]) => start(process.execPath, ['--import', 'tsx', join(root, 'scripts/step.ts'), ...args]);

/** The lesson's own process among `pid`'s descendants: the one running kit/src/run.ts. */
function lessonUnder(pid: number): number {
  const table = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .map(([p, pp, ...args]) => ({ pid: Number(p), ppid: Number(pp), args: args.join(' ') }));
  const below = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const row of table)
      if (below.has(row.ppid) && !below.has(row.pid)) {
        below.add(row.pid);
        grew = true;
      }
  }
  const lesson = table.find((row) => below.has(row.pid) && row.args.includes('kit/src/run.ts'));
  if (!lesson) throw new Error(`no lesson process under ${pid}`);
  return lesson.pid;
}

describe('`pnpm step NN serve` and signals', () => {
  it('SIGTERM to the lesson process: it drains and exits 0, and so does pnpm', async () => {
    const served = pnpm(['07', 'serve', '--port', '0']);
    await served.printed('listening on');
    process.kill(lessonUnder(served.child.pid ?? 0), 'SIGTERM');
    expect(await served.exited).toEqual({ code: 0, signal: null });
    expect(served.output()).toMatch(/SIGTERM: stopping\n.*stopped\n$/);
  });

  it('SIGINT to pnpm, as Ctrl-C sends it: the lesson gets it once, drains, and pnpm exits 0', async () => {
    // A stop that takes a second (lesson 07's drain delay): a copy of the
    // signal arriving meanwhile would count as a second one and exit at once.
    const served = pnpm(['07', 'serve', '--port', '0'], { DRAIN_DELAY_MS: '1000' });
    await served.printed('listening on');
    served.child.kill('SIGINT');
    expect(await served.exited).toEqual({ code: 0, signal: null });
    expect(served.output()).toMatch(/SIGINT: stopping\n.*stopped\n$/);
    expect(served.output()).not.toContain('again');
  });

  it('SIGTERM to pnpm itself: the lesson gets it once, drains and prints stopped, then pnpm reports 143 (128 + SIGTERM)', async () => {
    // pnpm passes a SIGTERM to every process under it: were the runner still
    // a process of its own, passing it on too, the lesson would get two.
    const served = pnpm(['07', 'serve', '--port', '0'], { DRAIN_DELAY_MS: '1000' });
    await served.printed('listening on');
    served.child.kill('SIGTERM');
    const { code, signal } = await served.exited;
    expect(served.output()).toMatch(/SIGTERM: stopping\n.*stopped\n$/);
    expect(served.output()).not.toContain('again');
    // pnpm's own status when it is terminated, whatever the lesson returned.
    expect(code === 143 || signal === 'SIGTERM').toBe(true);
  });

  it('SIGTERM to the `node scripts/step.ts` process: the lesson gets it and exits 0', async () => {
    const served = runner(['07', 'serve', '--port', '0']);
    await served.printed('listening on');
    served.child.kill('SIGTERM');
    expect(await served.exited).toEqual({ code: 0, signal: null });
    expect(served.output()).toMatch(/stopped\n$/);
  });
});

describe('Ctrl-C during a demo', () => {
  it('ends it the way it ends any tool: killed by SIGINT, which a shell reports as 130', async () => {
    const demo = runner(['03']);
    await demo.printed('listening on');
    demo.child.kill('SIGINT');
    const { code, signal } = await demo.exited;
    expect(code === 130 || signal === 'SIGINT').toBe(true);
  });

  it('through pnpm, the same: pnpm ends killed by SIGINT too', async () => {
    const demo = pnpm(['03']);
    await demo.printed('listening on');
    demo.child.kill('SIGINT');
    const { code, signal } = await demo.exited;
    expect(code === 130 || signal === 'SIGINT').toBe(true);
  });
});
