// bindServer on real grpc-js servers: a port in use is one line and nothing
// from grpc-js, and destroyConnections closes what the server has accepted.
import { once } from 'node:events';
import http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { bindServer } from '../src/bind.js';

const insecure = grpc.ServerCredentials.createInsecure();
const servers: grpc.Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.forceShutdown();
  vi.restoreAllMocks();
});

function newServer(): grpc.Server {
  const server = new grpc.Server();
  servers.push(server);
  return server;
}

describe('bindServer', () => {
  it('resolves to the bound port and its address, the IPv6 host in brackets', async () => {
    const bound = await bindServer(newServer(), '::1', 0, insecure);
    expect(bound.port).toBeGreaterThan(0);
    expect(bound.address).toBe(`[::1]:${bound.port}`);
    bound.release();
  });

  it('rejects a port in use with one line and code EBIND, and grpc-js logs nothing of it', async () => {
    const taken = await bindServer(newServer(), '127.0.0.1', 0, insecure);
    const logged = vi.spyOn(console, 'error');
    const failure = bindServer(newServer(), '127.0.0.1', taken.port, insecure);
    await expect(failure).rejects.toThrow(`cannot listen on 127.0.0.1:${taken.port}: address already in use`);
    await expect(failure).rejects.toMatchObject({ code: 'EBIND' });
    expect(logged).not.toHaveBeenCalled();
    taken.release();
  });

  it('destroys the connections the server has accepted', async () => {
    const bound = await bindServer(newServer(), '127.0.0.1', 0, insecure);
    const session = http2.connect(`http://${bound.address}`);
    session.on('error', () => {}); // the destroyed socket ends the session with ECONNRESET
    // The server's SETTINGS mean it has accepted the connection.
    await once(session, 'remoteSettings');
    const closed = once(session, 'close');
    bound.destroyConnections();
    await closed;
    expect(session.destroyed).toBe(true);
    bound.release();
  });
});
