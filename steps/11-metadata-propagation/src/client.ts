// SayHello with the ids a caller may send, and the request id the server
// answers with: in the response headers, or in the trailers of a call
// answered without headers (a failure, "trailers-only").
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
  /** The x-request-id of the response headers, or of the trailers when no headers came. */
  requestId?: string;
  /** Where it came: a call that fails before any response is answered with trailers alone. */
  requestIdIn?: 'headers' | 'trailers';
}

export function sayHelloWithIds(client: GreeterClient, name: string, { userId, requestId }: Ids = {}): Promise<Answer> {
  const metadata = new grpc.Metadata();
  if (userId !== undefined) metadata.set(USER_ID, userId);
  if (requestId !== undefined) metadata.set(REQUEST_ID, requestId);
  return new Promise((resolve) => {
    let headers: grpc.Metadata | undefined;
    const call = client.SayHello({ name }, metadata, { deadline: deadlineIn(DEFAULT_DEADLINE_MS) }, (error, reply) => {
      // A failed call's error carries its trailers (`error.metadata`).
      const inHeaders = headers?.get(REQUEST_ID)[0];
      const inTrailers = error?.metadata?.get(REQUEST_ID)[0];
      resolve({
        reply: reply ?? undefined,
        error: error ?? undefined,
        ...(typeof inHeaders === 'string'
          ? { requestId: inHeaders, requestIdIn: 'headers' }
          : typeof inTrailers === 'string' && { requestId: inTrailers, requestIdIn: 'trailers' }),
      });
    });
    // The headers arrive before the status, so this is set by the time the callback runs.
    call.on('metadata', (received: grpc.Metadata) => {
      headers = received;
    });
  });
}
