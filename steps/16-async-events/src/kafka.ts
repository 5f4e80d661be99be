// Kafka as the broker, with kafkajs: an idempotent producer (the broker drops
// a retried batch it already has), acks from all in-sync replicas, one request
// in flight so order holds; a consumer group that commits each offset itself.
import { Kafka, logLevel, type Producer } from 'kafkajs';
import type { Broker } from './broker.js';
import { GREETED_SUBJECT } from './events.js';

export class KafkaBroker implements Broker {
  readonly name: string;
  private readonly kafka: Kafka;
  private producer?: Promise<Producer>;
  private readonly closers: (() => Promise<void>)[] = [];

  constructor(brokers: string[]) {
    this.name = `Kafka at ${brokers.join(',')}`;
    this.kafka = new Kafka({ clientId: 'greeter', brokers, logLevel: logLevel.NOTHING, retry: { retries: 2 } });
  }

  private connected(): Promise<Producer> {
    this.producer ??= (async () => {
      const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true });
      await producer.connect();
      this.closers.push(() => producer.disconnect());
      return producer;
    })().catch((err) => {
      this.producer = undefined;
      throw err;
    });
    return this.producer;
  }

  async publish(eventId: string, body: Uint8Array): Promise<void> {
    const producer = await this.connected();
    // Kafka keeps order within a partition: all events in one, as the outbox
    // relay sends them. A busier service keys by user, for order per user.
    // The event id rides as a header too: a consumer can skip a repeat without decoding it.
    await producer.send({
      topic: GREETED_SUBJECT,
      acks: -1,
      messages: [{ partition: 0, value: Buffer.from(body), headers: { 'event-id': eventId } }],
    });
  }

  async consume(group: string, handle: (body: Uint8Array) => Promise<void>): Promise<{ stop(): Promise<void> }> {
    const consumer = this.kafka.consumer({ groupId: group });
    await consumer.connect();
    await consumer.subscribe({ topic: GREETED_SUBJECT, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        // A throw here makes kafkajs deliver the message again; the commit is the ack.
        await handle(message.value ?? new Uint8Array());
        await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
      },
    });
    const stop = () => consumer.disconnect();
    this.closers.push(stop);
    return { stop };
  }

  async close(): Promise<void> {
    await Promise.all(this.closers.splice(0).map((close) => close()));
  }
}
