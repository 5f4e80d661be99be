// Lesson 05's server, TLS only, optionally requiring client certificates.
import type { LoggedServerHandle } from '@course/04-interceptors';
import { type AuthServerOptions, startGreeterServer as startAuthServer } from '@course/05-metadata-auth';
import { type Certificates, ensureCertificates, loadCertificates } from '@course/kit/certs';
import { serverCredentials } from './credentials.js';

export interface TlsServerOptions extends AuthServerOptions {
  /** Default: certs/ (made when missing). */
  certs?: Certificates;
  mtls?: boolean;
}

/** The course's certificates, made on first use: for servers and demos (clients only read them: loadClientCertificates). */
export async function courseCertificates(): Promise<Certificates> {
  await ensureCertificates();
  return loadCertificates();
}

export async function startGreeterServer(options: TlsServerOptions = {}): Promise<LoggedServerHandle> {
  const certs = options.certs ?? (await courseCertificates());
  return startAuthServer({ ...options, credentials: serverCredentials(certs, { mtls: options.mtls }) });
}
