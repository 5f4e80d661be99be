// gRPC status → HTTP status as google/rpc/code.proto maps them, and the JSON
// error body Google's APIs answer with: {"error":{code,message,status,details}},
// the details decoded from grpc-status-details-bin (lesson 18's RetryInfo).
import { fromBinary, toJson } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { registry } from './descriptors.js';

/** The HTTP status for each gRPC code, from the comments in google/rpc/code.proto. */
export const HTTP_STATUS: Record<grpc.status, number> = {
  [grpc.status.OK]: 200,
  [grpc.status.CANCELLED]: 499,
  [grpc.status.UNKNOWN]: 500,
  [grpc.status.INVALID_ARGUMENT]: 400,
  [grpc.status.DEADLINE_EXCEEDED]: 504,
  [grpc.status.NOT_FOUND]: 404,
  [grpc.status.ALREADY_EXISTS]: 409,
  [grpc.status.PERMISSION_DENIED]: 403,
  [grpc.status.RESOURCE_EXHAUSTED]: 429,
  [grpc.status.FAILED_PRECONDITION]: 400,
  [grpc.status.ABORTED]: 409,
  [grpc.status.OUT_OF_RANGE]: 400,
  [grpc.status.UNIMPLEMENTED]: 501,
  [grpc.status.INTERNAL]: 500,
  [grpc.status.UNAVAILABLE]: 503,
  [grpc.status.DATA_LOSS]: 500,
  [grpc.status.UNAUTHENTICATED]: 401,
};

export interface ErrorBody {
  error: { code: number; message: string; status: string; details: unknown[] };
}

export interface HttpError {
  statusCode: number;
  body: ErrorBody;
  /** Extra response headers: Retry-After from a RetryInfo. */
  headers: Record<string, string>;
}

const StatusSchema = registry.getMessage('google.rpc.Status');

/** A gRPC error as the HTTP answer: status, body, and Retry-After when the server sent a RetryInfo. */
export function httpErrorOf(error: grpc.ServiceError): HttpError {
  const code = error.code in HTTP_STATUS ? error.code : grpc.status.UNKNOWN;
  const details = detailsOf(error.metadata);
  const headers: Record<string, string> = {};
  const retry = details.find((d) => (d as { '@type'?: string })['@type'] === 'type.googleapis.com/google.rpc.RetryInfo') as
    | { retryDelay?: string }
    | undefined;
  // RetryInfo's delay is a Duration ("0.250s"); Retry-After takes whole seconds: round up, never 0.
  if (retry?.retryDelay) headers['retry-after'] = String(Math.max(1, Math.ceil(Number.parseFloat(retry.retryDelay))));
  return { statusCode: HTTP_STATUS[code], headers, body: errorBody(code, error.details, details) };
}

/** The JSON error body, for a gRPC error or one the gateway finds itself (bad JSON: INVALID_ARGUMENT). */
export function errorBody(code: grpc.status, message: string, details: unknown[] = []): ErrorBody {
  return { error: { code: HTTP_STATUS[code], message, status: grpc.status[code], details } };
}

/** The details of a google.rpc.Status in the trailers, in the proto3 JSON mapping (Any as "@type" plus fields). */
function detailsOf(metadata: grpc.Metadata | undefined): unknown[] {
  const [bytes] = metadata?.get('grpc-status-details-bin') ?? [];
  if (!StatusSchema || !Buffer.isBuffer(bytes)) return [];
  try {
    const json = toJson(StatusSchema, fromBinary(StatusSchema, bytes), { registry }) as { details?: unknown[] };
    // "@type" first, as the proto3 JSON mapping writes an Any.
    return (json.details ?? []).map((d) => ({ '@type': (d as { '@type': string })['@type'], ...(d as object) }));
  } catch {
    // A detail of a type the registry does not know cannot be rendered; the status itself still is.
    return [];
  }
}
