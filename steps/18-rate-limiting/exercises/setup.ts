// What both exercises' checks start: a Logger and lesson 18's Greeter with the limits a check gives.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@course/04-interceptors';
import { createGreeterClient } from '@course/08-prometheus-metrics';
import { startLoggerServer } from '@course/11-metadata-propagation';
import { InProcessBroker } from '@course/16-async-events';
import { temporaryCertificates } from '@course/kit/temporary-certs';
import type * as grpc from '@grpc/grpc-js';
import { type LimitedGreeterHandle, startGreeterServer } from '../src/index.js';

const TOKEN = 'limits-exercise-token';

// Limits the exercise adds go in untyped, so these checks compile before it is solved.
export async function limitedGreeter(limits: Record<string, unknown>) {
  const { certs, remove } = await temporaryCertificates('course-limits-exercise-');
  const dir = mkdtempSync(join(tmpdir(), 'lesson-18-exercise-'));
  const silent = createLogger({ level: 'silent' });
  const metricsAddress = { host: '127.0.0.1', port: 0 };
  const logger = await startLoggerServer({ certs, logger: silent, metricsAddress });
  const greeter: LimitedGreeterHandle = await startGreeterServer({
    certs,
    token: TOKEN,
    logger: silent,
    metricsAddress,
    loggerTarget: `localhost:${logger.port}`,
    outboxPath: join(dir, 'outbox.db'),
    broker: new InProcessBroker(),
    limits,
  });
  const clients: { close(): void }[] = [];
  return {
    greeter,
    client(userId: string, channelOptions?: grpc.ChannelOptions) {
      const client = createGreeterClient(`localhost:${greeter.port}`, { ca: certs.ca, token: TOKEN, userId, channelOptions });
      clients.push(client);
      return client;
    },
    async close() {
      for (const c of clients) c.close();
      await greeter.stop();
      await logger.stop();
      rmSync(dir, { recursive: true, force: true });
      await remove();
    },
  };
}
