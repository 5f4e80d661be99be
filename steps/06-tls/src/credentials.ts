// TLS on both ends: the server proves who it is with its certificate; with
// mTLS the client must too. The bearer token rides as per-call credentials,
// which grpc-js sends only over a secure channel.

import type { Certificates } from '@course/kit/certs';
import * as grpc from '@grpc/grpc-js';

/**
 * TLS only. With mtls, the handshake itself refuses a client without a
 * certificate signed by our CA. The minimum protocol is Node's default,
 * TLS 1.2 (a test proves a TLS 1.1 client is refused).
 */
export function serverCredentials(certs: Certificates, { mtls = false } = {}): grpc.ServerCredentials {
  return grpc.ServerCredentials.createSsl(mtls ? certs.ca : null, [{ private_key: certs.server.key, cert_chain: certs.server.cert }], mtls);
}

/** Call credentials that add `authorization: Bearer <token>` to each call. */
export function tokenCredentials(token: string): grpc.CallCredentials {
  return grpc.credentials.createFromMetadataGenerator((_, callback) => {
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${token}`);
    callback(null, metadata);
  });
}

export interface ChannelTlsOptions {
  /** The CA the client trusts: ours. Omit it and only the system's roots count. */
  ca?: Buffer;
  /** A client certificate, for servers that require mTLS. */
  client?: { cert: Buffer; key: Buffer };
  token?: string;
}

/** TLS channel credentials, combined with the token when there is one. */
export function channelCredentials({ ca, client, token }: ChannelTlsOptions): grpc.ChannelCredentials {
  const tls = grpc.credentials.createSsl(ca ?? null, client?.key ?? null, client?.cert ?? null);
  return token === undefined ? tls : grpc.credentials.combineChannelCredentials(tls, tokenCredentials(token));
}
