// Original file: greeter/v2/greeter.proto


export interface PersonName {
  'given'?: (string);
  'family'?: (string);
}

export interface PersonName__Output {
  'given': (string);
  'family': (string);
}
