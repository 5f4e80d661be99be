// Original file: logger/v1/logger.proto

import type { LogEntry as _logger_v1_LogEntry, LogEntry__Output as _logger_v1_LogEntry__Output } from '../../logger/v1/LogEntry.js';

export interface StoredEntry {
  'sequence'?: (number);
  'entry'?: (_logger_v1_LogEntry | null);
  'peer'?: (string);
  'deadlineMs'?: (number);
  'userId'?: (string);
  'requestId'?: (string);
}

export interface StoredEntry__Output {
  'sequence': (number);
  'entry': (_logger_v1_LogEntry__Output | null);
  'peer': (string);
  'deadlineMs': (number);
  'userId': (string);
  'requestId': (string);
}
