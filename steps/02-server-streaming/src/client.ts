// Reading a server stream: it is a Node Readable, so `for await` reads it and
// pausing the loop is what tells the server to slow down.
import { deadlineIn } from '@course/01-unary';
import type { GreeterClient } from '@course/proto/gen/greeter/v1/Greeter';
import type { HelloReply__Output } from '@course/proto/gen/greeter/v1/HelloReply';
import type * as grpc from '@grpc/grpc-js';

/** A stream's deadline covers all of it, so it is longer than a unary call's. */
export const STREAM_DEADLINE_MS = 30_000;

export function streamGreetings(
  client: GreeterClient,
  name: string,
  count: number,
  options: grpc.CallOptions = {},
): grpc.ClientReadableStream<HelloReply__Output> {
  return client.StreamGreetings({ name, count }, { deadline: deadlineIn(STREAM_DEADLINE_MS), ...options });
}
