// Reserved handles: a CEL rule on ChatMessage.from, id `from.reserved`, refuses admin, server and room in any case.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { validatingGreeter } from './setup.js';

let setup: Awaited<ReturnType<typeof validatingGreeter>>;
beforeAll(async () => {
  setup = await validatingGreeter();
});
afterAll(() => setup.close());

it.each(['admin', 'Server', 'ROOM'])('refuses the handle %j with FROM_RESERVED', async (from) => {
  expect(await setup.chat({ from, text: 'hi' }), `a message from ${from}`).toBe('from FROM_RESERVED');
});

it('lets handles that only begin with one through', async () => {
  expect(await setup.chat({ from: 'administrator', text: 'hi' }), 'a message from administrator').toBe('relayed');
  expect(await setup.chat({ from: 'roomba', text: 'hi' }), 'a message from roomba').toBe('relayed');
});

it('lists it beside the rules already there', async () => {
  expect(await setup.chat({ from: 'admin', text: ' ' }), 'a blank message from admin').toBe('from FROM_RESERVED, text TEXT_NOT_BLANK');
});
