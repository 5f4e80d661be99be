// Original file: logger/v1/logger.proto


export interface ListEntriesRequest {
  'limit'?: (number);
}

export interface ListEntriesRequest__Output {
  'limit': (number);
}
