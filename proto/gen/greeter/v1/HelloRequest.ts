// Original file: greeter/v1/greeter.proto


export interface HelloRequest {
  'name'?: (string);
  'count'?: (number);
}

export interface HelloRequest__Output {
  'name': (string);
  'count': (number);
}
