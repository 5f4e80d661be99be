// The one small interface every broker adapter keeps, the in-process broker
// the demo runs on, and the choice between them from the environment.
import { ConfigError } from '@course/kit';

export interface Broker {
  /** Where the events go, for a row. */
  readonly name: string;
  /** Resolves once the broker has stored the event; the id lets it drop a repeat. */
  publish(eventId: string, body: Uint8Array): Promise<void>;
  /**
   * Hands each event to handle, in order, and acknowledges it once handle
   * resolves; an event whose handle throws is delivered again.
   */
  consume(group: string, handle: (body: Uint8Array) => Promise<void>): Promise<{ stop(): Promise<void> }>;
  close(): Promise<void>;
}

export class BrokerUnavailable extends Error {
  readonly code = 'EBROKER';
}

/**
 * A broker inside the process, for `pnpm step 16` without anything installed:
 * an append-only log, a read position per group, and a switch to make it
 * unavailable, as a broker outage would.
 */
export class InProcessBroker implements Broker {
  readonly name = 'in-process';
  available = true;
  private readonly log: Uint8Array[] = [];
  private readonly wakers = new Set<() => void>();

  async publish(_eventId: string, body: Uint8Array): Promise<void> {
    if (!this.available) throw new BrokerUnavailable('the in-process broker is unavailable');
    this.log.push(body);
    for (const wake of this.wakers) wake();
  }

  async consume(_group: string, handle: (body: Uint8Array) => Promise<void>): Promise<{ stop(): Promise<void> }> {
    let running = true;
    let wake = () => {};
    const waker = () => wake();
    this.wakers.add(waker);
    const loop = (async () => {
      let offset = 0;
      while (running) {
        const body = this.available ? this.log[offset] : undefined;
        if (body === undefined) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          continue;
        }
        try {
          await handle(body);
          offset++; // the acknowledgement
        } catch {
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
    })();
    return {
      stop: async () => {
        running = false;
        this.wakers.delete(waker);
        wake();
        await loop;
      },
    };
  }

  /** Back after an outage: consumers read on. */
  restore(): void {
    this.available = true;
    for (const wake of this.wakers) wake();
  }

  async close(): Promise<void> {}
}

/** EVENTS_BROKER=nats://host:port, or KAFKA_BROKERS=host:port,…; neither: the in-process broker. */
export async function brokerFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<Broker> {
  if (env.EVENTS_BROKER && env.KAFKA_BROKERS) throw new ConfigError('set EVENTS_BROKER or KAFKA_BROKERS, not both');
  if (env.EVENTS_BROKER) {
    if (!/^nats:\/\/[^\s/]+$/.test(env.EVENTS_BROKER)) {
      throw new ConfigError(`EVENTS_BROKER must look like nats://host:port, got '${env.EVENTS_BROKER}'`);
    }
    const { NatsBroker } = await import('./nats.js');
    return new NatsBroker(env.EVENTS_BROKER);
  }
  if (env.KAFKA_BROKERS) {
    const { KafkaBroker } = await import('./kafka.js');
    return new KafkaBroker(env.KAFKA_BROKERS.split(','));
  }
  return new InProcessBroker();
}
