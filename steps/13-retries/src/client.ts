// Retries as configuration: a retryPolicy, a per-method timeout and
// waitForReady in the channel's service config, retry throttling beside
// them; grpc-js makes the attempts, and each answer says how many it took.
import { randomUUID } from 'node:crypto';
import { DEFAULT_DEADLINE_MS, deadlineIn } from '@course/01-unary';
import { createGreeterClient, type MetricsClientOptions } from '@course/08-prometheus-metrics';
import { REQUEST_ID } from '@course/11-metadata-propagation';
import { type Policy, serviceConfig } from '@course/12-load-balancing';
import type { GreeterClient } from '@course/proto/gen/greeter/v1/Greeter';
import * as grpc from '@grpc/grpc-js';
import { PREVIOUS_ATTEMPTS, WORK_HEADER } from './server.js';

export interface RetryOptions {
  policy?: Policy;
  /** Attempts in all, the first included; grpc-js caps it at 5 unless `attemptsLimit` is raised. */
  maxAttempts?: number;
  /** The first backoff, in seconds; each next one is `backoffMultiplier` times longer, up to `maxBackoffS`. ±20% jitter. */
  initialBackoffS?: number;
  maxBackoffS?: number;
  backoffMultiplier?: number;
  /** The method's timeout, in seconds: the deadline of a call that sets none, and the latest of one that sets a later one. */
  timeoutS?: number;
  /** `retryThrottling`: a token bucket per target; retries stop while it holds half of maxTokens or less. */
  throttling?: { maxTokens: number; tokenRatio: number };
}

/** Seconds as a service config duration: "0.05s". */
const duration = (s: number) => `${s}s`;

/**
 * The same with all nine digits: grpc-js 1.14 reads a `timeout`'s fraction
 * as nanoseconds as written ("0.3s" is 3 ns, service-config.ts); the
 * backoffs it reads as a decimal number, so they need no padding.
 */
const timeoutDuration = (s: number) => `${s.toFixed(9)}s`;

/** Lesson 12's service config (the balancing policy) with a retrying methodConfig for the Greeter. */
export function retryServiceConfig({
  policy = 'round_robin',
  maxAttempts = 4,
  initialBackoffS = 0.05,
  maxBackoffS = 0.5,
  backoffMultiplier = 2,
  timeoutS = 5,
  throttling,
}: RetryOptions = {}): object {
  return {
    ...serviceConfig({ policy }),
    methodConfig: [
      {
        name: [{ service: 'greeter.v1.Greeter' }],
        // A call waits for a connection (until its deadline) instead of failing at once while none is up.
        waitForReady: true,
        timeout: timeoutDuration(timeoutS),
        retryPolicy: {
          maxAttempts,
          initialBackoff: duration(initialBackoffS),
          maxBackoff: duration(maxBackoffS),
          backoffMultiplier,
          // Only what says "not done, try again": never INVALID_ARGUMENT, never DEADLINE_EXCEEDED.
          retryableStatusCodes: ['UNAVAILABLE'],
        },
      },
    ],
    ...(throttling && { retryThrottling: throttling }),
  };
}

export interface RetryClientOptions extends MetricsClientOptions {
  /** grpc-js's own cap on maxAttempts (channel option `grpc-node.retry_max_attempts_limit`, default 5). */
  attemptsLimit?: number;
}

export function createRetryingClient(
  target: string,
  retry: RetryOptions,
  { attemptsLimit, ...options }: RetryClientOptions,
): GreeterClient {
  return createGreeterClient(target, {
    ...options,
    channelOptions: {
      ...options.channelOptions,
      'grpc.service_config': JSON.stringify(retryServiceConfig(retry)),
      ...(attemptsLimit !== undefined && { 'grpc-node.retry_max_attempts_limit': attemptsLimit }),
    },
  });
}

export interface CallOptions {
  /** Infinity sets no deadline: the method's `timeout` is then the only one. */
  deadlineMs?: number;
  /** Asks the server to work this long first (`x-work-ms`). */
  workMs?: number;
  /** Default: a new one per call, so that the server can group its attempts. */
  requestId?: string;
}

export interface Attempted {
  /**
   * How many attempts the call took, from `grpc-previous-rpc-attempts` on the
   * answer grpc-js hands back; undefined when the client itself ended the call
   * (its deadline): that status carries no metadata.
   */
  attempts?: number;
  code: grpc.status;
  details: string;
  ms: number;
}

/** SayHello, answered with how many attempts it took, how it ended and how long it took; never rejects. */
export function sayHelloAttempted(
  client: GreeterClient,
  name: string,
  { deadlineMs = DEFAULT_DEADLINE_MS, workMs, requestId = randomUUID() }: CallOptions = {},
): Promise<Attempted> {
  const metadata = new grpc.Metadata();
  metadata.set(REQUEST_ID, requestId);
  if (workMs !== undefined) metadata.set(WORK_HEADER, String(workMs));
  const started = performance.now();
  return new Promise((resolve) => {
    let headers: grpc.Metadata | undefined;
    const call = client.SayHello(
      { name },
      metadata,
      { deadline: deadlineMs === Number.POSITIVE_INFINITY ? Infinity : deadlineIn(deadlineMs) },
      (error) => {
        // grpc-js adds the count to the headers of the attempt it kept, or to the trailers of a call that ends without any.
        const [previous] = (headers ?? error?.metadata)?.get(PREVIOUS_ATTEMPTS) ?? [];
        const fromClient =
          error?.code === grpc.status.DEADLINE_EXCEEDED && previous === undefined && error.details.startsWith('Deadline exceeded');
        resolve({
          attempts: fromClient ? undefined : Number(previous ?? 0) + 1,
          code: error?.code ?? grpc.status.OK,
          details: error?.details ?? '',
          ms: performance.now() - started,
        });
      },
    );
    call.on('metadata', (received: grpc.Metadata) => {
      headers = received;
    });
  });
}
