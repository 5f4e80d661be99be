// The stall proxy on plain TCP: bytes pass unchanged, stop while stalled, and
// arrive once (never twice) after resume, whenever the connection was accepted.
import { once } from 'node:events';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startStallProxy } from '../src/stall.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A TCP server that writes `greeting` to each connection and ends it; resolves `connected` on the first one. */
async function greeter(greeting: string) {
  let connected!: () => void;
  const firstConnection = new Promise<void>((resolve) => {
    connected = resolve;
  });
  const server = net.createServer((socket) => {
    connected();
    socket.end(greeting);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return { port: (server.address() as net.AddressInfo).port, firstConnection };
}

/** Everything a client reads from `address` until the other side ends. */
function readAll(address: string): { text: Promise<string> } {
  const [host, port] = address.split(':');
  const client = net.connect(Number(port), host);
  cleanups.push(() => client.destroy());
  let text = '';
  client.on('data', (chunk) => {
    text += chunk;
  });
  return { text: once(client, 'end').then(() => text) };
}

describe('startStallProxy', () => {
  it('relays bytes unchanged', async () => {
    const target = await greeter('hello over tcp');
    const proxy = await startStallProxy({ host: '127.0.0.1', port: target.port });
    cleanups.push(() => proxy.close());
    expect(await readAll(proxy.address).text).toBe('hello over tcp');
  });

  it('holds the bytes of a connection accepted while stalled, and delivers them once on resume', async () => {
    const target = await greeter('exactly once');
    const proxy = await startStallProxy({ host: '127.0.0.1', port: target.port });
    cleanups.push(() => proxy.close());
    proxy.stall();
    const { text } = readAll(proxy.address);
    // The relay's upstream connection reached the target, which has written and ended.
    await target.firstConnection;
    proxy.resume();
    expect(await text).toBe('exactly once');
  });
});
