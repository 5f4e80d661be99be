// The gateway over real sockets: Fastify on port 0, real HTTP with fetch, the
// real Greeter of lesson 18 behind it over TLS. Every route the annotations
// declare, the proto3 JSON shapes, gRPC codes from the real server mapped to
// HTTP, the NDJSON stream and its cancellation, and the OpenAPI document.
import { setTimeout as sleep } from 'node:timers/promises';
import { within } from '@course/kit';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_STATUS, NDJSON, startGateway } from '../src/index.js';
import { type Setup, startAll, TOKEN } from './setup.js';

/** The `error` of a JSON error body. */
const errorOf = async (res: Response) => ((await res.json()) as { error: Record<string, unknown> }).error;

/** Lines of an NDJSON body, parsed. */
const lines = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

describe('the routes, from the annotations', () => {
  let s: Setup;
  beforeAll(async () => {
    s = await startAll();
  });
  afterAll(() => s.close());

  it('are exactly the ones greeter.proto declares; Chat (bidi) has none', () => {
    expect(s.gateway.routes.map((r) => `${r.verb} ${r.template} → ${r.grpcPath}`)).toEqual([
      'GET /v1/greet/{name} → /greeter.v1.Greeter/SayHello',
      'POST /v1/greet → /greeter.v1.Greeter/SayHello',
      'GET /v1/greet/{name}/stream → /greeter.v1.Greeter/StreamGreetings',
    ]);
  });

  it('GET /v1/greet/{name}: the name from the path, the reply in proto3 JSON (sequence 0 omitted)', async () => {
    const res = await s.get('/v1/greet/Ada%20Lovelace');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ message: 'Hello, Ada Lovelace!' });
  });

  it('POST /v1/greet: the whole request from the body; integers as strings are proto3 JSON too', async () => {
    const res = await s.get('/v1/greet', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name":"Bob","count":"2"}',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ message: 'Hello, Bob!' });
  });

  it('passes x-user-id on as metadata, as a gRPC client would send it', async () => {
    const res = await s.get('/v1/greet/Cy', { headers: { 'x-user-id': 'u-7' } });
    expect(await res.json()).toEqual({ message: 'Hello, Cy! (for user u-7)' });
  });

  it('GET /v1/greet/{name}/stream?count=3: newline-delimited JSON, one message per line, lowerCamelCase', async () => {
    const res = await s.get('/v1/greet/Dee/stream?count=3');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(NDJSON);
    expect(lines(await res.text())).toEqual([1, 2, 3].map((sequence) => ({ message: 'Hello, Dee!', sequence })));
  });

  it('serves an OpenAPI 3.1 document that a validator accepts, with every route', async () => {
    const doc = (await (await s.get('/openapi.json')).json()) as { paths: Record<string, Record<string, { operationId: string }>> };
    const result = await new Validator().validate(doc);
    expect(result.errors ?? [], 'validation errors').toEqual([]);
    expect(result.valid).toBe(true);
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([verb, op]) => `${verb} ${path} ${op.operationId}`),
    );
    expect(operations).toEqual([
      'get /v1/greet/{name} SayHello',
      'post /v1/greet SayHello2',
      'get /v1/greet/{name}/stream StreamGreetings',
    ]);
  });

  it('serves the page at /', async () => {
    const res = await s.get('/', { token: null });
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('<title>Greeter over HTTP</title>');
  });
});

describe('gRPC status → HTTP status, from the real server', () => {
  let s: Setup;
  beforeAll(async () => {
    s = await startAll({ limits: { points: 2, perSeconds: 600 } });
  });
  afterAll(() => s.close());

  it('400 INVALID_ARGUMENT for an empty name, with the server’s message', async () => {
    const res = await s.get('/v1/greet', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":""}' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { code: 400, message: 'name is required', status: 'INVALID_ARGUMENT', details: [] } });
  });

  it.each([
    ['no token', null],
    ['a wrong token', 'not-the-token'],
  ])('401 UNAUTHENTICATED with %s, and the token in no answer', async (_, token) => {
    const res = await s.get('/v1/greet/Eve', { token });
    expect(res.status).toBe(401);
    const text = await res.text();
    expect(JSON.parse(text).error).toMatchObject({ code: 401, status: 'UNAUTHENTICATED' });
    expect(text).not.toContain('not-the-token');
  });

  it('429 RESOURCE_EXHAUSTED past the bucket, with the RetryInfo as JSON and Retry-After', async () => {
    const codes: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 3; i++) {
      last = await s.get('/v1/greet/Fay', { headers: { 'x-user-id': 'noisy' } });
      codes.push(last.status);
    }
    expect(codes).toEqual([200, 200, 429]);
    const res = last as Response;
    const body = (await res.json()) as { error: { details: { retryDelay: string }[] } };
    expect(body.error).toMatchObject({ code: 429, status: 'RESOURCE_EXHAUSTED', message: 'rate limit: 2 calls per 600s' });
    expect(body.error.details).toEqual([
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: expect.stringMatching(/^\d+(\.\d+)?s$/) },
    ]);
    expect(Object.keys(body.error.details[0] ?? {}), 'the Any as proto3 JSON writes it: @type first').toEqual(['@type', 'retryDelay']);
    const delay = Number.parseFloat(body.error.details[0]?.retryDelay ?? '');
    expect(Number(res.headers.get('retry-after'))).toBe(Math.ceil(delay));
  });

  it('maps every gRPC code as google/rpc/code.proto says', () => {
    expect(Object.values(HTTP_STATUS)).toEqual([200, 499, 500, 400, 504, 404, 409, 403, 429, 400, 409, 400, 501, 500, 503, 500, 401]);
  });
});

