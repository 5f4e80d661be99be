// `pnpm certs`'s tooling on a scratch folder: idempotent, keys private, repairs what is missing.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certPaths, ensureCertificates, problemWith } from '../src/certs.js';

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
