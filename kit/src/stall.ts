// A TCP relay that can stop passing bytes to its client: a stand-in for a
// reader on a congested network or a frozen process, made without changing
// the client's code at all. Lesson 03's demo and the shutdown tests use it.
import { once } from 'node:events';
import net from 'node:net';

export interface StallProxy {
  /** host:port to point a client at instead of the server. */
  address: string;
  /** Stop delivering the server's bytes to the client: its HTTP/2 window fills and the server must wait. */
  stall(): void;
  resume(): void;
  close(): Promise<void>;
}

export async function startStallProxy(target: { host: string; port: number }): Promise<StallProxy> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  let stalled = false;
  const proxy = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    client.pipe(upstream);
    // While stalled, the server's bytes wait in `upstream` until resume()
    // pipes them: piping here as well would deliver each byte twice.
    if (!stalled) upstream.pipe(client);
    const close = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  const { port } = proxy.address() as net.AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    stall() {
      if (stalled) return;
      stalled = true;
      for (const [client, upstream] of pairs) {
        upstream.unpipe(client);
        upstream.pause();
      }
    },
    resume() {
      if (!stalled) return;
      stalled = false;
      for (const [client, upstream] of pairs) upstream.pipe(client);
    },
    async close() {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      proxy.close();
      await once(proxy, 'close');
    },
  };
}
