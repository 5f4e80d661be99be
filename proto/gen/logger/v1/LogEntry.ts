// Original file: logger/v1/logger.proto


export interface LogEntry {
  'method'?: (string);
  'text'?: (string);
}

export interface LogEntry__Output {
  'method': (string);
  'text': (string);
}
