// Binding a grpc-js server the course's way: a failed bind as one plain line,
// and a handle on the server's connections, which grpc-js does not give.
import diagnostics from 'node:diagnostics_channel';
import net from 'node:net';
import * as grpc from '@grpc/grpc-js';

const BIND_FAILED = /^No address added out of total \d+ resolved$/;

/**
 * grpc-js's own logger (stderr, "E "/"I "/"D " before each line) without the
 * line it logs when bindAsync fails: bindServer reports that failure itself,
 * with the address, in one line. bindServer installs it; every other line,
 * errors included, is written as grpc-js's default logger writes it.
 */
export const grpcLogger: Partial<Console> = {
  error: (message?: unknown, ...rest: unknown[]) => {
    if (!BIND_FAILED.test(String(message))) console.error(`E ${message}`, ...rest);
  },
  info: (message?: unknown, ...rest: unknown[]) => console.error(`I ${message}`, ...rest),
  debug: (message?: unknown, ...rest: unknown[]) => console.error(`D ${message}`, ...rest),
};

/** Why a bind failed, from grpc-js's error: "address already in use", or its first line. */
function bindFailure(err: Error): string {
  // Node's listen errors end with the address, which the caller's line already names.
  const first = /errors: \[listen [A-Z]+: ([^,\]]*?) \S+[,\]]/.exec(err.message)?.[1];
  return first ?? err.message.split('\n')[0] ?? '';
}

/** A bound server: where it listens, and the connections it has accepted. */
export interface Bound {
  /** The bound port: the real one when the server was asked for port 0. */
  port: number;
  /** host:port, ready to pass to a client (an IPv6 host in brackets). */
  address: string;
  /** Destroys every connection the server has accepted and not yet closed. */
  destroyConnections(): void;
  /** Stops keeping track of connections (once the server has stopped). */
  release(): void;
}

/** bindAsync as a promise; a failure (a port in use) rejects with one line and code EBIND. */
export async function bindServer(server: grpc.Server, host: string, port: number, credentials: grpc.ServerCredentials): Promise<Bound> {
  // grpc-js logs a failed bind itself, before bindAsync's callback reports it.
  grpc.setLogger(grpcLogger);
  // An IPv6 address is bracketed in a target, as in a URL: `[::1]:50051`.
  const shown = host.includes(':') ? `[${host}]` : host;
  // A socket is this server's when it came in on its port and, for a server bound to one IP, on that IP.
  const ownAddress = net.isIP(host) !== 0 && host !== '0.0.0.0' && host !== '::' ? host : undefined;
  // Node publishes every accepted socket on this channel, and grpc-js gives no other handle.
  const sockets = new Set<net.Socket>();
  let bound = port;
  const accepted = (message: unknown) => {
    const { socket } = message as { socket: net.Socket };
    if (socket.localPort !== bound) return;
    // Servers on other addresses may share the port (127.0.0.2, 127.0.0.3, …).
    if (ownAddress !== undefined && socket.localAddress?.replace(/^::ffff:/, '') !== ownAddress) return;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const release = () => diagnostics.unsubscribe('net.server.socket', accepted);
  diagnostics.subscribe('net.server.socket', accepted);
  try {
    bound = await new Promise<number>((resolve, reject) => {
      server.bindAsync(`${shown}:${port}`, credentials, (err, p) => {
        // grpc-js's message ("No address added out of total 1 resolved errors:
        // [listen EADDRINUSE: address already in use 127.0.0.1:P]") hides the
        // reason at its end, and a port in use is an expected failure: say it plainly.
        if (err) reject(Object.assign(new Error(`cannot listen on ${shown}:${port}: ${bindFailure(err)}`), { code: 'EBIND' }));
        else resolve(p);
      });
    });
  } catch (err) {
    release();
    throw err;
  }
  return {
    port: bound,
    address: `${shown}:${bound}`,
    destroyConnections() {
      for (const socket of sockets) socket.destroy();
    },
    release,
  };
}
