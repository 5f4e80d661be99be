// A REST gateway in Fastify: its routes come from the google.api.http options
// at start-up, each request becomes one gRPC call over a TLS channel with the
// caller's token, and the answer is proto3 JSON (newline-delimited for a stream).
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { type DescField, type DescMessage, fromBinary, fromJson, type JsonValue, type Message, toBinary, toJson } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { serviceNamed } from './descriptors.js';
import { errorBody, httpErrorOf } from './http-errors.js';
import { openApiOf } from './openapi.js';
import { type Route, routesOf } from './routes.js';

export interface GatewayOptions {
  /** The gRPC server, by the name on its certificate: localhost:50051. */
  target: string;
  /** The CA the server's certificate is checked against (the course CA). */
  ca: Buffer;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** The gRPC deadline of a unary call (default 5 s) and of a stream (default 60 s). */
  deadlineMs?: number;
  streamDeadlineMs?: number;
  /** How long a stop waits for calls in flight before it cancels them (default 5 s). */
  graceMs?: number;
  /** The service whose annotations become routes. */
  service?: string;
  /** Adds to the app before it listens (lesson 20: the kubelet's probe paths). */
  configure?: (app: FastifyInstance) => void;
}

export interface GatewayHandle {
  port: number;
  address: string;
  url: string;
  routes: Route[];
  stop(): Promise<void>;
}

/** Headers passed on to the gRPC call as metadata: the token (never logged), and lesson 11's ids. */
export const FORWARDED_HEADERS = ['authorization', 'x-user-id', 'x-request-id'] as const;

export const NDJSON = 'application/x-ndjson; charset=utf-8';

const page = readFileSync(new URL('../public/index.html', import.meta.url));

/** A request the gateway refuses itself, before any call: 400 INVALID_ARGUMENT. */
class BadRequest extends Error {}

/** Builds the gateway without listening: tests and `startGateway` share it. */
export function buildGateway(options: GatewayOptions): { app: FastifyInstance; routes: Route[]; close(graceMs: number): Promise<void> } {
  const { deadlineMs = 5_000, streamDeadlineMs = 60_000 } = options;
  const service = serviceNamed(options.service ?? 'greeter.v1.Greeter');
  const routes = routesOf(service);
  const client = new grpc.Client(options.target, grpc.credentials.createSsl(options.ca));
  const inFlight = new Set<grpc.Call>();
  // No request log: the Authorization header must not reach one, and lesson 04's log is on the gRPC side.
  const app = Fastify({ logger: false });

  app.setErrorHandler((error: { statusCode?: number; message: string }, _request, reply) => {
    // Fastify's own refusals (bad JSON, an empty body, another content type) are the caller's: 400.
    if (error.statusCode !== undefined && error.statusCode < 500) {
      return reply.code(400).send(errorBody(grpc.status.INVALID_ARGUMENT, error.message));
    }
    return reply.code(500).send(errorBody(grpc.status.INTERNAL, 'internal error'));
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorBody(grpc.status.NOT_FOUND, `no route for ${request.method} ${request.url.split('?')[0]}`)),
  );
  app.get('/', (_request, reply) => reply.type('text/html; charset=utf-8').send(page));
  const openApi = openApiOf(service, routes);
  app.get('/openapi.json', () => openApi);

  for (const route of routes) {
    const { input, output } = route.method;
    const serialize = (message: Message) => Buffer.from(toBinary(input, message));
    const deserialize = (bytes: Buffer) => fromBinary(output, bytes);
    app.route({
      method: route.verb,
      url: route.url,
      handler: async (request, reply) => {
        let message: Message;
        try {
          message = requestMessage(route, request);
        } catch (err) {
          if (!(err instanceof BadRequest)) throw err;
          return reply.code(400).send(errorBody(grpc.status.INVALID_ARGUMENT, err.message));
        }
        const metadata = metadataOf(request);
        if (route.method.methodKind === 'server_streaming') {
          const call = client.makeServerStreamRequest(route.grpcPath, serialize, deserialize, message, metadata, {
            deadline: Date.now() + streamDeadlineMs,
          });
          return streamAnswer(call, output, reply, inFlight);
        }
        return new Promise<void>((resolve) => {
          const call = client.makeUnaryRequest(
            route.grpcPath,
            serialize,
            deserialize,
            message,
            metadata,
            { deadline: Date.now() + deadlineMs },
            (err, reply_) => {
              inFlight.delete(call);
              if (err) sendError(reply, err);
              else reply.type('application/json').send(toJson(output, reply_ as Message));
              resolve();
            },
          );
          inFlight.add(call);
          // The caller went away before the answer: so does the call.
          reply.raw.once('close', () => inFlight.has(call) && call.cancel());
        });
      },
    });
  }
  return {
    app,
    routes,
    async close(graceMs) {
      const closed = app.close();
      await Promise.race([closed, sleep(graceMs, undefined, { ref: false })]);
      // Past the grace: what is still in flight is cancelled, and connections still open are closed.
      for (const call of inFlight) call.cancel();
      app.server.closeAllConnections();
      await closed;
      client.close();
    },
  };
}

