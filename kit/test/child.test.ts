// startMode's promise that a child never outlives its parent, through real
// processes: a parent killed outright, even while its child is still starting.
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../src/child.js';
import { type NodeProcess, startLesson } from '../src/process.js';

const fixture = fileURLToPath(new URL('fixtures/two-modes', import.meta.url));
const kills: (() => void)[] = [];
afterEach(() => {
  for (const kill of kills.splice(0)) kill();
});

/** The child's pid, from the line it prints when it starts. */
function childPid(parent: NodeProcess): Promise<number> {
  return new Promise((resolve) => {
    const look = () => {
      const found = /starting, pid (\d+)/.exec(parent.stdout());
      if (found) resolve(Number(found[1]));
    };
    parent.child.stdout.on('data', look);
  });
}

function killLater(pid: number) {
  kills.push(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {} // already gone
  });
}

describe('a child mode started with startMode', () => {
  it('stops once it is up when its parent was killed while it was starting', async () => {
    const parent = startLesson(fixture, ['serve']);
    kills.push(() => parent.child.kill('SIGKILL'));
    const pid = await childPid(parent);
    killLater(pid);
    // The child shares the parent's stdout: the pipe closes once both are gone.
    const closed = once(parent.child.stdout, 'close');
    parent.child.kill('SIGKILL');
    // 'exit', not parent.exited: that waits for the shared pipe to close, which the child still holds.
    if (parent.child.exitCode === null && parent.child.signalCode === null) await once(parent.child, 'exit');
    process.kill(pid, 'SIGUSR2');
    await closed;
    expect(parent.stdout()).toMatch(/child\s+listening on the child\n\s+child\s+parent gone: stopping\n\s+child\s+stopped\n$/);
  });

  it('is stopped by its parent, after the parent’s own server, on one SIGTERM', async () => {
    const parent = startLesson(fixture, ['serve']);
    kills.push(() => parent.child.kill('SIGKILL'));
    const pid = await childPid(parent);
    killLater(pid);
    process.kill(pid, 'SIGUSR2');
    await parent.listening;
    parent.child.kill('SIGTERM');
    const { code, stdout } = await parent.exited;
    expect(code).toBe(0);
    expect(stdout).toMatch(/server\s+SIGTERM: stopping\n\s+child\s+SIGTERM: stopping\n\s+child\s+stopped\n\s+server\s+stopped\n$/);
  });
});

describe('freePort', () => {
  it('gives a port below the range the kernel hands out for listen(0) and outgoing connections, free to bind', async () => {
    const [low] = (await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')).trim().split(/\s+/).map(Number);
    const ports = await Promise.all(Array.from({ length: 5 }, () => freePort()));
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(low as number);
      const server = net.createServer().listen(port, '127.0.0.1');
      await once(server, 'listening');
      server.close();
      await once(server, 'close');
    }
  });
});
