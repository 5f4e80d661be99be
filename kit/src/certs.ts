// Development certificates without openssl: a CA, a server certificate for
// localhost and 127.0.0.1, and a client certificate, made with @peculiar/x509
// on Node's WebCrypto, so `pnpm certs` works the same on Linux, macOS and Windows.

import { createPrivateKey, KeyObject, webcrypto } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
// @peculiar/x509 uses tsyringe, which needs the Reflect metadata API loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** Where `pnpm certs` writes, unless CERTS_DIR says otherwise. */
export const DEFAULT_CERTS_DIR = process.env.CERTS_DIR ?? fileURLToPath(new URL('../../certs/', import.meta.url));

/** Names the server certificate must cover: what clients dial in this course. */
export const SERVER_NAMES = ['localhost', '127.0.0.1'];

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const DAY = 24 * 60 * 60 * 1000;

export interface KeyPair {
  cert: string;
  key: string;
}

/** A certificate authority that can issue certificates. */
export interface Authority extends KeyPair {
  certificate: x509.X509Certificate;
  keys: webcrypto.CryptoKeyPair;
}

export interface Validity {
  notBefore?: Date;
  notAfter?: Date;
}

function keyPem(key: webcrypto.CryptoKey): string {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString();
}

function serial(): string {
  // Positive, random, 16 bytes: distinct serials per issuer, as X.509 requires.
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

export async function createAuthority(name = 'grpc-course development CA', validity: Validity = {}): Promise<Authority> {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${name}`,
    notBefore: validity.notBefore ?? new Date(Date.now() - DAY),
    notAfter: validity.notAfter ?? new Date(Date.now() + 365 * DAY),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificate, keys, cert: certificate.toString('pem'), key: keyPem(keys.privateKey) };
}

export interface LeafOptions extends Validity {
  /** server: SANs for the names it serves; client: a name for mTLS. */
  role: 'server' | 'client';
  name: string;
  altNames?: string[];
}

/** Issues a server or client certificate signed by the authority. */
export async function issue(authority: Authority, { role, name, altNames = [], notBefore, notAfter }: LeafOptions): Promise<KeyPair> {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const isIp = (n: string) => /^[\d.]+$|:/.test(n);
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${name}`,
    issuer: authority.certificate.subject,
    notBefore: notBefore ?? new Date(Date.now() - DAY),
    notAfter: notAfter ?? new Date(Date.now() + 90 * DAY),
    publicKey: keys.publicKey,
    signingKey: authority.keys.privateKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([role === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
      ...(altNames.length > 0
        ? [new x509.SubjectAlternativeNameExtension(altNames.map((n) => ({ type: isIp(n) ? 'ip' : 'dns', value: n })))]
        : []),
      await x509.AuthorityKeyIdentifierExtension.create(authority.keys.publicKey),
    ],
  });
  return { cert: certificate.toString('pem'), key: keyPem(keys.privateKey) };
}

/** The files a certificate folder holds. */
export function certPaths(dir: string) {
  return {
    ca: { cert: join(dir, 'ca.crt'), key: join(dir, 'ca.key') },
    server: { cert: join(dir, 'server.crt'), key: join(dir, 'server.key') },
    client: { cert: join(dir, 'client.crt'), key: join(dir, 'client.key') },
  };
}

/** Certificates as grpc-js takes them. */
export interface Certificates {
  ca: Buffer;
  server: { cert: Buffer; key: Buffer };
  client: { cert: Buffer; key: Buffer };
}

/** What `pnpm certs` and the lessons say to do about a certificate file they cannot use. */
export const MAKE_CERTS = 'run `pnpm certs` to make new ones';

/** A certificate file that is missing or cannot be used: one line naming it and the fix, no stack. */
export class CertificateError extends Error {
  readonly code = 'ECERTS';
}

/** A path as a person at the repo root types it: certs/ca.crt rather than /home/.../certs/ca.crt. */
export function shownPath(path: string): string {
  const fromHere = relative(process.cwd(), path);
  return fromHere === '' || fromHere.startsWith('..') ? path : fromHere;
}

type Pem = 'certificate' | 'key';

/** A file's content, or what is wrong with it: missing, unreadable, empty, or not PEM of its kind. */
function inspectFile(path: string, kind: Pem): { content: Buffer } | { missing: boolean; problem: string } {
  let content: Buffer;
  try {
    content = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? { missing: true, problem: 'is missing' } : { missing: false, problem: `cannot be read (${code})` };
  }
  if (content.length === 0) return { missing: false, problem: 'is empty' };
  try {
    if (kind === 'key') createPrivateKey(content);
    else new x509.X509Certificate(content.toString('utf8'));
  } catch {
    return { missing: false, problem: kind === 'key' ? 'is not a PEM private key' : 'is not a PEM certificate' };
  }
  return { content };
}

/** Reads one certificate or key, or throws a CertificateError naming the file and saying how to fix it. */
function readPem(path: string, kind: Pem, fix: string): Buffer {
  const file = inspectFile(path, kind);
  if ('content' in file) return file.content;
  throw new CertificateError(`${shownPath(path)} ${file.problem}: ${fix}`);
}

