import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { ChatMessage as _greeter_v1_ChatMessage, ChatMessage__Output as _greeter_v1_ChatMessage__Output } from './greeter/v1/ChatMessage.js';
import type { GreeterClient as _greeter_v1_GreeterClient, GreeterDefinition as _greeter_v1_GreeterDefinition } from './greeter/v1/Greeter.js';
import type { HelloReply as _greeter_v1_HelloReply, HelloReply__Output as _greeter_v1_HelloReply__Output } from './greeter/v1/HelloReply.js';
import type { HelloRequest as _greeter_v1_HelloRequest, HelloRequest__Output as _greeter_v1_HelloRequest__Output } from './greeter/v1/HelloRequest.js';
import type { GreeterClient as _greeter_v2_GreeterClient, GreeterDefinition as _greeter_v2_GreeterDefinition } from './greeter/v2/Greeter.js';
import type { HelloReply as _greeter_v2_HelloReply, HelloReply__Output as _greeter_v2_HelloReply__Output } from './greeter/v2/HelloReply.js';
import type { HelloRequest as _greeter_v2_HelloRequest, HelloRequest__Output as _greeter_v2_HelloRequest__Output } from './greeter/v2/HelloRequest.js';
import type { PersonName as _greeter_v2_PersonName, PersonName__Output as _greeter_v2_PersonName__Output } from './greeter/v2/PersonName.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  greeter: {
    v1: {
      ChatMessage: MessageTypeDefinition<_greeter_v1_ChatMessage, _greeter_v1_ChatMessage__Output>
      Greeter: SubtypeConstructor<typeof grpc.Client, _greeter_v1_GreeterClient> & { service: _greeter_v1_GreeterDefinition }
      HelloReply: MessageTypeDefinition<_greeter_v1_HelloReply, _greeter_v1_HelloReply__Output>
      HelloRequest: MessageTypeDefinition<_greeter_v1_HelloRequest, _greeter_v1_HelloRequest__Output>
    }
    v2: {
      Greeter: SubtypeConstructor<typeof grpc.Client, _greeter_v2_GreeterClient> & { service: _greeter_v2_GreeterDefinition }
      HelloReply: MessageTypeDefinition<_greeter_v2_HelloReply, _greeter_v2_HelloReply__Output>
      HelloRequest: MessageTypeDefinition<_greeter_v2_HelloRequest, _greeter_v2_HelloRequest__Output>
      PersonName: MessageTypeDefinition<_greeter_v2_PersonName, _greeter_v2_PersonName__Output>
    }
  }
}

