// Original file: logger/v1/logger.proto


export interface LogAck {
  'sequence'?: (number);
}

export interface LogAck__Output {
  'sequence': (number);
}
