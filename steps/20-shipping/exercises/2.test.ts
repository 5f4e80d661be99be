// Ready when the Logger is: with readyAfterLogger, readiness stays NOT_SERVING until the Greeter's channel to its Logger connects.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@course/04-interceptors';
import { startLoggerServer } from '@course/11-metadata-propagation';
import { InProcessBroker } from '@course/16-async-events';
import { freePort } from '@course/kit';
import { temporaryCertificates } from '@course/kit/temporary-certs';
import { afterAll, expect, it } from 'vitest';
import { LIVENESS_SERVICE, probe, startGreeterServer, untilStatus } from '../src/index.js';

const { certs, remove } = await temporaryCertificates('course-shipping-ready-');
const dir = mkdtempSync(join(tmpdir(), 'lesson-20-ready-'));
const silent = createLogger({ level: 'silent' });
const metricsAddress = { host: '127.0.0.1', port: 0 };
const stops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
  rmSync(dir, { recursive: true, force: true });
  remove();
});

// The option goes in untyped, so these checks compile before it exists.
async function greeter(loggerPort: number, extra: Record<string, unknown>) {
  const handle = await startGreeterServer({
    certs,
    token: 'ready-token',
    logger: silent,
    metricsAddress,
    loggerTarget: `localhost:${loggerPort}`,
    outboxPath: join(dir, `outbox-${loggerPort}.db`),
    broker: new InProcessBroker(),
    probe: { port: 0 },
    ...extra,
  });
  return handle;
}

it('is NOT_SERVING for readiness while there is no Logger, and SERVING for liveness', async () => {
  const loggerPort = await freePort();
  const g = await greeter(loggerPort, { readyAfterLogger: true });
  stops.push(() => g.stop());
  const target = `127.0.0.1:${g.probe.port}`;
  expect(await probe(target, ''), "readiness ('')").toBe('NOT_SERVING');
  expect(await probe(target, 'greeter.v1.Greeter'), 'greeter.v1.Greeter').toBe('NOT_SERVING');
  expect(await probe(target, LIVENESS_SERVICE), 'liveness').toBe('SERVING');

  const logger = await startLoggerServer({ certs, logger: silent, metricsAddress, host: '127.0.0.1', port: loggerPort });
  stops.push(() => logger.stop());
  await untilStatus(target, '', 'SERVING');
  expect(await probe(target, 'greeter.v1.Greeter'), 'greeter.v1.Greeter once the Logger is up').toBe('SERVING');
});

it('is ready at once without the option, Logger or not', async () => {
  const g = await greeter(await freePort(), {});
  stops.push(() => g.stop());
  expect(await probe(`127.0.0.1:${g.probe.port}`, ''), "readiness ('')").toBe('SERVING');
});

it('stops while it is still waiting for the Logger, leaving nothing behind', async () => {
  const g = await greeter(await freePort(), { readyAfterLogger: true });
  await g.stop();
  expect(await probe(`127.0.0.1:${g.probe.port}`, ''), 'the probe port after stop').toBe('UNAVAILABLE');
});
