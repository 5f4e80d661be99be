// The outbox relay: in the background, the oldest event to the broker, and
// out of the outbox once the broker has acknowledged it; one at a time, so
// they arrive in the order they were written. An outage is one warning line
// when it starts and one when it ends, and tries again with a growing pause.
import type { Logger } from '@course/04-interceptors';
import { Counter, type Registry } from 'prom-client';
import type { Broker } from './broker.js';
import type { Outbox } from './outbox.js';
import { Tally } from './tally.js';

const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 1_000;

export interface Relay {
  /** Events published since the start. */
  readonly published: number;
  /** Resolves once `published` reaches n. */
  until(n: number): Promise<void>;
  /** Waits for the current publish, then stops; what is left stays in the outbox. */
  stop(): Promise<void>;
}

export function startRelay(outbox: Outbox, broker: Broker, { logger, registry }: { logger?: Logger; registry?: Registry } = {}): Relay {
  const publishedTotal = new Counter({
    name: 'greeter_events_published_total',
    help: 'Greeted events the broker acknowledged.',
    registers: registry ? [registry] : [],
  });
  const published = new Tally();
  let running = true;
  let cancelWait = () => {};
  let pause: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      pause = { timer: setTimeout(resolve, ms), resolve };
    });

  const loop = (async () => {
    let failing: number | undefined;
    let retryMs = RETRY_MIN_MS;
    while (running) {
      const [event] = outbox.peek(1);
      if (!event) {
        const wait = outbox.whenNotEmpty();
        cancelWait = wait.cancel;
        await wait.ready;
        continue;
      }
      try {
        await broker.publish(event.eventId, event.body);
        outbox.delete(event.seq);
        published.add();
        publishedTotal.inc();
        if (failing !== undefined) {
          logger?.warn({ broker: broker.name, failed_attempts: failing, waiting: outbox.length }, 'broker back; delivering the outbox');
          failing = undefined;
          retryMs = RETRY_MIN_MS;
        }
      } catch (err) {
        if (failing === undefined && logger?.isLevelEnabled('warn')) {
          logger.warn({ broker: broker.name, reason: (err as Error).message }, 'broker unavailable; events wait in the outbox');
        }
        failing = (failing ?? 0) + 1;
        await sleep(retryMs);
        retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
      }
    }
  })();

  return {
    get published() {
      return published.count;
    },
    until: (n) => published.until(n),
    async stop() {
      running = false;
      cancelWait();
      if (pause) {
        clearTimeout(pause.timer);
        pause.resolve();
      }
      await loop;
    },
  };
}
