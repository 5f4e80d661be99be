// Original file: events/v1/events.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp.js';

export interface Greeted {
  'eventId'?: (string);
  'time'?: (_google_protobuf_Timestamp | null);
  'name'?: (string);
  'userId'?: (string);
  'requestId'?: (string);
}

export interface Greeted__Output {
  'eventId': (string);
  'time': (_google_protobuf_Timestamp__Output | null);
  'name': (string);
  'userId': (string);
  'requestId': (string);
}
