// The rich error model: a google.rpc.Status carrying details (a RetryInfo here,
// a BadRequest in lesson 21), in the `grpc-status-details-bin` trailer, with the
// protos from google-proto-files.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';

/** The trailer gRPC reserves for a serialized google.rpc.Status; `-bin`, so grpc-js sends it base64 and hands back a Buffer. */
export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';
export const RETRY_INFO_TYPE = 'type.googleapis.com/google.rpc.RetryInfo';

// The package's own directory: its protos are read from there, never copied into the repo
// (and other languages compile them from there too: lesson 21's Python client, `-I` this).
export const GOOGLE_PROTOS_DIR = dirname(createRequire(import.meta.url).resolve('google-proto-files/package.json'));
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => join(GOOGLE_PROTOS_DIR, target);
root.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto']);
// google.protobuf.Any is protobufjs's built-in copy, whose fields keep their snake_case names (type_url).
const Status = root.lookupType('google.rpc.Status');

/** One detail of a Status: a google.rpc message of this type (e.g. `google.rpc.BadRequest`), packed in an Any. */
export interface StatusDetail {
  type: string;
  value: object;
}

/** A google.rpc message type from google/rpc/status.proto or error_details.proto, by full name. */
export const rpcType = (name: string): protobuf.Type => root.lookupType(name);

/** A serialized google.rpc.Status, for the `grpc-status-details-bin` trailer, with each detail in an Any. */
export function encodeStatus(code: grpc.status, message: string, details: StatusDetail[]): Buffer {
  const packed = details.map(({ type, value }) => {
    const Type = rpcType(type);
    return { type_url: `type.googleapis.com/${type}`, value: Type.encode(Type.fromObject(value)).finish() };
  });
  return Buffer.from(Status.encode({ code, message, details: packed }).finish());
}

/** The detail of this type in the error's trailers, decoded to a plain object; undefined when there is none. */
export function detailOf<T>(error: { metadata?: grpc.Metadata }, type: string): T | undefined {
  const [bytes] = error.metadata?.get(STATUS_DETAILS_KEY) ?? [];
  if (!Buffer.isBuffer(bytes)) return undefined;
  const status = Status.decode(bytes) as unknown as { details: { type_url: string; value: Uint8Array }[] };
  const detail = status.details.find((d) => d.type_url === `type.googleapis.com/${type}`);
  if (!detail) return undefined;
  const Type = rpcType(type);
  return Type.toObject(Type.decode(detail.value), { longs: Number, defaults: true }) as T;
}

/** A serialized Status with one RetryInfo detail: wait `delayMs` before trying again. */
export function retryInfoStatus(code: grpc.status, message: string, delayMs: number): Buffer {
  const ms = Math.max(0, Math.ceil(delayMs));
  return encodeStatus(code, message, [
    { type: 'google.rpc.RetryInfo', value: { retryDelay: { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 } } },
  ]);
}

/** The delay a RetryInfo in the error's trailers asks for, in ms; undefined when there is none. */
export function retryDelayMs(error: { metadata?: grpc.Metadata }): number | undefined {
  const info = detailOf<{ retryDelay?: { seconds?: number; nanos?: number } }>(error, 'google.rpc.RetryInfo');
  if (!info) return undefined;
  return (info.retryDelay?.seconds ?? 0) * 1000 + Math.round((info.retryDelay?.nanos ?? 0) / 1e6);
}
