// Lesson 16 as the step runner drives it: greetings answered at once, their
// events through the outbox to a broker and a consumer that handles each
// once; then the broker down, greetings still answered, and nothing lost.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sayHello } from '@course/01-unary';
import { createLogger } from '@course/04-interceptors';
import { startMetricsExporter } from '@course/08-prometheus-metrics';
import type { LoggingGreeterOptions } from '@course/10-two-services';
import { serveWithLogger, withBothServers } from '@course/10-two-services/lesson';
import { logFields, startLoggerServer } from '@course/11-metadata-propagation';
import { lesson as propagationLesson } from '@course/11-metadata-propagation/lesson';
import { lesson as previousLesson } from '@course/15-dashboards/lesson';
import { ConfigError, type Lesson, parsePositiveInt, row, type ServeContext, type ServerMode } from '@course/kit';
import { Gauge, Registry } from 'prom-client';
import { brokerFromEnv, InProcessBroker } from './broker.js';
import { type Analytics, startAnalytics } from './consumer.js';
import type { Greeted } from './events.js';
import { DEFAULT_OUTBOX_CAPACITY } from './outbox.js';
import { type EventsGreeterHandle, startGreeterServer } from './server.js';

const STEP_DIR = fileURLToPath(new URL('..', import.meta.url));

export function describeEvent(e: Greeted): string {
  return `Greeted "${e.name}", user ${e.userId || '-'}, request ${e.requestId}, id ${e.eventId.slice(0, 8)}`;
}

/**
 * `serve`: the Greeter and its Logger as lesson 11 runs them, the outbox, the
 * broker from the environment. A later lesson passes its own Greeter (18: limits).
 */
export function serveWithEvents(context: ServeContext, startGreeter: typeof startGreeterServer = startGreeterServer) {
  const { flags, port } = context;
  const outboxPath = String(flags.outbox ?? process.env.OUTBOX_PATH ?? join(tmpdir(), `grpc-course-outbox-${port}.db`));
  const capacity =
    flags['outbox-capacity'] === undefined ? DEFAULT_OUTBOX_CAPACITY : parsePositiveInt(flags['outbox-capacity'], '--outbox-capacity');
  let analytics: Analytics | undefined;
  let greeter: EventsGreeterHandle | undefined;
  const start = async (options: LoggingGreeterOptions) => {
    const broker = await brokerFromEnv();
    greeter = await startGreeter({ ...options, outboxPath, outboxCapacity: capacity, broker });
    row('events', `${broker.name}; outbox ${outboxPath} (${greeter.outbox.length} waiting)`);
    // The in-process broker lives here, so its consumer must too; a real broker's runs where it likes.
    if (broker instanceof InProcessBroker) analytics = await startAnalytics(broker, { onEvent: (e) => row('event', describeEvent(e)) });
    const handle = greeter;
    return {
      ...handle,
      async stop() {
        await handle.stop();
        await analytics?.stop();
        await broker.close();
      },
    };
  };
  return serveWithLogger(STEP_DIR, start)(context);
}

/** The step's `consumer` mode: the analytics consumer alone, on a real broker, its counts as metrics on --port. */
const consumerMode: ServerMode = {
  description: 'runs the analytics consumer alone, on EVENTS_BROKER or KAFKA_BROKERS; its metrics on --port',
  defaultPort: 9468,
  flags: { seen: { type: 'string', placeholder: 'FILE', description: 'where it keeps the ids it has handled (default: in memory)' } },
  async serve({ host, port, flags }) {
    const broker = await brokerFromEnv();
    if (broker instanceof InProcessBroker) {
      throw new ConfigError('the consumer needs a broker it can share: set EVENTS_BROKER=nats://host:port or KAFKA_BROKERS=host:port');
    }
    const analytics = await startAnalytics(broker, {
      path: flags.seen === undefined ? undefined : String(flags.seen),
      onEvent: (e) => row('event', describeEvent(e)),
    });
    const registry = new Registry();
    new Gauge({
      name: 'analytics_events_handled',
      help: 'Greeted events handled, each once.',
      registers: [registry],
      collect() {
        this.set(analytics.handled);
      },
    });
    new Gauge({
      name: 'analytics_event_duplicates',
      help: 'Deliveries of an event already handled.',
      registers: [registry],
      collect() {
        this.set(analytics.duplicates);
      },
    });
    const exporter = await startMetricsExporter(registry, { host, port });
    row('consumer', `${broker.name}, group analytics; metrics on ${exporter.url}`);
    return {
      address: `${host}:${exporter.port}`,
      async stop() {
        await analytics.stop();
        await broker.close();
        await exporter.stop();
      },
    };
  },
};

export const lesson: Lesson = {
  ...previousLesson,
  step: '16',
  title: 'Async events',
  summary: 'The Greeter answers at once; each Greeted event goes through a durable outbox to a broker, and a consumer handles it once.',
  flags: {
    ...previousLesson.flags,
    demo: {},
    // Lesson 11's client, which sends the user and request ids that a Greeted event records.
    client: propagationLesson.flags?.client ?? {},
    serve: {
      ...previousLesson.flags?.serve,
      outbox: {
        type: 'string',
        placeholder: 'FILE',
        description: 'the outbox database (default: OUTBOX_PATH, or one per port in the temp dir)',
      },
      'outbox-capacity': {
        type: 'string',
        placeholder: 'N',
        description: `events the outbox keeps at most (default ${DEFAULT_OUTBOX_CAPACITY})`,
      },
    },
  },
  async demo() {
    const dir = mkdtempSync(join(tmpdir(), 'lesson-16-'));
    const broker = new InProcessBroker();
    const analytics = await startAnalytics(broker);
    let greeter: EventsGreeterHandle | undefined;
    try {
      await withBothServers(
        {
          logger: startLoggerServer,
          greeter: async (options) => {
            greeter = await startGreeterServer({ ...options, broker, outboxPath: join(dir, 'outbox.db') });
            return greeter;
          },
        },
        // Warnings only: the relay's lines about the outage.
        { greeter: { logger: createLogger({ pretty: true, level: 'warn', mixin: logFields }) } },
        async ({ client }) => {
          const g = greeter as EventsGreeterHandle;
          row('events', `${broker.name} broker, outbox in SQLite (WAL, synchronous=NORMAL)`);
          const first = ['Ada', 'Bob', 'Cy'];
          await Promise.all(first.map((name) => sayHello(client, name)));
          await analytics.until(first.length);
          row('SayHello', `${first.join(', ')} → OK`);
          row('consumed', `${analytics.handled} events, ${analytics.duplicates} duplicates`);

          broker.available = false;
          row('broker', 'unavailable');
          const during = ['Dee', 'Eve', 'Fay', 'Gus'];
          await Promise.all(during.map((name) => sayHello(client, name)));
          row('SayHello', `${during.join(', ')} → OK, answered without the broker`);
          row('outbox', `${g.outbox.length} events waiting; consumed still ${analytics.handled}`);

          broker.restore();
          row('broker', 'back');
          const total = first.length + during.length;
          await Promise.all([analytics.until(total), g.relay.until(total)]);
          const counts = analytics.counts();
          const lost = [...first, ...during].filter((name) => !counts[name]).length;
          row(
            'consumed',
            `${analytics.handled} events in all: ${lost} lost, ${analytics.duplicates} duplicates, outbox ${g.outbox.length}`,
          );
        },
      );
    } finally {
      await analytics.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
  serve: (context) => serveWithEvents(context),
  client: propagationLesson.client,
  servers: { ...previousLesson.servers, consumer: consumerMode },
};
