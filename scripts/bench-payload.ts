// `pnpm bench --payload`: a realistic User message as protobuf (protobufjs,
// what grpc-js's proto-loader encodes with) and as JSON: size raw and gzipped,
// and encode/decode time in this Node process.
import { gzipSync } from 'node:zlib';
import protobuf from 'protobufjs';

// Inline, not under proto/: it is a benchmark fixture, not part of the course's API.
const SOURCE = `
syntax = "proto3";
package bench.v1;
import "google/protobuf/timestamp.proto";
enum Role { ROLE_UNSPECIFIED = 0; ROLE_MEMBER = 1; ROLE_ADMIN = 2; }
message User {
  string id = 1;
  int64 account_id = 2;
  string given_name = 3;
  string family_name = 4;
  string email = 5;
  Role role = 6;
  google.protobuf.Timestamp created_at = 7;
  google.protobuf.Timestamp last_seen_at = 8;
  map<string, string> labels = 9;
  bool email_verified = 10;
}`;

const root = new protobuf.Root();
root.addJSON(protobuf.common.get('google/protobuf/timestamp.proto')?.nested ?? {});
protobuf.parse(SOURCE, root, { keepCase: true });
root.resolveAll();
const User = root.lookupType('bench.v1.User');

const created = new Date('2024-03-14T09:26:53.589Z');
const seen = new Date('2026-12-01T18:02:11.120Z');
const timestamp = (d: Date) => ({ seconds: Math.floor(d.getTime() / 1000), nanos: (d.getTime() % 1000) * 1e6 });
// The same user twice: as protobufjs takes it, and in proto3's JSON mapping (what a JSON API would send).
const asProto = {
  id: '7f3c2a9e-5b1d-4e8a-9c6f-2d4b8e1a0f57',
  account_id: 90_071_992_547,
  given_name: 'Ada',
  family_name: 'Lovelace',
  email: 'ada.lovelace@example.com',
  role: 2,
  created_at: timestamp(created),
  last_seen_at: timestamp(seen),
  labels: { team: 'analytical-engines', region: 'eu-west-2', plan: 'enterprise' },
  email_verified: true,
};
const asJson = {
  id: asProto.id,
  accountId: String(asProto.account_id),
  givenName: asProto.given_name,
  familyName: asProto.family_name,
  email: asProto.email,
  role: 'ROLE_ADMIN',
  createdAt: created.toISOString(),
  lastSeenAt: seen.toISOString(),
  labels: asProto.labels,
  emailVerified: true,
};

/** Nanoseconds per call of fn, the median of `rounds` timed batches. */
function time(fn: () => unknown, iterations: number, rounds = 5): number {
  for (let i = 0; i < Math.min(iterations, 10_000); i++) fn(); // warm up the JIT
  const per: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn();
    per.push(Number(process.hrtime.bigint() - start) / iterations);
  }
  return per.sort((a, b) => a - b)[Math.floor(rounds / 2)] ?? 0;
}

export interface PayloadResult {
  format: 'protobuf' | 'JSON';
  bytes: number;
  gzipBytes: number;
  encodeNs: number;
  decodeNs: number;
}

export function measurePayload(iterations: number): PayloadResult[] {
  const message = User.fromObject(asProto);
  const pb = User.encode(message).finish();
  const json = Buffer.from(JSON.stringify(asJson));
  const check = User.toObject(User.decode(pb), { longs: Number });
  if (check.given_name !== 'Ada' || check.labels.plan !== 'enterprise') throw new Error('protobuf round trip lost fields');
  return [
    {
      format: 'protobuf',
      bytes: pb.length,
      gzipBytes: gzipSync(pb).length,
      encodeNs: time(() => User.encode(message).finish(), iterations),
      decodeNs: time(() => User.decode(pb), iterations),
    },
    {
      format: 'JSON',
      bytes: json.length,
      gzipBytes: gzipSync(json).length,
      encodeNs: time(() => Buffer.from(JSON.stringify(asJson)), iterations),
      decodeNs: time(() => JSON.parse(json.toString()), iterations),
    },
  ];
}
