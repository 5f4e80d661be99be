// Original file: greeter/v1/greeter.proto


export interface HelloReply {
  'message'?: (string);
  'sequence'?: (number);
}

export interface HelloReply__Output {
  'message': (string);
  'sequence': (number);
}