export interface LoadOptions {
  /** What the error says to do about a missing or unusable file (default: run `pnpm certs`). */
  fix?: string;
  /**
   * A folder without client.crt is fine (a server without mTLS, fed by a Kubernetes TLS Secret): the server
   * pair stands in for `client`, which nothing then reads, rather than an empty key grpc-js would reject late.
   */
  clientOptional?: boolean;
}

export function loadCertificates(
  dir: string = DEFAULT_CERTS_DIR,
  { fix = MAKE_CERTS, clientOptional = false }: LoadOptions = {},
): Certificates {
  const paths = certPaths(dir);
  const read = (p: { cert: string; key: string }) => ({ cert: readPem(p.cert, 'certificate', fix), key: readPem(p.key, 'key', fix) });
  const ca = readPem(paths.ca.cert, 'certificate', fix);
  const server = read(paths.server);
  return { ca, server, client: clientOptional && !existsSync(paths.client.cert) ? server : read(paths.client) };
}

/** What a client reads: the CA it trusts and, for mTLS, its own certificate. */
export interface ClientCertificates {
  ca: Buffer;
  client?: { cert: Buffer; key: Buffer };
}

/**
 * Reads a client's certificates and never makes any: a new CA made here would
 * not be the one the running server's certificate comes from, and every call
 * would fail verification.
 */
export function loadClientCertificates(dir: string = DEFAULT_CERTS_DIR, { mtls = false } = {}): ClientCertificates {
  const paths = certPaths(dir);
  const fix = 'run `pnpm certs`, then restart the server so that both use the new CA';
  const ca = readPem(paths.ca.cert, 'certificate', fix);
  if (!mtls) return { ca };
  return { ca, client: { cert: readPem(paths.client.cert, 'certificate', fix), key: readPem(paths.client.key, 'key', fix) } };
}

function write(path: string, content: string, secret: boolean): void {
  // Write then rename: a reader never sees half a file. Keys are for the owner only.
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, content, { mode: secret ? 0o600 : 0o644 });
  if (secret) chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

/** Makes a fresh CA, server and client certificate in dir. */
export async function makeCertificates(dir: string = DEFAULT_CERTS_DIR): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const ca = await createAuthority();
  const server = await issue(ca, { role: 'server', name: 'localhost', altNames: SERVER_NAMES });
  const client = await issue(ca, { role: 'client', name: 'grpc-course client' });
  const paths = certPaths(dir);
  for (const [pair, files] of [
    [ca, paths.ca],
    [server, paths.server],
    [client, paths.client],
  ] as const) {
    write(files.key, pair.key, true);
    write(files.cert, pair.cert, false);
  }
}

function files(dir: string): [string, Pem][] {
  return Object.values(certPaths(dir)).flatMap((p): [string, Pem][] => [
    [p.cert, 'certificate'],
    [p.key, 'key'],
  ]);
}

/** The first file in dir that exists but cannot be used, with what is wrong with it. */
export function unusableFile(dir: string): { path: string; problem: string } | undefined {
  for (const [path, kind] of files(dir)) {
    const file = inspectFile(path, kind);
    if (!('content' in file) && !file.missing) return { path, problem: file.problem };
  }
  return undefined;
}

/** Why dir's certificates cannot be used as they are, or undefined if they can. */
export function problemWith(dir: string): string | undefined {
  let server: x509.X509Certificate | undefined;
  for (const [path, kind] of files(dir)) {
    const file = inspectFile(path, kind);
    if (!('content' in file)) return `${shownPath(path)} ${file.problem}`;
    if (path === certPaths(dir).server.cert) server = new x509.X509Certificate(file.content.toString('utf8'));
  }
  if (!server) return undefined;
  if (server.notAfter.getTime() < Date.now() + 7 * DAY) return 'the server certificate expires within a week';
  const san = server.getExtension(x509.SubjectAlternativeNameExtension);
  const names = san?.names.items.map((n) => n.value) ?? [];
  const uncovered = SERVER_NAMES.find((n) => !names.includes(n));
  return uncovered ? `the server certificate does not cover ${uncovered}` : undefined;
}

/**
 * Makes certificates in dir unless usable ones are already there; says which it did.
 * A file that is there but unreadable may be one of yours, so it is replaced
 * only when asked (`repair`, which `pnpm certs` sets); otherwise this throws a
 * CertificateError naming it.
 */
export async function ensureCertificates(
  dir: string = DEFAULT_CERTS_DIR,
  { repair = false } = {},
): Promise<{ made: boolean; reason?: string }> {
  const unusable = repair ? undefined : unusableFile(dir);
  if (unusable) throw new CertificateError(`${shownPath(unusable.path)} ${unusable.problem}: ${MAKE_CERTS}`);
  const reason = problemWith(dir);
  if (reason === undefined) return { made: false };
  await makeCertificates(dir);
  return { made: true, reason };
}
