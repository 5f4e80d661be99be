// The caller's deadline: an `X-Timeout-Ms` header shortens the gRPC deadline (never past the gateway's own); a bad value is a 400.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Setup, startAll } from '../test/setup.js';

let s: Setup;
beforeAll(async () => {
  s = await startAll({
    // The gateway would wait 10 s; the Greeter answers SayHello after 3 s.
    gateway: { deadlineMs: 10_000 },
    handlers: {
      SayHello(call, callback) {
        const timer = setTimeout(() => callback(null, { message: `Hello, ${call.request.name}!` }), 3_000);
        call.on('cancelled', () => clearTimeout(timer));
      },
    },
  });
});
afterAll(() => s.close());

it('gives 504 DEADLINE_EXCEEDED when the caller allows 200 ms', async () => {
  const res = await s.get('/v1/greet/Ada', { headers: { 'x-timeout-ms': '200' } });
  expect(res.status).toBe(504);
  expect(((await res.json()) as { error: { status: string } }).error.status).toBe('DEADLINE_EXCEEDED');
});

it.each(['abc', '0', '-5', '1.5'])('refuses X-Timeout-Ms: %s with 400 INVALID_ARGUMENT', async (value) => {
  const res = await s.get('/v1/greet/Ada', { headers: { 'x-timeout-ms': value } });
  expect(res.status).toBe(400);
  expect(((await res.json()) as { error: { status: string } }).error.status).toBe('INVALID_ARGUMENT');
});
