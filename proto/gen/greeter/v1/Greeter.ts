// Original file: greeter/v1/greeter.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ChatMessage as _greeter_v1_ChatMessage, ChatMessage__Output as _greeter_v1_ChatMessage__Output } from '../../greeter/v1/ChatMessage.js';
import type { HelloReply as _greeter_v1_HelloReply, HelloReply__Output as _greeter_v1_HelloReply__Output } from '../../greeter/v1/HelloReply.js';
import type { HelloRequest as _greeter_v1_HelloRequest, HelloRequest__Output as _greeter_v1_HelloRequest__Output } from '../../greeter/v1/HelloRequest.js';

export interface GreeterClient extends grpc.Client {
  Chat(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_greeter_v1_ChatMessage, _greeter_v1_ChatMessage__Output>;
  Chat(options?: grpc.CallOptions): grpc.ClientDuplexStream<_greeter_v1_ChatMessage, _greeter_v1_ChatMessage__Output>;
  chat(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_greeter_v1_ChatMessage, _greeter_v1_ChatMessage__Output>;
  chat(options?: grpc.CallOptions): grpc.ClientDuplexStream<_greeter_v1_ChatMessage, _greeter_v1_ChatMessage__Output>;
  
  SayHello(argument: _greeter_v1_HelloRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_greeter_v1_HelloReply__Output>): grpc.ClientUnaryCall;
  SayHello(argument: _greeter_v1_HelloRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_greeter_v1_HelloReply__Output>): grpc.ClientUnaryCall;
  SayHello(argument: _greeter_v1_HelloRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_greeter_v1_HelloReply__Output>): grpc.ClientUnaryCall;
  SayHello(argument: _greeter_v1_HelloRequest, callback: grpc.requestCallback<_greeter_v1_HelloReply__Output>): grpc.ClientUnaryCall;
  sayHello(argument: _greeter_v1_HelloRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_greeter_v1_HelloReply__Output>): grpc.ClientUnaryCall;
  sayHello(argument: _greeter_v1_HelloRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_greeter_v1_HelloReply__Output>): grpc.ClientUnaryCall;
  sayHello(argument: _greeter_v1_HelloRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_greeter_v1_HelloReply__Output>): grpc.ClientUnaryCall;
  sayHello(argument: _greeter_v1_HelloRequest, callback: grpc.requestCallback<_greeter_v1_HelloReply__Output>): grpc.ClientUnaryCall;
  
  StreamGreetings(argument: _greeter_v1_HelloRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_greeter_v1_HelloReply__Output>;
  StreamGreetings(argument: _greeter_v1_HelloRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_greeter_v1_HelloReply__Output>;
  streamGreetings(argument: _greeter_v1_HelloRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_greeter_v1_HelloReply__Output>;
  streamGreetings(argument: _greeter_v1_HelloRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_greeter_v1_HelloReply__Output>;
  
}

export interface GreeterHandlers extends grpc.UntypedServiceImplementation {
  Chat: grpc.handleBidiStreamingCall<_greeter_v1_ChatMessage__Output, _greeter_v1_ChatMessage>;
  
  SayHello: grpc.handleUnaryCall<_greeter_v1_HelloRequest__Output, _greeter_v1_HelloReply>;
  
  StreamGreetings: grpc.handleServerStreamingCall<_greeter_v1_HelloRequest__Output, _greeter_v1_HelloReply>;
  
}

export interface GreeterDefinition extends grpc.ServiceDefinition {
  Chat: MethodDefinition<_greeter_v1_ChatMessage, _greeter_v1_ChatMessage, _greeter_v1_ChatMessage__Output, _greeter_v1_ChatMessage__Output>
  SayHello: MethodDefinition<_greeter_v1_HelloRequest, _greeter_v1_HelloReply, _greeter_v1_HelloRequest__Output, _greeter_v1_HelloReply__Output>
  StreamGreetings: MethodDefinition<_greeter_v1_HelloRequest, _greeter_v1_HelloReply, _greeter_v1_HelloRequest__Output, _greeter_v1_HelloReply__Output>
}
