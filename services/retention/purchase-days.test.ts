import { describe, expect, it } from 'vitest';
import { defaultLadderSettings, ladderSettings } from './ladder/ladder-settings.js';
import { addPurchaseDay, foldDays, retainedDaysMs, summaryOfDays } from './purchase-days.js';
import { DAY_MS, retentionSettings } from './settings.js';

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

  it('folds old days into the summary: same x, first and last day and repeat spend', () => {
    const days = [0, 3, 10, 11, 40].reduce(
      (list, n, i) => addPurchaseDay(list, day(n), 100 * (i + 1)),
      [] as ReturnType<typeof addPurchaseDay>,
    );
    const whole = summaryOfDays(days);
    const once = foldDays(days, null, day(10, 0));
    expect(once.days).toEqual([
      [day(11, 0), 400],
      [day(40, 0), 500],
    ]);
    // The first day's spend is not a repeat: it is not kept.
    expect(once.earlier).toEqual({
      days: 3,
      firstDay: day(0, 0),
      lastDay: day(10, 0),
      repeatSpendMinor: 500,
    });
    expect(summaryOfDays(once.days, once.earlier)).toEqual(whole);
    const twice = foldDays(once.days, once.earlier, day(40, 0));
    expect(twice.days).toEqual([]);
    expect(twice.earlier).toEqual({
      days: 5,
      firstDay: day(0, 0),
      lastDay: day(40, 0),
      repeatSpendMinor: 1400,
    });
    expect(summaryOfDays(twice.days, twice.earlier)).toEqual(whole);
    // A purchase after folding counts on: a new day, or the same day merged.
    const later = addPurchaseDay(twice.days, day(41), 50);
    expect(summaryOfDays(later, twice.earlier)).toEqual({
      ...whole,
      x: 5,
      lastDay: day(41, 0),
      repeatSpendMinor: 1450,
    });
    // Nothing to fold: the same objects.
    expect(foldDays(once.days, once.earlier, day(5))).toEqual(once);
    expect(foldDays(once.days, once.earlier, day(5)).days).toBe(once.days);
    expect(foldDays([], null, day(99))).toEqual({ days: [], earlier: null });
  });

  it('sums the repeat spend in day order, as over the whole list (the counters carry it)', () => {
    const spends = [0.1, 1e17, 3, 0.2, 7, 1e-3, 5e16, 11];
    const days = spends.map((s, i) => [day(i, 0), s] as const);
    for (let through = -1; through < spends.length; through += 1) {
      const folded = foldDays(days, null, day(through, 0));
      expect(summaryOfDays(folded.days, folded.earlier)).toEqual(summaryOfDays(days));
    }
  });

  it('keeps listed the days of the longest window a decision reads, and the lateness', () => {
    const settings = retentionSettings();
    expect(retainedDaysMs(settings, defaultLadderSettings)).toBe(365 * DAY_MS);
    expect(retainedDaysMs(settings, ladderSettings({ clientWindowDays: 30, customerWindowDays: 30 }))).toBe(
      180 * DAY_MS,
    );
    const late = retentionSettings({ allowedLatenessMs: 400 * DAY_MS });
    expect(retainedDaysMs(late, defaultLadderSettings)).toBe(401 * DAY_MS);
  });
});
