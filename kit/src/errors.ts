// gRPC statuses as a person reads them: one line, no timestamps, no OpenSSL error codes.
import * as grpc from '@grpc/grpc-js';

/** True when err is a status a gRPC call ended with (as opposed to a bug). */
export function isServiceError(err: unknown): err is grpc.ServiceError {
  return err instanceof Error && typeof (err as Partial<grpc.ServiceError>).code === 'number';
}

/**
 * A status's details, shortened for people: grpc-js connection errors carry a
 * timestamp, a "Resolution note" and OpenSSL's full error string.
 */
export function tidyDetails(details: string): string {
  const tidy = details
    .replace(/^No connection established\. Last error: (Error: )?/, '')
    .replace(/\s*\(\d{4}-\d\d-\d\dT[\d:.]+Z\)/g, '')
    .replace(/\.?\s*Resolution note:.*$/s, '')
    // Node 24 appends advice about the system CA store: not the course's fix (trust certs/ca.crt).
    .replace(/; if the root CA is installed locally, try running Node\.js with --use-system-ca/, '')
    .replace(/[0-9A-F]{8,}:error:[0-9A-F]+:SSL routines:[^:]+:([^:]+):.*/s, '$1')
    .trim();
  // OpenSSL's words for a TLS handshake that was answered in plaintext.
  return tidy === 'wrong version number' ? `${tidy} (is the server speaking TLS?)` : tidy;
}

/** "INVALID_ARGUMENT: name is required": a status as a person reads it. */
export function describeStatus(err: grpc.ServiceError): string {
  return `${grpc.status[err.code]}: ${tidyDetails(err.details)}`;
}
