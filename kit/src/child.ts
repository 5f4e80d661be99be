// Runs another mode of a lesson as a child process (lesson 10's Logger beside
// the Greeter): the same Node flags and preloads as this process, ready when
// it reports its address, stopped by a signal, and never left running when
// this process goes, however it goes.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

const RUN = fileURLToPath(new URL('./run.ts', import.meta.url));

export interface ModeProcess {
  /** host:port, as the child reported it once it was listening. */
  address: string;
  pid: number;
  /** The exit code, or the signal that ended it, whenever and however it ends. */
  exited: Promise<number | NodeJS.Signals>;
  /** SIGTERM (the child drains as `serve` does), then its exit; SIGKILL if it is still there after killAfterMs. */
  stop(): Promise<number | NodeJS.Signals>;
}

export interface ModeOptions {
  /** Added to this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** Default 30 s: longer than any grace period the course uses. */
  killAfterMs?: number;
}

/** Starts `run.ts <stepDir> <mode> ...args` and resolves once the child is listening; rejects if it exits first. */
export async function startMode(stepDir: string, mode: string, args: string[] = [], options: ModeOptions = {}): Promise<ModeProcess> {
  const { env = {}, killAfterMs = 30_000 } = options;
  const child = spawn(process.execPath, [...process.execArgv, RUN, stepDir, mode, ...args], {
    env: { ...process.env, ...env },
    // Its output is ours: its rows, labelled with its mode, appear with ours.
    // The IPC channel says when it is ready, and tells it when we are gone.
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // Its own process group: a terminal's Ctrl-C reaches only us, and we stop
    // it in order, after the server that calls it has drained.
    detached: true,
  });
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | NodeJS.Signals);
  const address = await new Promise<string>((resolve, reject) => {
    child.on('message', (message: { listening?: unknown }) => {
      if (typeof message?.listening === 'string') resolve(message.listening);
    });
    child.once('error', reject);
    void exited.then((code) => reject(Object.assign(new Error(`${mode} exited (${code}) before it was listening`), { code: 'ECHILD' })));
  });
  return {
    address,
    pid: child.pid as number,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * Where the kernel takes ports for `listen(0)` and for the local end of outgoing connections
 * (Linux: net.ipv4.ip_local_port_range; 32768-60999 by default).
 */
async function ephemeralRange(): Promise<[number, number]> {
  try {
    const [low, high] = (await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')).trim().split(/\s+/).map(Number);
    if (low && high && low <= high) return [low, high];
  } catch {}
  return [32_768, 60_999];
}

async function tryListen(port: number, host: string): Promise<number | undefined> {
  const server = net.createServer();
  try {
    server.listen(port, host);
    await once(server, 'listening');
  } catch {
    return undefined;
  }
  const found = (server.address() as AddressInfo).port;
  server.close();
  await once(server, 'close');
  return found;
}

/**
 * A port that is free now, for a child to listen on when its address must be known before it starts.
 * It is picked below the kernel's ephemeral range: a port from `listen(0)` could be taken, between
 * this check and the child's bind, by the local end of any outgoing connection on a busy machine.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [low] = await ephemeralRange();
  const floor = 10_000;
  if (low - floor >= 1_000) {
    for (let tries = 0; tries < 20; tries++) {
      const found = await tryListen(floor + Math.floor(Math.random() * (low - floor)), host);
      if (found !== undefined) return found;
    }
  }
  const found = await tryListen(0, host);
  if (found === undefined) throw new Error(`no free port on ${host}`);
  return found;
}
