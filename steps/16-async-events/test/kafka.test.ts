// The same path through a real Kafka broker (KRaft, e.g. `docker compose up
// kafka`) when KAFKA_BROKERS names one; skipped with its reason otherwise:
// no Kafka broker can run on the CI machine.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sayHello } from '@course/01-unary';
import { createLogger } from '@course/04-interceptors';
import { createGreeterClient } from '@course/08-prometheus-metrics';
import { startLoggerServer } from '@course/11-metadata-propagation';
import { temporaryCertificates } from '@course/kit/temporary-certs';
import { afterAll, describe, expect, it } from 'vitest';
import { startAnalytics, startGreeterServer } from '../src/index.js';
import { KafkaBroker } from '../src/kafka.js';

const brokers = process.env.KAFKA_BROKERS?.split(',');

describe('events through Kafka', () => {
  it.skipIf(!brokers)(
    'N greetings give N events, each consumed once (skipped: KAFKA_BROKERS is not set)',
    { timeout: 60_000 },
    async () => {
      const { certs, remove } = await temporaryCertificates('course-kafka-');
      const dir = mkdtempSync(join(tmpdir(), 'lesson-16-kafka-'));
      afterAll(() => {
        remove();
        rmSync(dir, { recursive: true, force: true });
      });
      const silent = createLogger({ level: 'silent' });
      const ANY_PORT = { host: '127.0.0.1', port: 0 };
      const run = randomUUID().slice(0, 8);
      const names = Array.from({ length: 10 }, (_, i) => `kafka ${run} ${i}`);
      const consumerSide = new KafkaBroker(brokers as string[]);
      const seen: string[] = [];
      let allSeen = () => {};
      const done = new Promise<void>((resolve) => {
        allSeen = resolve;
      });
      // The topic holds earlier runs' events too: this run's are told apart by name.
      const analytics = await startAnalytics(consumerSide, {
        group: `analytics-${run}`,
        onEvent: (e) => {
          if (e.name.includes(run)) seen.push(e.name);
          if (seen.length === names.length) allSeen();
        },
      });
      const logger = await startLoggerServer({ certs, logger: silent, metricsAddress: ANY_PORT });
      const broker = new KafkaBroker(brokers as string[]);
      const greeter = await startGreeterServer({
        certs,
        token: 'kafka-token',
        logger: silent,
        metricsAddress: ANY_PORT,
        loggerTarget: `localhost:${logger.port}`,
        outboxPath: join(dir, 'outbox.db'),
        broker,
      });
      const client = createGreeterClient(`localhost:${greeter.port}`, { ca: certs.ca, token: 'kafka-token' });
      try {
        for (const name of names) await sayHello(client, name);
        await done;
        expect(seen).toEqual(names);
        expect(analytics.duplicates).toBe(0);
      } finally {
        client.close();
        await greeter.stop();
        await broker.close();
        await logger.stop();
        await analytics.stop();
        await consumerSide.close();
      }
    },
  );
});
