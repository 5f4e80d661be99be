// `pnpm certs`: makes the development certificates in certs/ (or CERTS_DIR), once,
// and makes them again when a file is missing, unreadable or about to expire.
import { DEFAULT_CERTS_DIR, ensureCertificates, SERVER_NAMES, shownPath } from './certs.js';
import { row } from './out.js';

const where = shownPath(DEFAULT_CERTS_DIR).replace(/\/$/, '') || '.';
const { made, reason } = await ensureCertificates(DEFAULT_CERTS_DIR, { repair: true });
if (made) {
  row('certs', `made in ${where}/ (${reason}): ca.crt, server.crt for ${SERVER_NAMES.join(' and ')}, client.crt`);
  row('', 'the .key files are readable by you only, and git ignores them');
} else {
  row('certs', `${where}/ already holds usable certificates: nothing to do`);
}
