// Mixed traffic for the dashboard to show: greetings that succeed, fail, take
// long or are cancelled, sent at a steady rate whatever the answers, and
// counted by the code each call ended with.
import { sayHello } from '@course/01-unary';
import { streamGreetings } from '@course/02-server-streaming';
import type { GreeterClient } from '@course/proto/gen/greeter/v1/Greeter';
import * as grpc from '@grpc/grpc-js';

/** What one call of the mix does. */
export type CallKind = 'ok' | 'invalid' | 'unauthenticated' | 'slow' | 'cancel';

/**
 * One round of the mix, repeated: 13 quick greetings, 3 slow ones (a stream
 * of three, 100 ms apart), 2 refused for an empty name, 1 with a wrong token,
 * 1 stream the caller cancels. Fixed, not random, so that any stretch of the
 * run has the same shares, which is what a rate over a window measures.
 */
export const MIX: readonly CallKind[] = [
  'ok',
  'slow',
  'ok',
  'invalid',
  'ok',
  'ok',
  'slow',
  'ok',
  'unauthenticated',
  'ok',
  'ok',
  'cancel',
  'ok',
  'slow',
  'ok',
  'invalid',
  'ok',
  'ok',
  'ok',
  'ok',
];

export interface LoadClients {
  /** A client with the server's token. */
  client: GreeterClient;
  /** One with a token the server does not accept. */
  stranger: GreeterClient;
}

export interface Progress {
  /** Whole seconds since the start. */
  second: number;
  /** Calls ended in the last second, per second. */
  rate: number;
  /** Share of all calls so far that ended with a code other than OK. */
  errorShare: number;
  /** p99 of the calls ended in the last second, in ms (undefined when none did). */
  p99Ms: number | undefined;
}

export interface LoadResult {
  calls: number;
  /** Calls by the code they ended with, as grpc-js names it (OK, INVALID_ARGUMENT, ...). */
  byCode: Record<string, number>;
  errorShare: number;
  p99Ms: number | undefined;
  seconds: number;
}

export interface LoadOptions {
  seconds: number;
  /** Calls started per second. */
  rate: number;
  /** Called once a second while the load runs. */
  onProgress?: (progress: Progress) => void;
}

/** The code a call ended with, from the mix's point of view. */
function codeOf(err: unknown): string {
  const code = (err as grpc.ServiceError | undefined)?.code;
  return typeof code === 'number' ? grpc.status[code] : 'UNKNOWN';
}

function cancelledStream(client: GreeterClient): Promise<void> {
  return new Promise((resolve, reject) => {
    const call = streamGreetings(client, 'Fay', 5);
    call.once('data', () => call.cancel());
    call.on('error', reject);
    call.on('end', resolve);
  });
}

function callOf(kind: CallKind, { client, stranger }: LoadClients): Promise<unknown> {
  switch (kind) {
    case 'ok':
      return sayHello(client, 'Ada');
    case 'invalid':
      return sayHello(client, '');
    case 'unauthenticated':
      return sayHello(stranger, 'Eve');
    case 'slow':
      return streamGreetings(client, 'Dee', 3).toArray();
    case 'cancel':
      return cancelledStream(client);
  }
}

/** The q-quantile (0..1) of some durations, nearest rank. */
export function quantile(values: number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

export async function runLoad(clients: LoadClients, { seconds, rate, onProgress }: LoadOptions): Promise<LoadResult> {
  const byCode: Record<string, number> = {};
  const durations: number[] = [];
  let recent: number[] = [];
  let calls = 0;
  let errors = 0;
  const pending = new Set<Promise<void>>();
  const start = performance.now();
  const end = start + seconds * 1000;
  let second = 0;
  const tick = () => {
    second++;
    onProgress?.({ second, rate: recent.length, errorShare: calls ? errors / calls : 0, p99Ms: quantile(recent, 0.99) });
    recent = [];
  };
  const progress = setInterval(tick, 1000);
  try {
    for (let i = 0; ; i++) {
      // Open loop: call i starts at its time, however long the earlier ones take.
      const at = start + (i * 1000) / rate;
      if (at >= end) break;
      const wait = at - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const began = performance.now();
      const call = callOf(MIX[i % MIX.length] as CallKind, clients).then(
        () => 'OK',
        (err: unknown) => codeOf(err),
      );
      const done = call.then((code) => {
        const ms = performance.now() - began;
        durations.push(ms);
        recent.push(ms);
        calls++;
        if (code !== 'OK') errors++;
        byCode[code] = (byCode[code] ?? 0) + 1;
        pending.delete(done);
      });
      pending.add(done);
    }
    await Promise.all(pending);
  } finally {
    clearInterval(progress);
  }
  // One line per second of the run, however the last timer and the last calls' ends fell.
  while (second < seconds) tick();
  return { calls, byCode, errorShare: calls ? errors / calls : 0, p99Ms: quantile(durations, 0.99), seconds };
}
