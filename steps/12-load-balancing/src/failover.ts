// A backend lost under load: callers keep calling while one backend dies,
// and this counts what the switch cost them.
import type { GreeterClient } from '@course/proto/gen/greeter/v1/Greeter';
import { type Answer, sayHelloFrom } from './client.js';

export interface Timed extends Answer {
  /** When the call started and ended, in ms since the load began. */
  start: number;
  end: number;
}

export interface Failover {
  calls: number;
  failed: Timed[];
  /** Calls started before the loss and still running when it came. */
  inFlight: Timed[];
  /** From the loss until the last call in flight at it, or the last failure, ended. */
  switchMs: number;
  /** Calls started after the loss that the lost backend still answered (0 once the balancer has noticed). */
  toLostAfter: number;
  /** The slowest call in flight at the loss. */
  slowestMs: number;
}

/** Runs `concurrency` callers one call after another for `durationMs`, calling `lose()` at `loseAtMs`. */
export async function loseUnderLoad(
  client: GreeterClient,
  {
    concurrency = 8,
    durationMs = 1_200,
    loseAtMs = 400,
    lost,
    lose,
  }: {
    concurrency?: number;
    durationMs?: number;
    loseAtMs?: number;
    /** The id of the backend lose() takes away. */
    lost: string;
    lose(): void;
  },
): Promise<Failover> {
  const began = performance.now();
  const now = () => performance.now() - began;
  const answers: Timed[] = [];
  let lostAt = Number.POSITIVE_INFINITY;
  const timer = setTimeout(() => {
    lostAt = now();
    lose();
  }, loseAtMs);
  const caller = async () => {
    while (now() < durationMs) {
      const start = now();
      const answer = await sayHelloFrom(client, 'load');
      answers.push({ ...answer, start, end: now() });
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, caller));
  } finally {
    clearTimeout(timer);
  }
  const inFlight = answers.filter((a) => a.start < lostAt && a.end >= lostAt);
  const failed = answers.filter((a) => a.error);
  const affected = [...inFlight, ...failed];
  return {
    calls: answers.length,
    failed,
    inFlight,
    switchMs: affected.length === 0 ? 0 : Math.max(...affected.map((a) => a.end)) - lostAt,
    toLostAfter: answers.filter((a) => a.start > lostAt && a.backend === lost && !a.error).length,
    slowestMs: Math.max(0, ...inFlight.map((a) => a.ms)),
  };
}

/** Calls until `count` different backends have answered (each subchannel is then READY), at most `limit` calls. */
export async function untilAllAnswer(client: GreeterClient, count: number, limit = 100): Promise<number> {
  const seen = new Set<string>();
  for (let calls = 1; calls <= limit; calls++) {
    const { backend } = await sayHelloFrom(client, 'warm-up');
    if (backend) seen.add(backend);
    if (seen.size >= count) return calls;
  }
  throw new Error(`only ${seen.size} of ${count} backends answered in ${limit} calls`);
}
