// A real nats-server with JetStream for the tests: on a port given or free,
// its own store directory (kept across a restart, as a real broker's disk is),
// ready when it says so on stderr.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { freePort, within } from '@course/kit';

export interface NatsServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startNatsServer(storeDir: string, port?: number): Promise<NatsServer> {
  const p = port ?? (await freePort());
  const child: ChildProcess = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(p), '-sd', storeDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = once(child, 'exit');
  let log = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('Server is ready')) resolve();
    });
    void exited.then(([code]) => reject(new Error(`nats-server exited (${code}) before it was ready:\n${log}`)));
  });
  if ((await within(ready, 15_000)) === 'still pending') {
    child.kill('SIGKILL');
    throw new Error(`nats-server was not ready within 15 s:\n${log}`);
  }
  return {
    url: `nats://127.0.0.1:${p}`,
    port: p,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
