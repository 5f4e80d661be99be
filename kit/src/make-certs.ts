// `pnpm certs`: makes the development certificates in certs/ (or CERTS_DIR), once.
import { relative } from 'node:path';
import { DEFAULT_CERTS_DIR, ensureCertificates, SERVER_NAMES } from './certs.js';
import { row } from './out.js';

const fromHere = relative(process.cwd(), DEFAULT_CERTS_DIR);
const where = fromHere.startsWith('..') ? DEFAULT_CERTS_DIR.replace(/\/$/, '') : fromHere || '.';
const { made, reason } = await ensureCertificates(DEFAULT_CERTS_DIR);
if (made) {
  row('certs', `made in ${where}/ (${reason}): ca.crt, server.crt for ${SERVER_NAMES.join(' and ')}, client.crt`);
  row('', 'the .key files are readable by you only, and git ignores them');
} else {
  row('certs', `${where}/ already holds usable certificates: nothing to do`);
}
