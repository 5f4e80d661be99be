// `pnpm certs`'s tooling on a scratch folder: idempotent, keys private, repairs what is missing
// or unreadable; servers name an unreadable file instead of overwriting it; clients never make any.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CertificateError, certPaths, ensureCertificates, loadCertificates, loadClientCertificates, problemWith } from '../src/certs.js';
import { startNode } from '../src/process.js';

const MAKE_CERTS_SCRIPT = fileURLToPath(new URL('../src/make-certs.ts', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'course-certs-'));
beforeAll(() => ensureCertificates(dir));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pnpm certs', () => {
  it('is idempotent: usable certificates are kept as they are', async () => {
    const before = readFileSync(certPaths(dir).server.cert, 'utf8');
    expect(await ensureCertificates(dir)).toEqual({ made: false });
    expect(readFileSync(certPaths(dir).server.cert, 'utf8')).toBe(before);
  });

  it('keeps keys readable by the owner only', () => {
    if (process.platform === 'win32') return;
    for (const pair of Object.values(certPaths(dir))) expect(statSync(pair.key).mode & 0o777).toBe(0o600);
  });

  it('covers localhost and 127.0.0.1, and remakes what is missing', async () => {
    const other = mkdtempSync(join(tmpdir(), 'course-certs-'));
    try {
      expect(problemWith(other)).toMatch(/missing/);
      expect((await ensureCertificates(other)).made).toBe(true);
      expect(problemWith(other)).toBeUndefined();
      rmSync(certPaths(other).client.key);
      expect(await ensureCertificates(other)).toEqual({ made: true, reason: expect.stringMatching(/client\.key is missing/) });
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe('a certificate file that is there but unusable', () => {
  let other: string;
  beforeEach(async () => {
    other = mkdtempSync(join(tmpdir(), 'course-certs-'));
    await ensureCertificates(other);
  });
  afterEach(() => rmSync(other, { recursive: true, force: true }));

  it.each([
    ['garbage', 'garbage\n', 'is not a PEM certificate'],
    ['empty', '', 'is empty'],
  ])('stops a server with one line naming it when it is %s, and leaves it as it is', async (_, content, problem) => {
    const file = certPaths(other).server.cert;
    writeFileSync(file, content);
    const failure = ensureCertificates(other);
    await expect(failure).rejects.toThrow(CertificateError);
    await expect(failure).rejects.toThrow(`${file} ${problem}: run \`pnpm certs\` to make new ones`);
    expect(readFileSync(file, 'utf8')).toBe(content);
  });

  it('names a key that is not a key', async () => {
    writeFileSync(certPaths(other).ca.key, 'garbage\n');
    await expect(ensureCertificates(other)).rejects.toThrow(/ca\.key is not a PEM private key/);
  });

  it.each([
    ['garbage', 'garbage\n'],
    ['empty', ''],
  ])('is made again by `pnpm certs` when it is %s', async (_, content) => {
    writeFileSync(certPaths(other).server.cert, content);
    writeFileSync(certPaths(other).client.key, content);
    const { code, stdout, stderr } = await startNode([MAKE_CERTS_SCRIPT], { CERTS_DIR: other }).exited;
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/certs {6}made in .*server\.crt is (not a PEM certificate|empty)/);
    expect(problemWith(other)).toBeUndefined();
  });
});

describe('a client', () => {
  it('reads the CA, and the client certificate only for mTLS', () => {
    const { ca, client } = loadClientCertificates(dir);
    expect(ca).toEqual(readFileSync(certPaths(dir).ca.cert));
    expect(client).toBeUndefined();
    expect(loadClientCertificates(dir, { mtls: true }).client?.key).toEqual(readFileSync(certPaths(dir).client.key));
  });

  it('never makes certificates: a missing CA is one line naming the file', () => {
    const empty = mkdtempSync(join(tmpdir(), 'course-certs-'));
    try {
      expect(() => loadClientCertificates(empty)).toThrow(CertificateError);
      expect(() => loadClientCertificates(empty)).toThrow(
        `${join(empty, 'ca.crt')} is missing: run \`pnpm certs\`, then restart the server`,
      );
      expect(readdirSync(empty)).toEqual([]);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('a server fed by a mounted Secret (lesson 20)', () => {
  it('reads ca, server and, only when there, client; says the fix it is given', () => {
    const mounted = mkdtempSync(join(tmpdir(), 'course-certs-'));
    try {
      const fix = 'mount the TLS Secret at CERTS_DIR';
      expect(() => loadCertificates(mounted, { fix, clientOptional: true })).toThrow(`${join(mounted, 'ca.crt')} is missing: ${fix}`);
      for (const name of ['ca.crt', 'server.crt', 'server.key']) writeFileSync(join(mounted, name), readFileSync(join(dir, name)));
      const certs = loadCertificates(mounted, { fix, clientOptional: true });
      expect(certs.server.key).toEqual(readFileSync(certPaths(dir).server.key));
      expect(certs.client).toBe(certs.server); // no mTLS: nothing reads it
      expect(() => loadCertificates(mounted)).toThrow(`${join(mounted, 'client.crt')} is missing: run \`pnpm certs\``);
      writeFileSync(join(mounted, 'client.crt'), readFileSync(join(dir, 'client.crt')));
      expect(() => loadCertificates(mounted, { fix, clientOptional: true })).toThrow(`${join(mounted, 'client.key')} is missing: ${fix}`);
    } finally {
      rmSync(mounted, { recursive: true, force: true });
    }
  });
});
