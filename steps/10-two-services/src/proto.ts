// logger.v1, loaded at run time like greeter.v1: the second contract.
import { loadDefinition, type ServiceIdentity } from '@course/01-unary';
import type { ProtoGrpcType as LoggerProto } from '@course/proto/gen/logger';
import * as grpc from '@grpc/grpc-js';

export const loggerDefinition = loadDefinition('logger/v1/logger.proto');
export const loggerV1 = (grpc.loadPackageDefinition(loggerDefinition) as unknown as LoggerProto).logger.v1;

/** The Logger as lesson 01's bootstrap serves a service: by name and definition. */
export const LOGGER: ServiceIdentity = { name: 'logger.v1.LoggerService', definition: loggerDefinition };
