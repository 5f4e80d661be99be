// Loads .proto files at run time: the proto is the contract, and the generated
// types in @course/proto describe exactly what this loader returns.

import { PROTO_ROOT } from '@course/proto';
import type { ProtoGrpcType as GreeterProto } from '@course/proto/gen/greeter';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/**
 * The options every step loads protos with. proto-loader-gen-types is run with
 * the matching flags (scripts/gen-types.ts), so the types hold.
 */
export const LOADER_OPTIONS: protoLoader.Options = {
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

/** Loads one .proto (a path under proto/) as a grpc-js package object of type T. */
export function loadProto<T>(file: string): T {
  return grpc.loadPackageDefinition(protoLoader.loadSync(file, LOADER_OPTIONS)) as unknown as T;
}

/** greeter.v1, loaded once per process: loading parses the file, so share it. */
export const greeterV1 = loadProto<GreeterProto>('greeter/v1/greeter.proto').greeter.v1;
