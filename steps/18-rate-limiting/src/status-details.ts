// The rich error model: a google.rpc.Status carrying a google.rpc.RetryInfo, in
// the `grpc-status-details-bin` trailer, with the protos from google-proto-files.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';

/** The trailer gRPC reserves for a serialized google.rpc.Status; `-bin`, so grpc-js sends it base64 and hands back a Buffer. */
export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';
export const RETRY_INFO_TYPE = 'type.googleapis.com/google.rpc.RetryInfo';

// The package's own directory: its protos are read from there, never copied into the repo.
const PROTOS = dirname(createRequire(import.meta.url).resolve('google-proto-files/package.json'));
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => join(PROTOS, target);
root.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto']);
// google.protobuf.Any is protobufjs's built-in copy, whose fields keep their snake_case names (type_url).
const Status = root.lookupType('google.rpc.Status');
const RetryInfo = root.lookupType('google.rpc.RetryInfo');

/** A serialized Status with one RetryInfo detail: wait `delayMs` before trying again. */
export function retryInfoStatus(code: grpc.status, message: string, delayMs: number): Buffer {
  const ms = Math.max(0, Math.ceil(delayMs));
  const retryInfo = RetryInfo.encode({ retryDelay: { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 } }).finish();
  return Buffer.from(Status.encode({ code, message, details: [{ type_url: RETRY_INFO_TYPE, value: retryInfo }] }).finish());
}

/** The delay a RetryInfo in the error's trailers asks for, in ms; undefined when there is none. */
export function retryDelayMs(error: { metadata?: grpc.Metadata }): number | undefined {
  const [bytes] = error.metadata?.get(STATUS_DETAILS_KEY) ?? [];
  if (!Buffer.isBuffer(bytes)) return undefined;
  const status = Status.decode(bytes) as unknown as { details: { type_url: string; value: Uint8Array }[] };
  const detail = status.details.find((d) => d.type_url === RETRY_INFO_TYPE);
  if (!detail) return undefined;
  const { retryDelay } = RetryInfo.toObject(RetryInfo.decode(detail.value), { longs: Number }) as {
    retryDelay?: { seconds?: number; nanos?: number };
  };
  return (retryDelay?.seconds ?? 0) * 1000 + Math.round((retryDelay?.nanos ?? 0) / 1e6);
}
