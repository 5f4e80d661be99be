// SayHello with the ids a caller may send, and the request id the server
// answers with, read from the response headers whether the call succeeds or not.
import { DEFAULT_DEADLINE_MS, deadlineIn } from '@course/01-unary';
import type { GreeterClient } from '@course/proto/gen/greeter/v1/Greeter';
import type { HelloReply__Output } from '@course/proto/gen/greeter/v1/HelloReply';
import * as grpc from '@grpc/grpc-js';
import { REQUEST_ID, USER_ID } from './propagation.js';

export interface Ids {
  userId?: string;
  requestId?: string;
}

export interface Answer {
  reply?: HelloReply__Output;
  error?: grpc.ServiceError;
  /** The x-request-id of the response headers. */
  requestId?: string;
}

export function sayHelloWithIds(client: GreeterClient, name: string, { userId, requestId }: Ids = {}): Promise<Answer> {
  const metadata = new grpc.Metadata();
  if (userId !== undefined) metadata.set(USER_ID, userId);
  if (requestId !== undefined) metadata.set(REQUEST_ID, requestId);
  return new Promise((resolve) => {
    let answeredId: string | undefined;
    const call = client.SayHello({ name }, metadata, { deadline: deadlineIn(DEFAULT_DEADLINE_MS) }, (error, reply) =>
      resolve({ reply: reply ?? undefined, error: error ?? undefined, requestId: answeredId }),
    );
    // The headers arrive before the status, so this is set by the time the callback runs.
    call.on('metadata', (headers: grpc.Metadata) => {
      answeredId = headers.get(REQUEST_ID)[0] as string | undefined;
    });
  });
}
