// A unary SayHello handler, and the start/stop helper every later step's server is built on.

import { bindServer } from '@course/kit';
import type { GreeterHandlers } from '@course/proto/gen/greeter/v1/Greeter';
import * as grpc from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { greeterDefinition } from './proto.js';

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

/** Builds a server, binds it and starts it; resolves once it is listening. */
export async function startServer(options: StartOptions): Promise<ServerHandle> {
  const { port = 0, host = '127.0.0.1', stopTimeoutMs = 5_000 } = options;
  const server = new grpc.Server(options.serverOptions);
  options.register(server);
  const credentials = options.credentials ?? grpc.ServerCredentials.createInsecure();
  // A port in use rejects with one line (code EBIND); the kit also keeps the server's connections for stop().
  const bound = await bindServer(server, host, port, credentials);
  let stopping: Promise<void> | undefined;
  return {
    server,
    host,
    port: bound.port,
    address: bound.address,
    stop() {
      // tryShutdown waits for in-flight calls with no timeout of its own, so
      // after stopTimeoutMs forceShutdown cancels them. That still leaves a
      // connection whose peer has stopped reading: Node closes a socket only
      // once what was written to it is flushed, which then never happens, and
      // tryShutdown would wait for it forever. So the sockets are destroyed too.
      stopping ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          bound.destroyConnections();
        }, stopTimeoutMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          bound.release();
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
