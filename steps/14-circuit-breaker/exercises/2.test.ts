// Nothing lost: the entries the fallback kept while the Logger was away are sent to it once the breaker closes, each once (keep at most 100; a greeting never waits for them).
import { EventEmitter, once } from 'node:events';
import { sayHello } from '@course/01-unary';
import { createLogger } from '@course/04-interceptors';
import { createGreeterClient } from '@course/08-prometheus-metrics';
import type { LoggerServerHandle } from '@course/10-two-services';
import { startLoggerServer } from '@course/11-metadata-propagation';
import { freePort, STILL_PENDING, within } from '@course/kit';
import { temporaryCertificates } from '@course/kit/temporary-certs';
import { afterAll, expect, it } from 'vitest';
import { startGreeterServer } from '../src/index.js';

const TOKEN = 'replay-exercise-token';
const LOGGER_TOKEN = 'replay-exercise-logger-token';
const { certs, remove } = await temporaryCertificates('course-breaker-replay-');
afterAll(remove);

it('sends what the fallback kept once the Logger is back and the breaker has closed', async () => {
  const port = await freePort();
  const kept = new EventEmitter();
  const startLogger = () =>
    startLoggerServer({
      certs,
      port,
      token: LOGGER_TOKEN,
      logger: createLogger({ level: 'silent' }),
      metricsAddress: { host: '127.0.0.1', port: 0 },
      onEvent: (e) => e.type === 'kept' && kept.emit('kept'),
    });
  let logger: LoggerServerHandle = await startLogger();
  const greeter = await startGreeterServer({
    certs,
    token: TOKEN,
    loggerToken: LOGGER_TOKEN,
    logger: createLogger({ level: 'silent' }),
    metricsAddress: { host: '127.0.0.1', port: 0 },
    loggerTarget: `localhost:${port}`,
    breaker: { volumeThreshold: 2, resetTimeout: 300 },
  });
  const client = createGreeterClient(`localhost:${greeter.port}`, { ca: certs.ca, token: TOKEN });
  const { breaker } = greeter;
  try {
    await sayHello(client, 'Ada');
    await logger.stop();
    // Two failures of three calls open it; Cy's greeting meets it open.
    for (const name of ['Bob', 'Cy', 'Dee']) await sayHello(client, name);
    expect(breaker.opened, 'open after the Logger went').toBe(true);

    logger = await startLogger();
    for (let probes = 0; !breaker.closed && probes < 10; probes++) {
      if (!breaker.halfOpen) await once(breaker, 'halfOpen');
      await sayHello(client, `probe ${probes + 1}`);
    }
    expect(breaker.closed, 'closed once the Logger is back').toBe(true);
    const texts = () => logger.book.newest().map((e) => e.entry?.text);
    const replayed = async () => {
      while (!['Bob', 'Cy', 'Dee'].every((n) => texts().includes(`Hello, ${n}!`))) await once(kept, 'kept');
    };
    // A bound against a hang, many times what sending three entries takes.
    expect(await within(replayed(), 5_000), 'the kept entries, sent after the breaker closed').not.toBe(STILL_PENDING);
    for (const n of ['Bob', 'Cy', 'Dee'])
      expect(
        texts().filter((t) => t === `Hello, ${n}!`),
        `entries for ${n}`,
      ).toHaveLength(1);
  } finally {
    client.close();
    await greeter.stop();
    await logger.stop();
  }
});
