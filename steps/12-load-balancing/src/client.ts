// A client that balances: the policy and the retry rules are a service
// config handed to the channel, and each answer says which backend gave it.
import { DEFAULT_DEADLINE_MS, deadlineIn } from '@course/01-unary';
import { createGreeterClient, type MetricsClientOptions } from '@course/08-prometheus-metrics';
import type { GreeterClient } from '@course/proto/gen/greeter/v1/Greeter';
import type * as grpc from '@grpc/grpc-js';
import { BACKEND_HEADER } from './backend.js';

export type Policy = 'round_robin' | 'pick_first';

export interface BalancingOptions {
  policy: Policy;
  /**
   * Retry UNAVAILABLE (up to 3 attempts) and wait for a ready backend
   * instead of failing at once when none is: what rides out a backend's loss.
   */
  retry?: boolean;
}

/** The service config: grpc-js reads `loadBalancingConfig` from it, and ignores `grpc.lb_policy_name`. */
export function serviceConfig({ policy, retry = false }: BalancingOptions): object {
  return {
    loadBalancingConfig: [{ [policy]: {} }],
    ...(retry && {
      methodConfig: [
        {
          name: [{ service: 'greeter.v1.Greeter' }],
          waitForReady: true,
          retryPolicy: {
            maxAttempts: 3,
            initialBackoff: '0.05s',
            maxBackoff: '0.5s',
            backoffMultiplier: 2,
            retryableStatusCodes: ['UNAVAILABLE'],
          },
        },
      ],
    }),
  };
}

/** Lesson 08's client on a balancing channel: one channel, a subchannel per address the target resolves to. */
export function createBalancedClient(target: string, balancing: BalancingOptions, options: MetricsClientOptions): GreeterClient {
  return createGreeterClient(target, {
    ...options,
    channelOptions: { ...options.channelOptions, 'grpc.service_config': JSON.stringify(serviceConfig(balancing)) },
  });
}

export interface Answer {
  /** The `x-backend` of the response headers, or of the trailers when none came; undefined when the call never reached a backend. */
  backend?: string;
  error?: grpc.ServiceError;
  ms: number;
}

/** SayHello, answered with where it went and how it ended; never rejects. */
export function sayHelloFrom(client: GreeterClient, name: string, deadlineMs = DEFAULT_DEADLINE_MS): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve) => {
    let headers: grpc.Metadata | undefined;
    const call = client.SayHello({ name }, { deadline: deadlineIn(deadlineMs) }, (error) => {
      // A status sent alone ("trailers-only") carries it in the trailers: the error's metadata.
      const [backend] = (headers ?? error?.metadata)?.get(BACKEND_HEADER) ?? [];
      resolve({ backend: backend as string | undefined, error: error ?? undefined, ms: performance.now() - started });
    });
    // The headers arrive before the status: set by the time the callback runs.
    call.on('metadata', (received: grpc.Metadata) => {
      headers = received;
    });
  });
}

/** How many answers each backend gave, by id, in id order. */
export function spread(answers: Answer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { backend, error } of answers) if (!error && backend) counts[backend] = (counts[backend] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}
