// Calls in flight across a stop: server streams that are still running when
// the SIGTERM comes, counted message by message, so "none lost" is a number.
import { streamGreetings } from '@course/02-server-streaming';
import type { GreeterClient } from '@course/proto/gen/greeter/v1/Greeter';
import * as grpc from '@grpc/grpc-js';

export interface InFlight {
  /** Resolves once every stream has had its first greeting: all of them are in flight. */
  running: Promise<void>;
  /** Greetings received so far, over all streams. */
  received(): number;
  /** When every stream has ended: how many ended OK, the status of each that did not, the greetings received. */
  settled: Promise<{ ok: number; failed: string[]; received: number }>;
}

/** `streams` StreamGreetings of `perStream` greetings each (paced 100 ms apart by lesson 02's server). */
export function streamsInFlight(client: GreeterClient, streams: number, perStream: number): InFlight {
  let received = 0;
  const firsts: Promise<void>[] = [];
  const outcomes = Array.from({ length: streams }, (_, i) => {
    const stream = streamGreetings(client, `stream-${i + 1}`, perStream);
    firsts.push(
      new Promise((resolve, reject) => {
        stream.once('data', () => resolve());
        stream.once('error', reject);
      }),
    );
    stream.on('data', () => {
      received++;
    });
    return new Promise<string>((resolve) => {
      stream.on('error', (err: grpc.ServiceError) => resolve(grpc.status[err.code] ?? String(err.code)));
      stream.on('end', () => resolve('OK'));
    });
  });
  const settled = Promise.all(outcomes).then((all) => ({
    ok: all.filter((o) => o === 'OK').length,
    failed: all.filter((o) => o !== 'OK'),
    received,
  }));
  const running = Promise.all(firsts).then(() => {});
  running.catch(() => {});
  return { running, received: () => received, settled };
}
