// Validate before sending: `validatingInterceptor()`, a client interceptor, refuses a bad request with the server's BadRequest.
import { createServer } from 'node:net';
import { loadProto } from '@course/01-unary';
import { CheckError } from '@course/kit';
import type { ProtoGrpcType } from '@course/proto/gen/greeter';
import type { GreeterClient } from '@course/proto/gen/greeter/v1/Greeter';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as lesson from '../src/index.js';
import { fieldViolations } from '../src/index.js';

let maybeClient: GreeterClient | undefined;
/** The client with the interceptor; each check fails on its own while there is none. */
const client = () => {
  if (!maybeClient) throw new CheckError('src/client.ts does not export validatingInterceptor()');
  return maybeClient;
};
beforeAll(async () => {
  const make = (lesson as Record<string, unknown>).validatingInterceptor as (() => grpc.Interceptor) | undefined;
  if (typeof make !== 'function') return;
  // A port that was free a moment ago: nothing answers there, so only a call refused locally is not UNAVAILABLE.
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
  const { greeter } = loadProto<ProtoGrpcType>('greeter/v1/greeter.proto');
  maybeClient = new greeter.v1.Greeter(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { interceptors: [make()] });
});
afterAll(() => maybeClient?.close());

const unary = (name: string) =>
  new Promise<string>((resolve) =>
    client().SayHello({ name }, { deadline: Date.now() + 5000 }, (err) => {
      if (!err) return resolve('OK');
      const violations = fieldViolations(err).map((v) => `${v.field} ${v.reason}`);
      resolve(`${grpc.status[err.code]}${violations.length > 0 ? `: ${violations.join(', ')}` : ''}`);
    }),
  );

it('sends a valid request (and it fails UNAVAILABLE: nothing is listening)', async () => {
  expect(await unary('Ada'), 'SayHello "Ada"').toBe('UNAVAILABLE');
});

it('refuses an invalid one itself, with the BadRequest the server would send', async () => {
  expect(await unary(''), 'SayHello ""').toBe('INVALID_ARGUMENT: name REQUIRED');
  expect(await unary(' Ada'), 'SayHello " Ada"').toBe('INVALID_ARGUMENT: name NAME_TRIMMED');
});

it('checks a server stream’s request too', async () => {
  const call = client().StreamGreetings({ name: 'Ada', count: 20_000 }, { deadline: Date.now() + 5000 });
  const error = await new Promise<grpc.ServiceError>((resolve) => call.on('error', resolve));
  expect(`${grpc.status[error.code]}: ${fieldViolations(error).map((v) => `${v.field} ${v.reason}`)}`, 'StreamGreetings × 20000').toBe(
    'INVALID_ARGUMENT: count UINT32_LTE',
  );
});
