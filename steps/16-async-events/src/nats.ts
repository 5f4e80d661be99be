// NATS JetStream as the broker: the event id as the message id, so the stream
// drops a repeat within its duplicate window; the PubAck awaited before the
// event leaves the outbox; a durable consumer with explicit acks.
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Broker } from './broker.js';
import { GREETED_SUBJECT } from './events.js';

export const EVENTS_STREAM = 'EVENTS';

/** How long one publish waits for its PubAck before the relay tries again. */
const PUBLISH_TIMEOUT_MS = 2_000;

export class NatsBroker implements Broker {
  readonly name: string;
  private readonly connection: Promise<NatsConnection>;
  private stream?: Promise<unknown>;

  constructor(url: string) {
    this.name = `NATS JetStream at ${url}`;
    // Connected in the background, and again after every outage: the greeting
    // never waits for it, the relay does.
    this.connection = connect({
      servers: url,
      name: 'greeter',
      waitOnFirstConnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    });
    this.connection.catch(() => {});
  }

  /** The stream, made on first use; kept in the server's store across its restarts. */
  private async ready(): Promise<NatsConnection> {
    const nc = await this.connection;
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
    // A connection still waiting for its first server is closed once it has one; not waited for.
    const nc = await Promise.race([this.connection, new Promise<undefined>((resolve) => setImmediate(resolve, undefined))]);
    await nc?.drain().catch(() => nc.close());
  }
}
