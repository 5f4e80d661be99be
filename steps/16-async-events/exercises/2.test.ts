// Delivery lag: the relay observes `greeter_event_delivery_seconds`, a histogram of the time from each event's `time` to the broker's acknowledgement, the number to alert on when a broker is slow or gone.
import { sayHello } from '@course/01-unary';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { greeterOnInProcessBroker } from './setup.js';

let setup: Awaited<ReturnType<typeof greeterOnInProcessBroker>>;
beforeAll(async () => {
  setup = await greeterOnInProcessBroker();
});
afterAll(() => setup.close());

async function series(name: string): Promise<string> {
  const metric = setup.greeter.registry.getSingleMetric(name);
  return metric ? setup.greeter.registry.getSingleMetricAsString(name) : '';
}

it('is a histogram in the Greeter registry', async () => {
  expect(await series('greeter_event_delivery_seconds'), 'greeter_event_delivery_seconds').toMatch(
    /# TYPE greeter_event_delivery_seconds histogram/,
  );
});

it('counts one observation per event the broker acknowledged', async () => {
  for (const name of ['Ada', 'Bob', 'Cy']) await sayHello(setup.client, name);
  await setup.greeter.relay.until(3);
  expect(await series('greeter_event_delivery_seconds'), 'the _count line').toMatch(/^greeter_event_delivery_seconds_count 3$/m);
});

it('sees the time an event waited through an outage', async () => {
  const sumOf = async () => Number(/^greeter_event_delivery_seconds_sum (\S+)$/m.exec(await series('greeter_event_delivery_seconds'))?.[1]);
  const before = await sumOf();
  setup.broker.available = false;
  await sayHello(setup.client, 'Dee');
  // Dee's event was stamped before now, and cannot be acknowledged before the broker is back.
  const answered = Date.now();
  setup.broker.restore();
  const restored = Date.now();
  await setup.greeter.relay.until(4);
  expect((await sumOf()) - before, 'what the _sum grew by, in seconds').toBeGreaterThanOrEqual((restored - answered) / 1000);
});