export async function startGateway(options: GatewayOptions): Promise<GatewayHandle> {
  const gateway = buildGateway(options);
  options.configure?.(gateway.app);
  const host = options.host ?? '127.0.0.1';
  try {
    await gateway.app.listen({ host, port: options.port ?? 0 });
  } catch (err) {
    await gateway.close(0);
    throw err;
  }
  const { port } = gateway.app.server.address() as AddressInfo;
  return {
    port,
    address: `${host}:${port}`,
    url: `http://${host}:${port}`,
    routes: gateway.routes,
    stop: () => gateway.close(options.graceMs ?? 5_000),
  };
}

/** The request message from the path, the query string and the body, in the proto3 JSON mapping. */
function requestMessage(route: Route, request: FastifyRequest): Message {
  const json: Record<string, JsonValue> = {};
  const body = request.body as JsonValue | undefined;
  if (route.body === '*') {
    if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new BadRequest(`the body must be a JSON object (a ${route.method.input.typeName})`);
    }
    Object.assign(json, body);
  } else if (route.body !== '' && body !== undefined) {
    const field = route.method.input.fields.find((f) => f.name === route.body) as DescField;
    json[field.jsonName] = body;
  }
  for (const [key, value] of Object.entries(request.query as Record<string, string | string[]>)) {
    const field = route.queryFields.find((f) => f.name === key || f.jsonName === key);
    if (!field) throw new BadRequest(`unknown query parameter "${key}" (${route.queryFields.map((f) => f.jsonName).join(', ') || 'none'})`);
    json[field.jsonName] = Array.isArray(value) ? value.map((v) => scalar(field, v)) : scalar(field, value);
  }
  const params = request.params as Record<string, string>;
  for (const field of route.pathFields) json[field.jsonName] = scalar(field, params[field.name] ?? '');
  try {
    return fromJson(route.method.input, json);
  } catch (err) {
    throw new BadRequest((err as Error).message);
  }
}

/** A path or query string value as JSON: proto3 JSON takes integers as strings too, but a bool only as true or false. */
function scalar(field: DescField, text: string): JsonValue {
  if (field.fieldKind === 'scalar' && field.scalar === 8 /* BOOL */) {
    if (text === 'true' || text === 'false') return text === 'true';
    throw new BadRequest(`${field.jsonName} must be true or false, got "${text}"`);
  }
  return text;
}

function metadataOf(request: FastifyRequest): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const name of FORWARDED_HEADERS) {
    const value = request.headers[name];
    if (typeof value === 'string') metadata.set(name, value);
  }
  return metadata;
}

function sendError(reply: FastifyReply, err: grpc.ServiceError): void {
  const { statusCode, headers, body } = httpErrorOf(err);
  reply.code(statusCode).headers(headers).type('application/json').send(body);
}

/**
 * A server stream as newline-delimited JSON: one message per line as it
 * arrives. Until the first message the answer can still be an HTTP error;
 * after it, an error ends the stream as a last line {"error": …}. The HTTP
 * socket's backpressure pauses the gRPC stream, and a caller that goes
 * away cancels it.
 */
function streamAnswer(call: grpc.ClientReadableStream<Message>, output: DescMessage, reply: FastifyReply, inFlight: Set<grpc.Call>): void {
  reply.hijack();
  const res = reply.raw;
  inFlight.add(call);
  let started = false;
  let ended = false;
  const start = () => {
    if (!started) res.writeHead(200, { 'content-type': NDJSON, 'cache-control': 'no-store' });
    started = true;
  };
  const end = (text?: string) => {
    ended = true;
    inFlight.delete(call);
    res.end(text);
  };
  call.on('data', (message: Message) => {
    start();
    if (!res.write(`${JSON.stringify(toJson(output, message))}\n`)) {
      call.pause();
      res.once('drain', () => call.resume());
    }
  });
  call.on('status', (status: grpc.StatusObject) => {
    if (status.code !== grpc.status.OK || ended) return;
    start();
    end();
  });
  call.on('error', (err: grpc.ServiceError) => {
    if (ended) return;
    const { statusCode, headers, body } = httpErrorOf(err);
    if (started) return end(`${JSON.stringify(body)}\n`);
    res.writeHead(statusCode, { ...headers, 'content-type': 'application/json; charset=utf-8' });
    end(JSON.stringify(body));
  });
  res.once('close', () => {
    if (ended) return;
    ended = true;
    inFlight.delete(call);
    call.cancel();
  });
}
