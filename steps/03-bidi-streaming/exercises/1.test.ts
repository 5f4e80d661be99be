// Presence: when a member who has written leaves or is dropped, the room tells the others `room: <name> left`.
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openRoom, type Room } from './room.js';

let room: Room;
beforeEach(async () => {
  room = await openRoom();
});
afterEach(() => room.close());

/** Everything bob had heard by the time his own "ping" came back: the room relays in order. */
async function heardBefore(bob: Awaited<ReturnType<Room['join']>>): Promise<string[]> {
  await bob.say('ping');
  await bob.heard('bob: ping');
  return bob.inbox.slice(0, bob.inbox.indexOf('bob: ping'));
}

it('tells bob "room: ada left" when ada, who wrote, leaves', async () => {
  const ada = await room.join('ada');
  const bob = await room.join('bob');
  await ada.say('hi');
  await bob.heard('ada: hi');
  await ada.leave();
  expect(await heardBefore(bob)).toContain('room: ada left');
});

it('tells bob "room: ada left" when the room drops ada for a bad message', async () => {
  const ada = await room.join('ada');
  const bob = await room.join('bob');
  await ada.say('hi');
  await bob.heard('ada: hi');
  ada.call.write({ from: 'ada', text: '' });
  expect((await ada.ended).code).toBe(grpc.status.INVALID_ARGUMENT);
  expect(await heardBefore(bob)).toContain('room: ada left');
});

it('announces no one for a member that never wrote', async () => {
  const bob = await room.join('bob');
  const carol = await room.join('carol');
  await carol.leave();
  expect((await heardBefore(bob)).filter((l) => l.startsWith('room: '))).toEqual([]);
});

it('says it once, and not to the one who left', async () => {
  const ada = await room.join('ada');
  const bob = await room.join('bob');
  await ada.say('hi');
  await bob.heard('ada: hi');
  await ada.leave();
  expect((await heardBefore(bob)).filter((l) => l === 'room: ada left')).toHaveLength(1);
  expect(ada.inbox).toEqual(['ada: hi']);
});
