// Refuse when full: with `whenFull: 'refuse'`, a greeting whose event the full outbox cannot keep fails with UNAVAILABLE instead of being answered, so no greeting goes without its event.
import { sayHello } from '@course/01-unary';
import { howItEnded } from '@course/kit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { greeterOnInProcessBroker } from './setup.js';

let setup: Awaited<ReturnType<typeof greeterOnInProcessBroker>>;
beforeAll(async () => {
  setup = await greeterOnInProcessBroker({ outboxCapacity: 2, whenFull: 'refuse' });
  setup.broker.available = false;
});
afterAll(() => setup.close());

it('answers while the outbox has room', async () => {
  expect(await howItEnded(sayHello(setup.client, 'Ada'))).toBe('OK');
  expect(await howItEnded(sayHello(setup.client, 'Bob'))).toBe('OK');
});

it('refuses the next greeting with UNAVAILABLE once it is full, and keeps what it holds', async () => {
  expect(await howItEnded(sayHello(setup.client, 'Cy'))).toMatch(/^UNAVAILABLE/);
  expect(setup.greeter.outbox.length, 'events in the outbox').toBe(2);
});

it('answers again once the broker has taken what waited', async () => {
  setup.broker.restore();
  await setup.greeter.relay.until(2);
  expect(await howItEnded(sayHello(setup.client, 'Dee'))).toBe('OK');
});
