// Loads .proto files at run time: the proto is the contract, and the generated
// types in @course/proto describe exactly what this loader returns.

import { PROTO_INCLUDE_DIRS } from '@course/proto';
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
  includeDirs: PROTO_INCLUDE_DIRS,
};

/** Parses one .proto (a path under proto/): what reflection describes and clients are made from. */
export function loadDefinition(file: string): protoLoader.PackageDefinition {
  return protoLoader.loadSync(file, LOADER_OPTIONS);
}

/** Loads one .proto as a grpc-js package object of type T. */
export function loadProto<T>(file: string): T {
  return grpc.loadPackageDefinition(loadDefinition(file)) as unknown as T;
}

/** greeter.v1, parsed once per process and shared. */
export const greeterDefinition = loadDefinition('greeter/v1/greeter.proto');
export const greeterV1 = (grpc.loadPackageDefinition(greeterDefinition) as unknown as GreeterProto).greeter.v1;
