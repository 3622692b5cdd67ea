import { describe, expect, it } from 'vitest';
import {
  basketDeltas,
  type CountedBasket,
  expireBaskets,
  leavesEveryWindowAt,
  nextExpiry,
} from './counted-baskets.js';
import { DAY_MS } from './settings.js';

const basket = (day: number, field = `b${day}`): CountedBasket => ({
  day,
  field,
  lines: [{ item: 'milk', valueMinor: 100, units: 1, marginMinor: 0, marginUnits: 0 }],
});

describe('basket window', () => {
  it('keeps a day until the last boundary whose window holds it has been snapshotted', () => {
    // Window of boundary b: days [day(b) − 28, day(b)). Day 100 is in the window of day 128's boundary, not 129's.
    expect(leavesEveryWindowAt(100, 28)).toBe(129 * DAY_MS);
  });

  it('takes out exactly the baskets that left every window, with their lines', () => {
    const baskets = [basket(100), basket(101), basket(105)];
    const { kept, deltas } = expireBaskets(baskets, 130 * DAY_MS, 28);
    expect(kept.map((b) => b.day)).toEqual([105]);
    expect(deltas).toEqual([...basketDeltas(basket(100), -1), ...basketDeltas(basket(101), -1)]);
    expect(deltas.filter((d) => d.field.startsWith('b'))).toEqual([
      { field: 'b100', delta: -1 },
      { field: 'b101', delta: -1 },
    ]);
  });

  it('sets the expiry timer at the oldest basket', () => {
    expect(nextExpiry([], 28)).toBeNull();
    expect(nextExpiry([basket(105), basket(100)], 28)).toBe(129 * DAY_MS);
  });
});
