// What exercise 1's checks start: a Logger and lesson 21's validating Greeter, and a chat that reports how a message fared.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@course/04-interceptors';
import { createGreeterClient } from '@course/08-prometheus-metrics';
import { startLoggerServer } from '@course/11-metadata-propagation';
import { InProcessBroker } from '@course/16-async-events';
import { temporaryCertificates } from '@course/kit/temporary-certs';
import type { ChatMessage } from '@course/proto/gen/greeter/v1/ChatMessage';
import type * as grpc from '@grpc/grpc-js';
import { fieldViolations, startGreeterServer } from '../src/index.js';

const TOKEN = 'validation-exercise-token';

export async function validatingGreeter() {
  const { certs, remove } = await temporaryCertificates('course-validation-exercise-');
  const dir = mkdtempSync(join(tmpdir(), 'lesson-21-exercise-'));
  const silent = createLogger({ level: 'silent' });
  const metricsAddress = { host: '127.0.0.1', port: 0 };
  const logger = await startLoggerServer({ certs, logger: silent, metricsAddress });
  const greeter = await startGreeterServer({
    certs,
    token: TOKEN,
    logger: silent,
    metricsAddress,
    loggerTarget: `localhost:${logger.port}`,
    outboxPath: join(dir, 'outbox.db'),
    broker: new InProcessBroker(),
    limits: { points: 10_000 },
  });
  const client = createGreeterClient(`localhost:${greeter.port}`, { ca: certs.ca, token: TOKEN });
  return {
    /** "relayed" when the room sent the message back, else the violations listed (`field REASON`), comma-separated. */
    chat(message: ChatMessage): Promise<string> {
      const call = client.Chat({ deadline: Date.now() + 5000 });
      return new Promise((resolve) => {
        call.on('data', () => {
          resolve('relayed');
          call.end();
        });
        call.on('error', (err: grpc.ServiceError) => {
          const violations = fieldViolations(err).map((v) => `${v.field} ${v.reason}`);
          resolve(violations.length > 0 ? violations.join(', ') : `${err.code} ${err.details}`);
        });
        call.write(message);
      });
    },
    async close() {
      client.close();
      await greeter.stop();
      await logger.stop();
      rmSync(dir, { recursive: true, force: true });
      await remove();
    },
  };
}
