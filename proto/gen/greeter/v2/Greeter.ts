// Original file: greeter/v2/greeter.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { HelloReply as _greeter_v2_HelloReply, HelloReply__Output as _greeter_v2_HelloReply__Output } from '../../greeter/v2/HelloReply.js';
import type { HelloRequest as _greeter_v2_HelloRequest, HelloRequest__Output as _greeter_v2_HelloRequest__Output } from '../../greeter/v2/HelloRequest.js';

export interface GreeterClient extends grpc.Client {
  SayHello(argument: _greeter_v2_HelloRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_greeter_v2_HelloReply__Output>): grpc.ClientUnaryCall;
  SayHello(argument: _greeter_v2_HelloRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_greeter_v2_HelloReply__Output>): grpc.ClientUnaryCall;
  SayHello(argument: _greeter_v2_HelloRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_greeter_v2_HelloReply__Output>): grpc.ClientUnaryCall;
  SayHello(argument: _greeter_v2_HelloRequest, callback: grpc.requestCallback<_greeter_v2_HelloReply__Output>): grpc.ClientUnaryCall;
  sayHello(argument: _greeter_v2_HelloRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_greeter_v2_HelloReply__Output>): grpc.ClientUnaryCall;
  sayHello(argument: _greeter_v2_HelloRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_greeter_v2_HelloReply__Output>): grpc.ClientUnaryCall;
  sayHello(argument: _greeter_v2_HelloRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_greeter_v2_HelloReply__Output>): grpc.ClientUnaryCall;
  sayHello(argument: _greeter_v2_HelloRequest, callback: grpc.requestCallback<_greeter_v2_HelloReply__Output>): grpc.ClientUnaryCall;
  
}

export interface GreeterHandlers extends grpc.UntypedServiceImplementation {
  SayHello: grpc.handleUnaryCall<_greeter_v2_HelloRequest__Output, _greeter_v2_HelloReply>;
  
}

export interface GreeterDefinition extends grpc.ServiceDefinition {
  SayHello: MethodDefinition<_greeter_v2_HelloRequest, _greeter_v2_HelloReply, _greeter_v2_HelloRequest__Output, _greeter_v2_HelloReply__Output>
}
