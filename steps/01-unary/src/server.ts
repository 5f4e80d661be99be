// A unary SayHello handler, and the start/stop helper every later step's server is built on.

import diagnostics from 'node:diagnostics_channel';
import net from 'node:net';
import { grpcLogger } from '@course/kit';
import type { GreeterHandlers } from '@course/proto/gen/greeter/v1/Greeter';
import * as grpc from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { greeterDefinition } from './proto.js';

// grpc-js logs a failed bind itself, before bindAsync's callback below reports
// it with the address: this logger drops that one line and keeps all others.
grpc.setLogger(grpcLogger);

/** The longest name SayHello accepts: bounds the work and the reply size. */
export const MAX_NAME_LENGTH = 100;

/** A running server: where it listens and how to stop it. */
export interface ServerHandle {
  server: grpc.Server;
  host: string;
  /** The bound port: the real one when the server was asked for port 0. */
  port: number;
  /** host:port, ready to pass to a client. */
  address: string;
  /** Stops gracefully: no new calls, in-flight calls finish (or are cancelled after `stopTimeoutMs`), then it resolves. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** 0 picks a free port (tests do that). */
  port?: number;
  host?: string;
  credentials?: grpc.ServerCredentials;
  /** Channel options and server interceptors (from lesson 04 on). */
  serverOptions?: grpc.ServerOptions;
  /** Adds services to the server before it binds. */
  register(server: grpc.Server): void;
  /** How long stop() waits for in-flight calls before cancelling them and closing every connection. */
  stopTimeoutMs?: number;
}

/** Why a bind failed, from grpc-js's error: "address already in use", or its first line. */
function bindFailure(err: Error): string {
  // Node's listen errors end with the address, which the caller's line already names.
  const first = /errors: \[listen [A-Z]+: ([^,\]]*?) \S+[,\]]/.exec(err.message)?.[1];
  return first ?? err.message.split('\n')[0] ?? '';
}

/** Builds a server, binds it and starts it; resolves once it is listening. */
export async function startServer(options: StartOptions): Promise<ServerHandle> {
  const { port = 0, host = '127.0.0.1', stopTimeoutMs = 5_000 } = options;
  const server = new grpc.Server(options.serverOptions);
  options.register(server);
  const credentials = options.credentials ?? grpc.ServerCredentials.createInsecure();
  // An IPv6 address is bracketed in a target, as in a URL: `[::1]:50051`.
  const shown = host.includes(':') ? `[${host}]` : host;
  // A socket is this server's when it came in on its port and, for a server bound to one IP, on that IP.
  const ownAddress = net.isIP(host) !== 0 && host !== '0.0.0.0' && host !== '::' ? host : undefined;
  // The server's connections, so stop() can close them itself: Node publishes
  // every accepted socket on this channel, and grpc-js gives no other handle.
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
    diagnostics.unsubscribe('net.server.socket', accepted);
    throw err;
  }
  const address = `${shown}:${bound}`;
  let stopping: Promise<void> | undefined;
  return {
    server,
    host,
    port: bound,
    address,
    stop() {
      // tryShutdown waits for in-flight calls with no timeout of its own, so
      // after stopTimeoutMs forceShutdown cancels them. That still leaves a
      // connection whose peer has stopped reading: Node closes a socket only
      // once what was written to it is flushed, which then never happens, and
      // tryShutdown would wait for it forever. So the sockets are destroyed too.
      stopping ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          for (const socket of sockets) socket.destroy();
        }, stopTimeoutMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          diagnostics.unsubscribe('net.server.socket', accepted);
          resolve();
        });
      });
      return stopping;
    },
  };
}

/** Validates a name the way every Greeter method does; returns an error message or undefined. */
export function checkName(name: string): string | undefined {
  if (name.trim() === '') return 'name is required';
  if (name.length > MAX_NAME_LENGTH) return `name must be at most ${MAX_NAME_LENGTH} characters, got ${name.length}`;
  return undefined;
}

/** An error the client receives with this status code and message, and nothing more. */
export function statusError(code: grpc.status, details: string): Partial<grpc.StatusObject> {
  return { code, details };
}

export function greeting(name: string): string {
  return `Hello, ${name}!`;
}

export const sayHelloHandler: GreeterHandlers['SayHello'] = (call, callback) => {
  const problem = checkName(call.request.name);
  if (problem) return callback(statusError(grpc.status.INVALID_ARGUMENT, problem));
  callback(null, { message: greeting(call.request.name) });
};

/** The service a server is built around: its full name and the loaded .proto that defines it. */
export interface ServiceIdentity {
  /** The full name, as health and reflection know it: `greeter.v1.Greeter`. */
  name: string;
  /** proto-loader's definition of its .proto, keyed by full names. */
  definition: PackageDefinition;
}

export const GREETER: ServiceIdentity = { name: 'greeter.v1.Greeter', definition: greeterDefinition };

/** A service's methods, as grpc-js's addService takes them. */
export function serviceDefinition({ name, definition }: ServiceIdentity): grpc.ServiceDefinition {
  return definition[name] as grpc.ServiceDefinition;
}

export interface GreeterServerOptions extends Omit<StartOptions, 'register'> {
  /**
   * Greeter handlers. Lesson 01 implements SayHello; later lessons pass the
   * methods they add, and grpc-js answers any method left out with UNIMPLEMENTED.
   */
  handlers?: Partial<GreeterHandlers>;
  /**
   * Another service to serve instead of Greeter, on the same chain of
   * interceptors, TLS, health and metrics (lesson 10: the Logger). `handlers` is then unused.
   */
  service?: ServiceIdentity & { handlers: grpc.UntypedServiceImplementation };
  /** Wraps the whole set of the service's handlers before they are added (lesson 04: recovery). */
  wrapHandlers?(handlers: grpc.UntypedServiceImplementation, service: string): grpc.UntypedServiceImplementation;
  /** Services beyond Greeter, added by later lessons. */
  register?(server: grpc.Server): void;
}

export function startGreeterServer(options: GreeterServerOptions = {}): Promise<ServerHandle> {
  return startServer({
    ...options,
    register(server) {
      const service = options.service ?? { ...GREETER, handlers: { SayHello: sayHelloHandler, ...options.handlers } };
      const handlers = service.handlers as grpc.UntypedServiceImplementation;
      server.addService(serviceDefinition(service), options.wrapHandlers ? options.wrapHandlers(handlers, service.name) : handlers);
      options.register?.(server);
    },
  });
}
