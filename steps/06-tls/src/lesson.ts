// Lesson 06 as the step runner drives it: TLS refuses plaintext and clients
// that do not trust our CA; mTLS refuses clients without our certificate.

import { createGreeterClient as createPlainClient, nameFlag, sayHello } from '@course/01-unary';
import { createLogger } from '@course/04-interceptors';
import { tokenFromEnv } from '@course/05-metadata-auth';
import { DEFAULT_PORT, type Lesson, row, show } from '@course/kit';
import { DEFAULT_CERTS_DIR, ensureCertificates, loadCertificates, loadClientCertificates } from '@course/kit/certs';
import type { GreeterClient } from '@course/proto/gen/greeter/v1/Greeter';
import { createGreeterClient } from './client.js';
import { startGreeterServer } from './server.js';

const mtlsFlag = { type: 'boolean', description: 'mutual TLS: the client must present a certificate from our CA' } as const;
/** `client --mtls`, which every later TLS lesson's client takes too. */
export const clientMtlsFlag = { ...mtlsFlag, description: 'present the client certificate (for a server run with --mtls)' } as const;

export const lesson: Lesson = {
  step: '06',
  title: 'TLS',
  summary: 'TLS only, mTLS on request, and the token sent as per-call credentials over the secure channel.',
  defaultTarget: `localhost:${DEFAULT_PORT}`,
  flags: {
    serve: { mtls: mtlsFlag },
    client: { name: nameFlag, mtls: clientMtlsFlag },
  },
  async demo() {
    const { made } = await ensureCertificates();
    row('certs', made ? 'made certs/ (ca, server, client)' : 'using certs/ (ca, server, client)');
    const certs = loadCertificates();
    const token = tokenFromEnv();
    const logger = createLogger({ pretty: true, level: process.env.LOG_LEVEL ?? 'silent' });
    const tls = await startGreeterServer({ certs, token, logger });
    const mtls = await startGreeterServer({ certs, token, logger, mtls: true });
    row('server', `TLS on ${tls.address}, mTLS on ${mtls.address}`);
    // Clients dial the name on the certificate; 127.0.0.1 would work too (it is in the SAN).
    const [tlsTarget, mtlsTarget] = [`localhost:${tls.port}`, `localhost:${mtls.port}`];
    const clients: GreeterClient[] = [];
    const keep = (c: GreeterClient) => {
      clients.push(c);
      return c;
    };
    try {
      const attempts: [string, string, GreeterClient][] = [
        ['TLS', 'plaintext', keep(createPlainClient(tlsTarget))],
        ['TLS', 'unknown CA', keep(createGreeterClient(tlsTarget, { token }))],
        ['TLS', 'CA + token', keep(createGreeterClient(tlsTarget, { ca: certs.ca, token }))],
        ['mTLS', 'no cert', keep(createGreeterClient(mtlsTarget, { ca: certs.ca, token }))],
        ['mTLS', 'client cert', keep(createGreeterClient(mtlsTarget, { ca: certs.ca, client: certs.client, token }))],
      ];
      for (const [label, input, client] of attempts) {
        await show(
          label,
          input,
          () => sayHello(client, 'Ada', { deadline: new Date(Date.now() + 1_000) }),
          (r) => r.message,
        );
      }
    } finally {
      for (const c of clients) c.close();
      await Promise.all([tls.stop(), mtls.stop()]);
    }
    row('server', 'stopped');
  },
  async serve({ host, port, flags }) {
    const { made } = await ensureCertificates();
    if (made) row('certs', `made in ${DEFAULT_CERTS_DIR}`);
    const mtls = flags.mtls === true;
    row('server', mtls ? 'TLS with client certificates required (mTLS)' : 'TLS only');
    return startGreeterServer({ host, port, mtls, certs: loadCertificates() });
  },
  async client({ target, flags }) {
    // Read, never made: a CA made here would not be the one the running server's certificate comes from.
    const { ca, client: cert } = loadClientCertificates(DEFAULT_CERTS_DIR, { mtls: flags.mtls === true });
    const client = createGreeterClient(target, { ca, client: cert, token: tokenFromEnv() });
    try {
      row('SayHello', (await sayHello(client, String(flags.name))).message);
    } finally {
      client.close();
    }
  },
};
