// Original file: logger/v1/logger.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ListEntriesRequest as _logger_v1_ListEntriesRequest, ListEntriesRequest__Output as _logger_v1_ListEntriesRequest__Output } from '../../logger/v1/ListEntriesRequest.js';
import type { ListEntriesResponse as _logger_v1_ListEntriesResponse, ListEntriesResponse__Output as _logger_v1_ListEntriesResponse__Output } from '../../logger/v1/ListEntriesResponse.js';
import type { LogAck as _logger_v1_LogAck, LogAck__Output as _logger_v1_LogAck__Output } from '../../logger/v1/LogAck.js';
import type { LogEntry as _logger_v1_LogEntry, LogEntry__Output as _logger_v1_LogEntry__Output } from '../../logger/v1/LogEntry.js';

export interface LoggerServiceClient extends grpc.Client {
  ListEntries(argument: _logger_v1_ListEntriesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_logger_v1_ListEntriesResponse__Output>): grpc.ClientUnaryCall;
  ListEntries(argument: _logger_v1_ListEntriesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_logger_v1_ListEntriesResponse__Output>): grpc.ClientUnaryCall;
  ListEntries(argument: _logger_v1_ListEntriesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_logger_v1_ListEntriesResponse__Output>): grpc.ClientUnaryCall;
  ListEntries(argument: _logger_v1_ListEntriesRequest, callback: grpc.requestCallback<_logger_v1_ListEntriesResponse__Output>): grpc.ClientUnaryCall;
  listEntries(argument: _logger_v1_ListEntriesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_logger_v1_ListEntriesResponse__Output>): grpc.ClientUnaryCall;
  listEntries(argument: _logger_v1_ListEntriesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_logger_v1_ListEntriesResponse__Output>): grpc.ClientUnaryCall;
  listEntries(argument: _logger_v1_ListEntriesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_logger_v1_ListEntriesResponse__Output>): grpc.ClientUnaryCall;
  listEntries(argument: _logger_v1_ListEntriesRequest, callback: grpc.requestCallback<_logger_v1_ListEntriesResponse__Output>): grpc.ClientUnaryCall;
  
  Log(argument: _logger_v1_LogEntry, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_logger_v1_LogAck__Output>): grpc.ClientUnaryCall;
  Log(argument: _logger_v1_LogEntry, metadata: grpc.Metadata, callback: grpc.requestCallback<_logger_v1_LogAck__Output>): grpc.ClientUnaryCall;
  Log(argument: _logger_v1_LogEntry, options: grpc.CallOptions, callback: grpc.requestCallback<_logger_v1_LogAck__Output>): grpc.ClientUnaryCall;
  Log(argument: _logger_v1_LogEntry, callback: grpc.requestCallback<_logger_v1_LogAck__Output>): grpc.ClientUnaryCall;
  log(argument: _logger_v1_LogEntry, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_logger_v1_LogAck__Output>): grpc.ClientUnaryCall;
  log(argument: _logger_v1_LogEntry, metadata: grpc.Metadata, callback: grpc.requestCallback<_logger_v1_LogAck__Output>): grpc.ClientUnaryCall;
  log(argument: _logger_v1_LogEntry, options: grpc.CallOptions, callback: grpc.requestCallback<_logger_v1_LogAck__Output>): grpc.ClientUnaryCall;
  log(argument: _logger_v1_LogEntry, callback: grpc.requestCallback<_logger_v1_LogAck__Output>): grpc.ClientUnaryCall;
  
}

export interface LoggerServiceHandlers extends grpc.UntypedServiceImplementation {
  ListEntries: grpc.handleUnaryCall<_logger_v1_ListEntriesRequest__Output, _logger_v1_ListEntriesResponse>;
  
  Log: grpc.handleUnaryCall<_logger_v1_LogEntry__Output, _logger_v1_LogAck>;
  
}

export interface LoggerServiceDefinition extends grpc.ServiceDefinition {
  ListEntries: MethodDefinition<_logger_v1_ListEntriesRequest, _logger_v1_ListEntriesResponse, _logger_v1_ListEntriesRequest__Output, _logger_v1_ListEntriesResponse__Output>
  Log: MethodDefinition<_logger_v1_LogEntry, _logger_v1_LogAck, _logger_v1_LogEntry__Output, _logger_v1_LogAck__Output>
}
