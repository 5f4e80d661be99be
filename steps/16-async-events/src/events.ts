// The Greeted event on the wire: protobuf binary, encoded with protobufjs
// from the same events.proto the generated types describe.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { PROTO_ROOT } from '@course/proto';
import type { Greeted__Output } from '@course/proto/gen/events/v1/Greeted';
import protobuf from 'protobufjs';

/** The NATS subject and the Kafka topic the Greeter publishes on. */
export const GREETED_SUBJECT = 'events.greeted';

export type Greeted = Greeted__Output;

// protobufjs knows google/protobuf/timestamp.proto itself: no copy in the repo.
const GreetedType = protobuf.loadSync(join(PROTO_ROOT, 'events/v1/events.proto')).lookupType('events.v1.Greeted');

/** A new event for a greeting answered now. */
export function greeted(name: string, userId = '', requestId = '', now = Date.now()): Greeted {
  const time = { seconds: String(Math.floor(now / 1000)), nanos: (now % 1000) * 1e6 };
  return { eventId: randomUUID(), time, name, userId, requestId };
}

export function encodeGreeted(event: Greeted): Uint8Array {
  return GreetedType.encode(GreetedType.fromObject(event)).finish();
}

export function decodeGreeted(bytes: Uint8Array): Greeted {
  return GreetedType.toObject(GreetedType.decode(bytes), { longs: String, defaults: true }) as Greeted;
}
