// One name, one member: a message under a name another member of the room is using ends its sender's call with ALREADY_EXISTS.

import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEnd } from '../src/index.js';
import { type Listener, openRoom, type Room } from './room.js';

let room: Room;
beforeEach(async () => {
  room = await openRoom();
});
afterEach(() => room.close());

/** How a member's message as `from` went: relayed back to it, or its call ended first. */
async function tryAs(member: Listener, from: string, text: string): Promise<string> {
  const relayed = new Promise<string>((resolve) => member.call.on('data', () => resolve('relayed to the room')));
  member.call.write({ from, text });
  return Promise.race([relayed, member.ended.then(describeEnd)]);
}

it('ends a second member writing as "ada" with ALREADY_EXISTS, naming the name', async () => {
  const ada = await room.join('ada');
  await ada.say('hi');
  await ada.heard('ada: hi');
  const other = await room.join('other');
  expect(await tryAs(other, 'ada', 'I am ada too')).toMatch(/^ALREADY_EXISTS: .*ada/);
});

it('relays nothing from the refused member, and the real ada keeps chatting', async () => {
  const ada = await room.join('ada');
  await ada.say('hi');
  await ada.heard('ada: hi');
  const other = await room.join('other');
  await tryAs(other, 'ada', 'I am ada too');
  await ada.say('still here');
  await ada.heard('ada: still here');
  expect(ada.inbox).toEqual(['ada: hi', 'ada: still here']);
});

it('lets a member write under its own name again and again', async () => {
  const ada = await room.join('ada');
  await ada.say('one');
  await ada.say('two');
  await ada.heard('ada: two');
  expect(ada.inbox).toEqual(['ada: one', 'ada: two']);
});

it('frees the name when its member leaves', async () => {
  const ada = await room.join('ada');
  await ada.say('bye');
  await ada.heard('ada: bye');
  await ada.leave();
  const next = await room.join('next');
  expect(await tryAs(next, 'ada', 'I am the new ada')).toBe('relayed to the room');
});
