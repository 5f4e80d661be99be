// Reading a server stream: it is a Node Readable, so `for await` reads it and
// pausing the loop is what tells the server to slow down.
import { deadlineIn } from '@course/01-unary';
import type { GreeterClient } from '@course/proto/gen/greeter/v1/Greeter';
import type { HelloReply__Output } from '@course/proto/gen/greeter/v1/HelloReply';
import type * as grpc from '@grpc/grpc-js';
import { DEFAULT_COUNT, DEFAULT_INTERVAL_MS } from './server.js';

/** What a stream's deadline allows beyond the server's pacing: connecting, and a reader that falls behind. */
export const STREAM_DEADLINE_MARGIN_MS = 10_000;

/**
 * A stream's deadline covers all of it, so it grows with the count: the
 * server paces greetings `intervalMs` apart, and a fixed deadline would cut
 * a long stream off halfway.
 */
export function streamDeadlineMs(count: number, intervalMs = DEFAULT_INTERVAL_MS): number {
  return (count || DEFAULT_COUNT) * intervalMs + STREAM_DEADLINE_MARGIN_MS;
}

export function streamGreetings(
  client: GreeterClient,
  name: string,
  count: number,
  options: grpc.CallOptions = {},
): grpc.ClientReadableStream<HelloReply__Output> {
  return client.StreamGreetings({ name, count }, { deadline: deadlineIn(streamDeadlineMs(count)), ...options });
}
