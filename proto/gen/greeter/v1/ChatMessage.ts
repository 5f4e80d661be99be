// Original file: greeter/v1/greeter.proto


export interface ChatMessage {
  'from'?: (string);
  'text'?: (string);
}

export interface ChatMessage__Output {
  'from': (string);
  'text': (string);
}
