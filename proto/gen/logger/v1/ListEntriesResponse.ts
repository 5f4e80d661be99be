// Original file: logger/v1/logger.proto

import type { StoredEntry as _logger_v1_StoredEntry, StoredEntry__Output as _logger_v1_StoredEntry__Output } from '../../logger/v1/StoredEntry.js';

export interface ListEntriesResponse {
  'entries'?: (_logger_v1_StoredEntry)[];
}

export interface ListEntriesResponse__Output {
  'entries': (_logger_v1_StoredEntry__Output)[];
}
