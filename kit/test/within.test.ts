// within(): the value when the promise settles in time, 'still pending' when it does not, and no timer left behind.
import { describe, expect, it } from 'vitest';
import { STILL_PENDING, within } from '../src/within.js';

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('within', () => {
  it('gives the value of a promise that settles in time, and clears its timer', async () => {
    const before = timers();
    expect(await within(Promise.resolve(42), 60_000)).toBe(42);
    expect(timers()).toBe(before);
  });

  it("gives 'still pending' for a promise that does not settle in time", async () => {
    expect(await within(new Promise(() => {}), 10)).toBe(STILL_PENDING);
  });

  it('passes a rejection on', async () => {
    await expect(within(Promise.reject(new Error('no')), 60_000)).rejects.toThrow('no');
  });
});
