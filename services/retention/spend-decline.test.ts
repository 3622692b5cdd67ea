import { describe, expect, it } from 'vitest';
import { DAY_MS, retentionSettings } from './settings.js';
import { spendDeclineAt } from './spend-decline.js';

const settings = retentionSettings();
const day = (n: number) => Date.UTC(2024, 0, 1) + n * DAY_MS;

describe('steep fall in spend', () => {
  it('fires when the last 90 days bring less than half of the 90 before', () => {
    const days = [
      [day(0), 10_000],
      [day(50), 10_000],
      [day(120), 4_000],
      [day(150), 5_000],
    ] as const;
    // At day 150: recent (60, 150] = 9,000; previous (-30, 60] = 20,000: 45 % < 50 %.
    expect(spendDeclineAt(days, day(150), settings)).toEqual({
      risk: 0.5,
      recentMinor: 9_000,
      previousMinor: 20_000,
    });
    // Half exactly is no steep fall.
    expect(spendDeclineAt([...days.slice(0, 3), [day(150), 6_000]], day(150), settings)).toBeNull();
  });

  it('needs a previous window with purchases, and can be disabled', () => {
    expect(spendDeclineAt([[day(100), 50]], day(100), settings)).toBeNull();
    const off = retentionSettings({ spendDecline: { windowDays: 90, share: 0.5, risk: 0 } });
    expect(
      spendDeclineAt(
        [
          [day(0), 10_000],
          [day(150), 1],
        ],
        day(150),
        off,
      ),
    ).toBeNull();
  });
});
