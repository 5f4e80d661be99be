// Certificates for a test file of their own: made fresh in a temporary
// folder, so that tests running at once never share (or remake) certs/.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Certificates, loadCertificates, makeCertificates } from './certs.js';

/** Fresh certificates in a new temporary folder; remove() deletes the folder. */
export async function temporaryCertificates(prefix = 'course-certs-'): Promise<{ dir: string; certs: Certificates; remove(): void }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  await makeCertificates(dir);
  return { dir, certs: loadCertificates(dir), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
