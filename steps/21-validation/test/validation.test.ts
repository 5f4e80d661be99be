// The rules on a real Greeter over real channels: each rule's edges, valid
// requests answered, every violation of a refused one listed with its field
// path, a bad chat message ending only its sender's stream, and the refusals
// counted where lessons 04 and 08 count every call.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@course/04-interceptors';
import { createGreeterClient } from '@course/08-prometheus-metrics';
import { startLoggerServer } from '@course/11-metadata-propagation';
import { InProcessBroker } from '@course/16-async-events';
import { type GatewayHandle, startGateway } from '@course/19-rest-gateway';
import { temporaryCertificates } from '@course/kit/temporary-certs';
import type { GreeterClient } from '@course/proto/gen/greeter/v1/Greeter';
import type { HelloRequest } from '@course/proto/gen/greeter/v1/HelloRequest';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type FieldViolation, fieldViolations, startGreeterServer, type ValidatingGreeterHandle } from '../src/index.js';

const TOKEN = 'validation-token';
const ANY_PORT = { host: '127.0.0.1', port: 0 };
let greeter: ValidatingGreeterHandle;
let client: GreeterClient;
let gateway: GatewayHandle;
const stops: (() => unknown)[] = [];

beforeAll(async () => {
  const { certs, remove } = await temporaryCertificates('course-validation-');
  stops.push(remove);
  const dir = mkdtempSync(join(tmpdir(), 'lesson-21-'));
  stops.push(() => rmSync(dir, { recursive: true, force: true }));
  const silent = createLogger({ level: 'silent' });
  const logger = await startLoggerServer({ certs, logger: silent, metricsAddress: ANY_PORT });
  stops.push(() => logger.stop());
  greeter = await startGreeterServer({
    certs,
    token: TOKEN,
    metricsAddress: ANY_PORT,
    loggerTarget: `localhost:${logger.port}`,
    logger: silent,
    outboxPath: join(dir, 'outbox.db'),
    broker: new InProcessBroker(),
    // No rate limit in the way of these checks.
    limits: { points: 10_000 },
  });
  stops.push(() => greeter.stop());
  client = createGreeterClient(`localhost:${greeter.port}`, { ca: certs.ca, token: TOKEN, userId: 'tester' });
  stops.push(() => client.close());
  gateway = await startGateway({ target: `localhost:${greeter.port}`, ca: certs.ca });
  stops.push(() => gateway.stop());
});
afterAll(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

/** How a SayHello ended: OK with its reply, or the code and the violations listed. */
async function hello(request: HelloRequest) {
  return new Promise<{ code: string; message?: string; violations: FieldViolation[]; details?: string }>((resolve) => {
    client.SayHello(request, { deadline: Date.now() + 5000 }, (err, reply) =>
      resolve(
        err
          ? { code: grpc.status[err.code], violations: fieldViolations(err), details: err.details }
          : { code: 'OK', message: reply?.message, violations: [] },
      ),
    );
  });
}

const fields = (violations: FieldViolation[]) => violations.map((v) => `${v.field} ${v.reason}`);

describe('HelloRequest.name', () => {
  it.each([
    ['a', 'one character'],
    ['x'.repeat(100), 'exactly 100 characters'],
    ['Ada Lovelace', 'inner spaces'],
    ['Zoë', 'non-ASCII letters'],
    ['é'.repeat(100), '100 characters that are 200 UTF-8 bytes: max_len counts characters'],
  ])('passes %j (%s)', async (name) => {
    const result = await hello({ name });
    expect(result).toMatchObject({ code: 'OK', violations: [] });
    expect(result.message).toContain(`Hello, ${name}!`);
  });

  it.each([
    ['', 'name REQUIRED', 'value is required'],
    ['x'.repeat(101), 'name STRING_MAX_LEN', 'must be at most 100 characters'],
    [' Ada', 'name NAME_TRIMMED', 'must not start or end with whitespace'],
    ['Ada\t', 'name NAME_TRIMMED', 'must not start or end with whitespace'],
    ['   ', 'name NAME_TRIMMED', 'must not start or end with whitespace'],
  ])('refuses %j: %s', async (name, violation, description) => {
    const result = await hello({ name });
    expect(result.code).toBe('INVALID_ARGUMENT');
    expect(fields(result.violations)).toEqual([violation]);
    expect(result.violations[0]?.description).toBe(description);
    expect(result.details).toBe('invalid request: 1 field violation (name)');
  });

  it('lists every violation at once: too long and untrimmed', async () => {
    const result = await hello({ name: ` ${'x'.repeat(100)}` });
    // protovalidate reports a field's CEL rules before its standard ones, every time.
    expect(fields(result.violations)).toEqual(['name NAME_TRIMMED', 'name STRING_MAX_LEN']);
  });
});

describe('HelloRequest.count (StreamGreetings)', () => {
  const stream = (request: HelloRequest) =>
    new Promise<{ code: string; received: number; violations: FieldViolation[] }>((resolve) => {
      const call = client.StreamGreetings(request, { deadline: Date.now() + 5000 });
      let received = 0;
      call.on('data', () => received++);
      call.on('error', (err: grpc.ServiceError) => resolve({ code: grpc.status[err.code], received, violations: fieldViolations(err) }));
      call.on('end', () => resolve({ code: 'OK', received, violations: [] }));
    });

  it('passes 10000, the limit, and 0, the default', async () => {
    // Only the first greeting matters here: cancel the rest.
    const call = client.StreamGreetings({ name: 'Ada', count: 10_000 }, { deadline: Date.now() + 5000 });
    const [first] = await new Promise<unknown[]>((resolve, reject) => {
      call.once('data', (d) => resolve([d]));
      call.once('error', reject);
    });
    expect(first).toMatchObject({ sequence: 1 });
    call.cancel();
    expect(await stream({ name: 'Ada', count: 0 })).toMatchObject({ code: 'OK' });
  });

  it('refuses 10001 before a single greeting, and lists the name too when both are bad', async () => {
    expect(await stream({ name: 'Ada', count: 10_001 })).toEqual({
      code: 'INVALID_ARGUMENT',
      received: 0,
      violations: [{ field: 'count', description: 'must be less than or equal to 10000', reason: 'UINT32_LTE' }],
    });
    const both = await stream({ name: '', count: 20_000 });
    expect(fields(both.violations)).toEqual(['name REQUIRED', 'count UINT32_LTE']);
  });
});

describe('ChatMessage, on a stream', () => {
  it('relays valid messages; a bad one ends only its sender’s call, listing from and text', async () => {
    const other = client.Chat();
    const otherSeen: string[] = [];
    other.on('data', (m: { from: string; text: string }) => otherSeen.push(`${m.from}: ${m.text}`));
    other.on('error', () => {});
    other.write({ from: 'bo', text: 'here' });
    await new Promise((resolve) => other.once('data', resolve));

    const chat = client.Chat();
    const seen: string[] = [];
    chat.on('data', (m: { from: string; text: string }) => seen.push(`${m.from}: ${m.text}`));
    const status = new Promise<grpc.ServiceError>((resolve) => chat.on('error', resolve));
    chat.write({ from: 'ana', text: 'hello' });
    await new Promise((resolve) => chat.once('data', resolve));
    chat.write({ from: 'ana b', text: ' \t ' });
    const error = await status;
    expect(seen).toEqual(['ana: hello']);
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(fields(fieldViolations(error))).toEqual(['from STRING_PATTERN', 'text TEXT_NOT_BLANK']);
    // grpc-js tells the handler its call is over (a cancel), so the room lets the member go.
    await vi.waitFor(() => expect(greeter.room.size).toBe(1));

    // The room goes on: the other member is still in it, and the bad message never reached it.
    const again = client.Chat();
    again.on('error', () => {});
    again.write({ from: 'cy', text: 'still here?' });
    await new Promise((resolve) => other.once('data', resolve));
    expect(otherSeen).toEqual(['bo: here', 'ana: hello', 'cy: still here?']);
    other.end();
    again.end();
  });

  it.each([
    [{ from: '', text: 'hi' }, ['from REQUIRED']],
    [{ from: 'x'.repeat(33), text: 'hi' }, ['from STRING_MAX_LEN']],
    [{ from: 'ana', text: '' }, ['text REQUIRED']],
    [{ from: 'ana', text: 'x'.repeat(1025) }, ['text STRING_MAX_LEN']],
  ])('refuses %j', async (message, expected) => {
    const chat = client.Chat();
    const error = await new Promise<grpc.ServiceError>((resolve) => {
      chat.on('error', resolve);
      chat.write(message);
    });
    expect(fields(fieldViolations(error))).toEqual(expected);
  });
});

describe("through lesson 19's gateway", () => {
  it('a refused request is a 400 whose JSON details list the same violations', async () => {
    const response = await fetch(`${gateway.url}/v1/greet`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: ' Ada', count: 20_000 }),
    });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { status: string; details: unknown[] } };
    expect(error.status).toBe('INVALID_ARGUMENT');
    // The gRPC client's violations (fieldViolations, above) and the gateway's JSON say the same.
    expect(error.details).toEqual([
      {
        '@type': 'type.googleapis.com/google.rpc.BadRequest',
        fieldViolations: [
          { field: 'name', description: 'must not start or end with whitespace', reason: 'NAME_TRIMMED' },
          { field: 'count', description: 'must be less than or equal to 10000', reason: 'UINT32_LTE' },
        ],
      },
    ]);
    const direct = await hello({ name: ' Ada', count: 20_000 });
    expect(direct.violations).toEqual((error.details[0] as { fieldViolations: FieldViolation[] }).fieldViolations);
  });
});
