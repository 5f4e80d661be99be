// NATS JetStream as the broker: the event id as the message id, so the stream
// drops a repeat within its duplicate window; the PubAck awaited before the
// event leaves the outbox; a durable consumer with explicit acks.

import { setTimeout as sleep } from 'node:timers/promises';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type Broker, BrokerUnavailable } from './broker.js';
import { GREETED_SUBJECT } from './events.js';

export const EVENTS_STREAM = 'EVENTS';

/** How long one publish waits for its PubAck before the relay tries again. */
const PUBLISH_TIMEOUT_MS = 2_000;
/** Between attempts at a first connection. */
const RECONNECT_MS = 250;

export class NatsBroker implements Broker {
  readonly name: string;
  private nc?: NatsConnection;
  private stream?: Promise<unknown>;
  private readonly closing = new AbortController();
  private readonly connected: Promise<void>;

  constructor(private readonly url: string) {
    this.name = `NATS JetStream at ${url}`;
    this.connected = this.connectLoop();
  }

  /**
   * Connects in the background, trying again until it can: the greeting
   * never waits for it, and a publish before then fails at once. Once
   * connected, the client reconnects by itself after every outage.
   */
  private async connectLoop(): Promise<void> {
    while (!this.closing.signal.aborted) {
      try {
        const nc = await connect({ servers: this.url, name: 'greeter', maxReconnectAttempts: -1, reconnectTimeWait: 250 });
        if (this.closing.signal.aborted) await nc.close();
        else this.nc = nc;
        return;
      } catch {
        await sleep(RECONNECT_MS, undefined, { signal: this.closing.signal }).catch(() => {});
      }
    }
  }

  /** The stream, made on first use; kept in the server's store across its restarts. */
  private async ready(): Promise<NatsConnection> {
    const nc = this.nc;
    if (nc === undefined) throw new BrokerUnavailable(`not connected to ${this.url} yet`);
    this.stream ??= jetstreamManager(nc)
      .then((jsm) => jsm.streams.add({ name: EVENTS_STREAM, subjects: ['events.>'] }))
      .catch((err) => {
        this.stream = undefined;
        throw err;
      });
    await this.stream;
    return nc;
  }

  async publish(eventId: string, body: Uint8Array): Promise<void> {
    const nc = await this.ready();
    await jetstream(nc).publish(GREETED_SUBJECT, body, { msgID: eventId, timeout: PUBLISH_TIMEOUT_MS });
  }

  async consume(group: string, handle: (body: Uint8Array) => Promise<void>): Promise<{ stop(): Promise<void> }> {
    await this.connected;
    const nc = await this.ready();
    const jsm = await jetstreamManager(nc);
    await jsm.consumers.add(EVENTS_STREAM, { durable_name: group, ack_policy: AckPolicy.Explicit, filter_subject: GREETED_SUBJECT });
    const messages = await jetstream(nc)
      .consumers.get(EVENTS_STREAM, group)
      .then((c) => c.consume({ max_messages: 64 }));
    const loop = (async () => {
      for await (const m of messages) {
        try {
          await handle(m.data);
          m.ack();
        } catch {
          m.nak();
        }
      }
    })();
    return {
      async stop() {
        await messages.close();
        await loop;
      },
    };
  }

  async close(): Promise<void> {
    this.closing.abort();
    await this.connected;
    await this.nc?.drain().catch(() => this.nc?.close());
  }
}
