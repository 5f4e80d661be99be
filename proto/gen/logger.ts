import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { ListEntriesRequest as _logger_v1_ListEntriesRequest, ListEntriesRequest__Output as _logger_v1_ListEntriesRequest__Output } from './logger/v1/ListEntriesRequest.js';
import type { ListEntriesResponse as _logger_v1_ListEntriesResponse, ListEntriesResponse__Output as _logger_v1_ListEntriesResponse__Output } from './logger/v1/ListEntriesResponse.js';
import type { LogAck as _logger_v1_LogAck, LogAck__Output as _logger_v1_LogAck__Output } from './logger/v1/LogAck.js';
import type { LogEntry as _logger_v1_LogEntry, LogEntry__Output as _logger_v1_LogEntry__Output } from './logger/v1/LogEntry.js';
import type { LoggerServiceClient as _logger_v1_LoggerServiceClient, LoggerServiceDefinition as _logger_v1_LoggerServiceDefinition } from './logger/v1/LoggerService.js';
import type { StoredEntry as _logger_v1_StoredEntry, StoredEntry__Output as _logger_v1_StoredEntry__Output } from './logger/v1/StoredEntry.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  logger: {
    v1: {
      ListEntriesRequest: MessageTypeDefinition<_logger_v1_ListEntriesRequest, _logger_v1_ListEntriesRequest__Output>
      ListEntriesResponse: MessageTypeDefinition<_logger_v1_ListEntriesResponse, _logger_v1_ListEntriesResponse__Output>
      LogAck: MessageTypeDefinition<_logger_v1_LogAck, _logger_v1_LogAck__Output>
      LogEntry: MessageTypeDefinition<_logger_v1_LogEntry, _logger_v1_LogEntry__Output>
      LoggerService: SubtypeConstructor<typeof grpc.Client, _logger_v1_LoggerServiceClient> & { service: _logger_v1_LoggerServiceDefinition }
      StoredEntry: MessageTypeDefinition<_logger_v1_StoredEntry, _logger_v1_StoredEntry__Output>
    }
  }
}

