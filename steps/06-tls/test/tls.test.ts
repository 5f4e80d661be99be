// TLS and mTLS through real handshakes, with certificates the test makes:
// who is refused (plaintext, untrusted CA, expired certificate, no or foreign
// client certificate, TLS 1.1) and who gets through; plus what a learner
// sees when the certificates or the server are not what the client expects.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { createGreeterClient as createPlainClient, sayHello, startGreeterServer as startPlainServer } from '@course/01-unary';
import { createLogger } from '@course/04-interceptors';
import { startLesson } from '@course/kit';
import { type Authority, type Certificates, createAuthority, ensureCertificates, issue, loadCertificates } from '@course/kit/certs';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGreeterClient, startGreeterServer, type TlsServerOptions } from '../src/index.js';

const TOKEN = 'tls-test-token';
const DAY = 24 * 60 * 60 * 1000;
const dir = mkdtempSync(join(tmpdir(), 'course-certs-'));
let ca: Authority;
let certs: Certificates;
const buf = (pair: { cert: string; key: string }) => ({ cert: Buffer.from(pair.cert), key: Buffer.from(pair.key) });

beforeAll(async () => {
  expect((await ensureCertificates(dir)).made).toBe(true);
  certs = loadCertificates(dir);
  ca = await createAuthority('a CA nobody trusts');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(options: TlsServerOptions = {}) {
  const handle = await startGreeterServer({ certs, token: TOKEN, logger: createLogger({ level: 'silent', pretty: false }), ...options });
  cleanups.push(() => handle.stop());
  return { ...handle, target: `localhost:${handle.port}` };
}

async function call(client: grpc.Client & Parameters<typeof sayHello>[0]) {
  cleanups.push(() => client.close());
  return sayHello(client, 'Ada', { deadline: new Date(Date.now() + 3_000) }).then(
    (reply) => ({ code: grpc.status.OK, details: reply.message }),
    (err: grpc.ServiceError) => ({ code: err.code, details: err.details }),
  );
}

describe('TLS', () => {
  it('serves a client that trusts our CA and sends the token', async () => {
    const { target } = await server();
    expect(await call(createGreeterClient(target, { ca: certs.ca, token: TOKEN }))).toEqual({
      code: grpc.status.OK,
      details: 'Hello, Ada!',
    });
  });

  it('verifies the 127.0.0.1 in the certificate too', async () => {
    const { port } = await server();
    expect((await call(createGreeterClient(`127.0.0.1:${port}`, { ca: certs.ca, token: TOKEN }))).code).toBe(grpc.status.OK);
  });

  it('refuses a plaintext client', async () => {
    const { target } = await server();
    expect((await call(createPlainClient(target))).code).toBe(grpc.status.UNAVAILABLE);
  });

  it('is refused by a client that does not trust the CA', async () => {
    const { target } = await server();
    const result = await call(createGreeterClient(target, { token: TOKEN }));
    expect(result.code).toBe(grpc.status.UNAVAILABLE);
    expect(result.details).toMatch(/certificate/);
  });

  it('is refused by a client when its certificate has expired', async () => {
    const expired = await issue(ca, {
      role: 'server',
      name: 'localhost',
      altNames: ['localhost'],
      notBefore: new Date(Date.now() - 30 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    const { target } = await server({ certs: { ...certs, server: buf(expired) } });
    const result = await call(createGreeterClient(target, { ca: Buffer.from(ca.cert), token: TOKEN }));
    expect(result.code).toBe(grpc.status.UNAVAILABLE);
    expect(result.details).toMatch(/certificate has expired/);
  });

  it('still checks the token, which rides as call credentials', async () => {
    const { target } = await server();
    expect((await call(createGreeterClient(target, { ca: certs.ca }))).code).toBe(grpc.status.UNAUTHENTICATED);
    expect((await call(createGreeterClient(target, { ca: certs.ca, token: 'wrong' }))).code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('refuses TLS 1.1 and speaks TLS 1.2 or later', async () => {
    const { port } = await server();
    const handshake = (options: tls.ConnectionOptions) =>
      new Promise<string>((resolve, reject) => {
        const socket = tls.connect(
          { host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca, ALPNProtocols: ['h2'], ...options },
          () => {
            resolve(socket.getProtocol() ?? '');
            socket.destroy();
          },
        );
        socket.on('error', reject);
      });
    expect(await handshake({ minVersion: 'TLSv1.2' })).toMatch(/^TLSv1\.[23]$/);
    // SECLEVEL=0 lets this client offer TLS 1.1 at all: the refusal is the server's.
    await expect(handshake({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' })).rejects.toThrow(
      /protocol|version/i,
    );
  });
});

describe('mTLS', () => {
  it('serves a client with a certificate from our CA', async () => {
    const { target } = await server({ mtls: true });
    expect((await call(createGreeterClient(target, { ca: certs.ca, client: certs.client, token: TOKEN }))).code).toBe(grpc.status.OK);
  });

  it('refuses a client without a certificate', async () => {
    const { target } = await server({ mtls: true });
    const result = await call(createGreeterClient(target, { ca: certs.ca, token: TOKEN }));
    expect(result.code).toBe(grpc.status.UNAVAILABLE);
    expect(result.details).toMatch(/certificate required/);
  });

  it('refuses a client whose certificate comes from another CA', async () => {
    const foreign = await issue(ca, { role: 'client', name: 'intruder' });
    const { target } = await server({ mtls: true });
    const result = await call(createGreeterClient(target, { ca: certs.ca, client: buf(foreign), token: TOKEN }));
    expect(result.code).toBe(grpc.status.UNAVAILABLE);
  });
});

describe('what a learner sees', () => {
  const step = fileURLToPath(new URL('..', import.meta.url));

  it('a TLS client calling a plaintext server is asked whether the server speaks TLS', async () => {
    // The client runs in its own process, as a learner runs it: in this one, grpc-js would
    // keep the refused socket open after close(), and the plaintext server's stop() would wait on it.
    const plain = await startPlainServer();
    cleanups.push(() => plain.stop());
    const { code, stderr } = await startLesson(step, ['client', '--target', `localhost:${plain.port}`], { env: { CERTS_DIR: dir } }).exited;
    expect({ code, stderr }).toEqual({ code: 1, stderr: 'error: UNAVAILABLE: wrong version number (is the server speaking TLS?)\n' });
  });

  it('`client` never makes certificates: without ca.crt it names the file in one line and writes nothing', async () => {
    const own = mkdtempSync(join(tmpdir(), 'course-certs-'));
    cleanups.push(() => rmSync(own, { recursive: true, force: true }));
    await ensureCertificates(own);
    rmSync(join(own, 'ca.crt'));
    const before = readdirSync(own).sort();
    const { code, stdout, stderr } = await startLesson(step, ['client', '--target', '127.0.0.1:1'], { env: { CERTS_DIR: own } }).exited;
    expect({ code, stdout, stderr }).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: ${join(own, 'ca.crt')} is missing: run \`pnpm certs\`, then restart the server so that both use the new CA\n`,
    });
    expect(readdirSync(own).sort()).toEqual(before);
  });

  it('`serve` with an unreadable certificate names it in one line and says to run `pnpm certs`', async () => {
    const own = mkdtempSync(join(tmpdir(), 'course-certs-'));
    cleanups.push(() => rmSync(own, { recursive: true, force: true }));
    await ensureCertificates(own);
    writeFileSync(join(own, 'server.crt'), 'garbage\n');
    const { code, stdout, stderr } = await startLesson(step, ['serve', '--port', '0'], { env: { CERTS_DIR: own } }).exited;
    expect({ code, stdout, stderr }).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: ${join(own, 'server.crt')} is not a PEM certificate: run \`pnpm certs\` to make new ones\n`,
    });
  });
});
