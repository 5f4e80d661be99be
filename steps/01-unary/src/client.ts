// A Greeter client that puts a deadline on every call: a call without one can wait forever.

import type { GreeterClient } from '@course/proto/gen/greeter/v1/Greeter';
import type { HelloReply__Output } from '@course/proto/gen/greeter/v1/HelloReply';
import * as grpc from '@grpc/grpc-js';
import { greeterV1 } from './proto.js';

/** How long a unary call may take, end to end, before the client gives up. */
export const DEFAULT_DEADLINE_MS = 2_000;

export interface ClientOptions {
  credentials?: grpc.ChannelCredentials;
  /** Channel options and client interceptors (from lesson 04 on). */
  channelOptions?: grpc.ClientOptions;
}

export function createGreeterClient(target: string, options: ClientOptions = {}): GreeterClient {
  return new greeterV1.Greeter(target, options.credentials ?? grpc.credentials.createInsecure(), options.channelOptions);
}

/** A deadline `ms` from now, as CallOptions take it. */
export function deadlineIn(ms: number): Date {
  return new Date(Date.now() + ms);
}

/** SayHello as a promise; rejects with the grpc-js ServiceError on a non-OK status. */
export function sayHello(
  client: GreeterClient,
  name: string,
  options: grpc.CallOptions = {},
  metadata: grpc.Metadata = new grpc.Metadata(),
): Promise<HelloReply__Output> {
  return new Promise((resolve, reject) => {
    client.SayHello({ name }, metadata, { deadline: deadlineIn(DEFAULT_DEADLINE_MS), ...options }, (err, reply) =>
      err || !reply ? reject(err) : resolve(reply),
    );
  });
}
