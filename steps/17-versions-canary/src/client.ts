// Clients of both versions through one address, each reply with the release
// that answered it (the `x-version` trailer), and, for a machine without a
// proxy, the same weighted split made on the client.
import { DEFAULT_DEADLINE_MS, deadlineIn } from '@course/01-unary';
import { defaultDeadlineInterceptor } from '@course/04-interceptors';
import { type ChannelTlsOptions, channelCredentials } from '@course/06-tls';
import type { GreeterClient } from '@course/proto/gen/greeter/v1/Greeter';
import type { GreeterClient as GreeterV2Client } from '@course/proto/gen/greeter/v2/Greeter';
import type { PersonName } from '@course/proto/gen/greeter/v2/PersonName';
import type * as grpc from '@grpc/grpc-js';
import { VERSION_TRAILER } from './deployment.js';
import { greeterV2 } from './versions.js';

/** A greeter.v2 client with what every client since lesson 06 has: our CA, the token, a default deadline. */
export function createGreeterV2Client(
  target: string,
  options: ChannelTlsOptions & { channelOptions?: grpc.ChannelOptions },
): GreeterV2Client {
  const { channelOptions, ...tls } = options;
  return new greeterV2.Greeter(target, channelCredentials(tls), {
    ...channelOptions,
    interceptors: [defaultDeadlineInterceptor(DEFAULT_DEADLINE_MS), ...(channelOptions?.interceptors ?? [])],
  });
}

export interface Reply {
  /** The release that answered, from the trailers; undefined when no deployment did. */
  version?: string;
  message?: string;
  error?: grpc.ServiceError;
}

type Unary<Request> = (
  request: Request,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, reply?: { message: string }) => void,
) => grpc.ClientUnaryCall;

/** One SayHello of either version, resolved with who answered it; never rejects. */
function call<Request>(sayHello: Unary<Request>, request: Request): Promise<Reply> {
  return new Promise((resolve) => {
    let answer: Reply = {};
    const unary = sayHello(request, { deadline: deadlineIn(DEFAULT_DEADLINE_MS) }, (error, reply) => {
      answer = { message: reply?.message, error: error ?? undefined };
    });
    // grpc-js emits 'status' (with the trailers) just after it runs the callback.
    unary.on('status', (status: grpc.StatusObject) => {
      resolve({ ...answer, version: status.metadata.get(VERSION_TRAILER)[0] as string | undefined });
    });
  });
}

export const sayHelloV1 = (client: GreeterClient, name: string) => call(client.SayHello.bind(client) as Unary<{ name: string }>, { name });
export const sayHelloV2 = (client: GreeterV2Client, name: PersonName) =>
  call(client.SayHello.bind(client) as Unary<{ name: PersonName }>, { name });

/** How many replies each release gave, and how many calls failed. */
export function split(replies: Reply[]): { byVersion: Record<string, number>; failed: number } {
  const byVersion: Record<string, number> = {};
  let failed = 0;
  for (const { version, error } of replies) {
    if (error) failed++;
    else if (version) byVersion[version] = (byVersion[version] ?? 0) + 1;
  }
  return { byVersion: Object.fromEntries(Object.entries(byVersion).sort(([a], [b]) => a.localeCompare(b))), failed };
}

/** Calls make(i) for i = 0 … count − 1, at most `concurrency` at a time; the replies in call order. */
export async function many(count: number, make: (i: number) => Promise<Reply>, concurrency = 8): Promise<Reply[]> {
  const replies: Reply[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      replies[i] = await make(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return replies;
}

/**
 * What HAProxy's `balance roundrobin` does with weights, done by the client
 * when there is no proxy: smooth weighted round robin (each pick, every
 * choice gains its weight and the one picked loses the total), so 90/10
 * gives exactly 9 of every 10 calls to stable, spread out, not in a block.
 */
export class WeightedChoice<T> {
  private readonly current: number[];
  constructor(
    private readonly choices: T[],
    private weights: number[],
  ) {
    this.current = choices.map(() => 0);
  }
  setWeights(weights: number[]): void {
    this.weights = weights;
  }
  pick(): T {
    const total = this.weights.reduce((a, b) => a + b, 0);
    let best = 0;
    for (let i = 0; i < this.choices.length; i++) {
      this.current[i] = (this.current[i] ?? 0) + (this.weights[i] ?? 0);
      if ((this.current[i] ?? 0) > (this.current[best] ?? 0)) best = i;
    }
    this.current[best] = (this.current[best] ?? 0) - total;
    return this.choices[best] as T;
  }
}
