// What both exercises' checks start: a Logger and lesson 16's Greeter on the in-process broker, with an outbox in a temporary folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@course/04-interceptors';
import { createGreeterClient } from '@course/08-prometheus-metrics';
import { startLoggerServer } from '@course/11-metadata-propagation';
import { temporaryCertificates } from '@course/kit/temporary-certs';
import { type EventsGreeterHandle, InProcessBroker, startGreeterServer } from '../src/index.js';

const TOKEN = 'events-exercise-token';

export async function greeterOnInProcessBroker(extra: Record<string, unknown> = {}) {
  const { certs, remove } = await temporaryCertificates('course-events-exercise-');
  const dir = mkdtempSync(join(tmpdir(), 'lesson-16-exercise-'));
  const silent = createLogger({ level: 'silent' });
  const metricsAddress = { host: '127.0.0.1', port: 0 };
  const logger = await startLoggerServer({ certs, logger: silent, metricsAddress });
  const broker = new InProcessBroker();
  // Options the exercise adds go in untyped, so these checks compile before it is solved.
  const options = {
    certs,
    token: TOKEN,
    logger: silent,
    metricsAddress,
    loggerTarget: `localhost:${logger.port}`,
    outboxPath: join(dir, 'outbox.db'),
    broker,
    ...extra,
  };
  const greeter: EventsGreeterHandle = await startGreeterServer(options);
  const client = createGreeterClient(`localhost:${greeter.port}`, { ca: certs.ca, token: TOKEN });
  return {
    greeter,
    broker,
    client,
    async close() {
      client.close();
      await greeter.stop();
      await logger.stop();
      rmSync(dir, { recursive: true, force: true });
      remove();
    },
  };
}
