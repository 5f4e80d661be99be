// Authorize by certificate: with mTLS, the server lets in only the client names it allows (default: `grpc-course client`) and refuses other certificates from the same CA with PERMISSION_DENIED.
import { sayHello } from '@course/01-unary';
import { streamGreetings } from '@course/02-server-streaming';
import { createLogger, type LoggedServerHandle } from '@course/04-interceptors';
import { howItEnded } from '@course/kit';
import { type Certificates, createAuthority, issue, SERVER_NAMES } from '@course/kit/certs';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { createGreeterClient, startGreeterServer, type TlsServerOptions } from '../src/index.js';

const TOKEN = 'mtls-exercise-token';
const pem = (pair: { cert: string; key: string }) => ({ cert: Buffer.from(pair.cert), key: Buffer.from(pair.key) });
let certs: Certificates;
let intruder: { cert: Buffer; key: Buffer };
beforeAll(async () => {
  // One CA signs the server, the course's client and an intruder: the handshake lets all of them in.
  const ca = await createAuthority('exercise 06.1 CA');
  const server = await issue(ca, { role: 'server', name: 'localhost', altNames: SERVER_NAMES });
  certs = { ca: Buffer.from(ca.cert), server: pem(server), client: pem(await issue(ca, { role: 'client', name: 'grpc-course client' })) };
  intruder = pem(await issue(ca, { role: 'client', name: 'intruder' }));
});

const servers: LoggedServerHandle[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
});

async function serve(options: TlsServerOptions) {
  const server = await startGreeterServer({ certs, token: TOKEN, logger: createLogger({ level: 'silent', pretty: false }), ...options });
  servers.push(server);
  return `localhost:${server.port}`;
}

async function callAs(target: string, client: { cert: Buffer; key: Buffer } | undefined, call = 'SayHello') {
  const greeter = createGreeterClient(target, { ca: certs.ca, token: TOKEN, ...(client ? { client } : {}) });
  try {
    return await howItEnded(call === 'SayHello' ? sayHello(greeter, 'Ada') : streamGreetings(greeter, 'Ada', 1).toArray());
  } finally {
    greeter.close();
  }
}

it('lets in the course client (CN=grpc-course client)', async () => {
  expect(await callAs(await serve({ mtls: true }), certs.client)).toBe('OK');
});

it('refuses CN=intruder, signed by the same CA, with PERMISSION_DENIED naming it', async () => {
  expect(await callAs(await serve({ mtls: true }), intruder)).toMatch(/^PERMISSION_DENIED: .*intruder/);
});

it('refuses the intruder on streams too', async () => {
  expect(await callAs(await serve({ mtls: true }), intruder, 'StreamGreetings')).toMatch(/^PERMISSION_DENIED: /);
});

it('lets in the names given as allowedClients instead', async () => {
  // A variable, not an inline object: TlsServerOptions has allowedClients only once you add it.
  const options = { mtls: true, allowedClients: ['intruder'] };
  const target = await serve(options);
  expect(await callAs(target, intruder)).toBe('OK');
  expect(await callAs(target, certs.client)).toMatch(/^PERMISSION_DENIED: /);
});

it('leaves plain TLS alone: a client without a certificate still gets in', async () => {
  expect(await callAs(await serve({}), undefined)).toBe('OK');
});
