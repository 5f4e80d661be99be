// Original file: greeter/v2/greeter.proto


export interface HelloReply {
  'message'?: (string);
}

export interface HelloReply__Output {
  'message': (string);
}
