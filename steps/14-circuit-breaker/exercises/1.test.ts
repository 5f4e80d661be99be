// Count the fallbacks: the Greeter's registry has a `grpc_breaker_fallbacks_total` counter, by `breaker` and `reason` (`open`, or the gRPC code of the failure), present at 0 for `open` and UNAVAILABLE from the start.
import { sayHello } from '@course/01-unary';
import { createLogger } from '@course/04-interceptors';
import { createGreeterClient } from '@course/08-prometheus-metrics';
import { freePort } from '@course/kit';
import { temporaryCertificates } from '@course/kit/temporary-certs';
import { afterAll, expect, it } from 'vitest';
import { startGreeterServer } from '../src/index.js';

const TOKEN = 'fallback-exercise-token';
const { certs, remove } = await temporaryCertificates('course-breaker-exercise-');
afterAll(remove);

const series = (reason: string) => `grpc_breaker_fallbacks_total{breaker="logger",reason="${reason}"}`;

it('counts each fallback by why it ran: the failure it stands in for, or an open breaker', async () => {
  // A Logger that is not there: every Log call fails UNAVAILABLE. The breaker stays open once open.
  const greeter = await startGreeterServer({
    certs,
    token: TOKEN,
    logger: createLogger({ level: 'silent' }),
    metricsAddress: { host: '127.0.0.1', port: 0 },
    loggerTarget: `localhost:${await freePort()}`,
    breaker: { volumeThreshold: 3, resetTimeout: 60_000 },
  });
  const client = createGreeterClient(`localhost:${greeter.port}`, { ca: certs.ca, token: TOKEN });
  const value = async (reason: string) => {
    const line = (await (await fetch(greeter.metricsUrl)).text()).split('\n').find((l) => l.startsWith(`${series(reason)} `));
    return line === undefined ? undefined : Number(line.slice(series(reason).length + 1));
  };
  try {
    expect(await value('open'), series('open')).toBe(0);
    expect(await value('UNAVAILABLE'), series('UNAVAILABLE')).toBe(0);
    for (let i = 0; i < 3; i++) await sayHello(client, 'Ada');
    expect(greeter.breaker.opened, 'open after 3 failures of 3').toBe(true);
    for (let i = 0; i < 2; i++) await sayHello(client, 'Bob');
    expect(await value('UNAVAILABLE'), series('UNAVAILABLE')).toBe(3);
    expect(await value('open'), series('open')).toBe(2);
  } finally {
    client.close();
    await greeter.stop();
  }
});
