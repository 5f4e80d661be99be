// Certificates in a container: read from a mounted Secret, never made there.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { courseCertificates } from '@course/06-tls';
import { ConfigError } from '@course/kit';
import { type Certificates, DEFAULT_CERTS_DIR } from '@course/kit/certs';

/**
 * In production (NODE_ENV=production) the server reads CERTS_DIR as a
 * Kubernetes TLS Secret fills it: ca.crt, server.crt, server.key, and
 * client.crt/client.key only for mTLS. It never makes certificates there and
 * never needs the CA's key, which stays out of the cluster. In development it
 * is lesson 06's `certs/`, made when missing.
 */
export async function servingCertificates(env: NodeJS.ProcessEnv = process.env, dir = DEFAULT_CERTS_DIR): Promise<Certificates> {
  if (env.NODE_ENV !== 'production') return courseCertificates();
  const read = (name: string) => {
    const path = join(dir, name);
    if (!existsSync(path)) throw new ConfigError(`${path} is missing: mount the TLS Secret at CERTS_DIR (${dir})`);
    return readFileSync(path);
  };
  const server = { cert: read('server.crt'), key: read('server.key') };
  const hasClient = existsSync(join(dir, 'client.crt'));
  // Without mTLS nothing reads `client`; the server pair stands in rather than an empty key grpc-js would reject late.
  return { ca: read('ca.crt'), server, client: hasClient ? { cert: read('client.crt'), key: read('client.key') } : server };
}
