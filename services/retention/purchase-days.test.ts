import { describe, expect, it } from 'vitest';
import { addPurchaseDay, summaryOfDays } from './purchase-days.js';
import { DAY_MS } from './settings.js';

const day = (n: number, hour = 12) => Date.UTC(1997, 0, 1) + n * DAY_MS + hour * 3_600_000;

describe('purchase days', () => {
  it('merges purchases of one calendar day into one transaction (the CDNOW convention)', () => {
    let days = addPurchaseDay([], day(0, 9), 1000);
    days = addPurchaseDay(days, day(0, 18), 500);
    days = addPurchaseDay(days, day(10), 2000);
    days = addPurchaseDay(days, day(3), 700); // late: sorted in
    days = addPurchaseDay(days, day(10, 23), 100);
    expect(days).toEqual([
      [day(0, 0), 1500],
      [day(3, 0), 700],
      [day(10, 0), 2100],
    ]);
    expect(summaryOfDays(days)).toEqual({
      x: 2,
      firstDay: day(0, 0),
      lastDay: day(10, 0),
      repeatSpendMinor: 2800,
    });
  });

  it('has no summary before the first purchase; a one-time buyer has x = 0', () => {
    expect(summaryOfDays([])).toBeNull();
    expect(summaryOfDays(addPurchaseDay([], day(5), 300))).toEqual({
      x: 0,
      firstDay: day(5, 0),
      lastDay: day(5, 0),
      repeatSpendMinor: 0,
    });
  });
});