describe('a slow or absent backend', () => {
  it('504 DEADLINE_EXCEEDED when the Greeter answers after the gateway’s deadline', async () => {
    const s = await startAll({
      gateway: { deadlineMs: 200 },
      handlers: {
        SayHello(call, callback) {
          const timer = setTimeout(() => callback(null, { message: 'too late' }), 5_000);
          call.on('cancelled', () => clearTimeout(timer));
        },
      },
    });
    try {
      const res = await s.get('/v1/greet/Gus');
      expect(res.status).toBe(504);
      expect(await errorOf(res)).toMatchObject({ code: 504, status: 'DEADLINE_EXCEEDED' });
    } finally {
      await s.close();
    }
  });

  describe('with no Greeter at all', () => {
    let s: Setup;
    let gateway: Awaited<ReturnType<typeof startGateway>>;
    beforeAll(async () => {
      // A real gateway whose target refuses connections: a call reaching it gets 503.
      s = await startAll();
      const port = s.greeter.port;
      await s.greeter.stop();
      gateway = await startGateway({ target: `localhost:${port}`, ca: s.ca });
    });
    afterAll(async () => {
      await gateway.stop();
      await s.close();
    });
    const send = (path: string, init?: RequestInit) =>
      fetch(new URL(path, gateway.url), { ...init, headers: { authorization: `Bearer ${TOKEN}`, ...init?.headers } });

    it('503 UNAVAILABLE', async () => {
      const res = await send('/v1/greet/Hal');
      expect(res.status).toBe(503);
      expect(await errorOf(res)).toMatchObject({ code: 503, status: 'UNAVAILABLE' });
    });

    // 400 and not 503: the gateway refused these itself, without calling the Greeter.
    it.each([
      ['a body that is not JSON', '/v1/greet', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":' }],
      ['a JSON array for the request', '/v1/greet', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' }],
      ['an unknown field', '/v1/greet', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"nom":"Ida"}' }],
      ['a count that is no number', '/v1/greet/Ida/stream?count=abc', {}],
      ['a negative count', '/v1/greet/Ida/stream?count=-1', {}],
      ['an unknown query parameter', '/v1/greet/Ida?colour=red', {}],
    ])('400 INVALID_ARGUMENT for %s, without a call', async (_, path, init) => {
      const res = await send(path, init);
      expect(res.status).toBe(400);
      expect(await errorOf(res)).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    });

    it('404 NOT_FOUND, as JSON, for a route no annotation declares', async () => {
      const res = await send('/v1/chat');
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: { code: 404, message: 'no route for GET /v1/chat', status: 'NOT_FOUND', details: [] } });
    });
  });
});

describe('the stream', () => {
  let s: Setup;
  beforeAll(async () => {
    s = await startAll();
  });
  afterAll(() => s.close());

  it('arrives line by line, and a caller that goes away cancels the gRPC stream: the Greeter sees CANCELLED', async () => {
    const before = await s.handled('StreamGreetings', 'Canceled');
    const abort = new AbortController();
    // 100 greetings, 100 ms apart: far from over when the caller leaves after the first.
    const res = await s.get('/v1/greet/Joy/stream?count=100', { signal: abort.signal });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const { value } = await reader.read();
    expect(lines(new TextDecoder().decode(value))[0]).toEqual({ message: 'Hello, Joy!', sequence: 1 });
    abort.abort();
    const cancelled = (async () => {
      while ((await s.handled('StreamGreetings', 'Canceled')) === before) await sleep(20);
      return 'cancelled';
    })();
    expect(await within(cancelled, 5_000)).toBe('cancelled');
    expect(await s.handled('StreamGreetings', 'OK')).toBe(0);
  });

  it('an error before the first message is an HTTP error', async () => {
    const res = await s.get('/v1/greet/%20/stream');
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ status: 'INVALID_ARGUMENT', message: 'name is required' });
  });
});
