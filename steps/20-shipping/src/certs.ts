// Certificates in a container: read from a mounted Secret, never made there.
import { courseCertificates } from '@course/06-tls';
import { ConfigError } from '@course/kit';
import { CertificateError, type Certificates, DEFAULT_CERTS_DIR, loadCertificates } from '@course/kit/certs';

/**
 * In production (NODE_ENV=production) the server reads CERTS_DIR as a
 * Kubernetes TLS Secret fills it: ca.crt, server.crt, server.key, and
 * client.crt/client.key only for mTLS. It never makes certificates there and
 * never needs the CA's key, which stays out of the cluster. In development it
 * is lesson 06's `certs/`, made when missing.
 */
export async function servingCertificates(env: NodeJS.ProcessEnv = process.env, dir = DEFAULT_CERTS_DIR): Promise<Certificates> {
  if (env.NODE_ENV !== 'production') return courseCertificates();
  try {
    return loadCertificates(dir, { fix: `mount the TLS Secret at CERTS_DIR (${dir})`, clientOptional: true });
  } catch (err) {
    // A deployment's configuration is wrong, not the program: the runner's one line and exit 2.
    throw err instanceof CertificateError ? new ConfigError(err.message) : err;
  }
}
