import { describe, expect, it } from 'vitest';
import { calendarDay, DAY_MS, summarizeDailyPurchases, summarizePurchases } from './summary.js';

// Records of three customers of the CDNOW 1/10 sample (lifetimes `lifetimes/datasets/CDNOW_sample.txt`,
// github.com/CamDavidsonPilon/lifetimes @ 02a521d0: sample id, date, dollar value) and their
// published summary (same repo, `cdnow_customers_summary_with_transactions.csv`: x, t_x, T in
// weeks to 2 dp, z̄ in dollars to 2 dp). Calibration ends 1997-09-30.
const day = (yyyymmdd: string) =>
  Date.UTC(Number(yyyymmdd.slice(0, 4)), Number(yyyymmdd.slice(4, 6)) - 1, Number(yyyymmdd.slice(6, 8))) /
  DAY_MS;
const CALIBRATION_END = day('19970930');
/** Half a unit in the 2nd decimal, plus floating-point slack (22.345 was printed as 22.35). */
const HALF_2DP = 0.005 + 1e-9;

const CUSTOMER_1 = [
  ['19970101', 29.33],
  ['19970118', 29.73],
  ['19970802', 14.96],
] as const;
const CUSTOMER_6 = [
  ['19970101', 35.99],
  ['19970111', 32.99],
  ['19970315', 77.96],
  ['19970416', 59.3],
  ['19970424', 134.98],
  ['19970623', 91.92],
  ['19970722', 47.08],
  ['19970726', 71.96],
  ['19971025', 78.47], // holdout period: ignored
  ['19971206', 83.47],
] as const;
/** Two orders on 1997-01-13: one transaction of 227.14. */
const CUSTOMER_26 = [
  ['19970102', 3.99],
  ['19970113', 166.89],
  ['19970113', 60.25],
] as const;

function summarize(records: readonly (readonly [string, number])[]) {
  return summarizeDailyPurchases(
    records.map(([date, amount]) => ({ day: day(date), amount })),
    CALIBRATION_END,
  )!;
}

describe('purchase summary with the CDNOW conventions', () => {
  it('reproduces the published (x, t_x, T, z̄) of customers 1, 6 and 26', () => {
    const expected = [
      [CUSTOMER_1, 2, 30.43, 38.86, 22.35],
      [CUSTOMER_6, 7, 29.43, 38.86, 73.74],
      [CUSTOMER_26, 1, 1.57, 38.71, 227.14],
    ] as const;
    for (const [records, x, tx, T, zbar] of expected) {
      const s = summarize(records);
      expect(s.x).toBe(x);
      expect(s.repeatSpendCount).toBe(x);
      expect(Math.abs(s.tx - tx)).toBeLessThanOrEqual(HALF_2DP);
      expect(Math.abs(s.T - T)).toBeLessThanOrEqual(HALF_2DP);
      expect(Math.abs(s.meanRepeatSpend - zbar)).toBeLessThanOrEqual(HALF_2DP);
    }
    // Exact values: whole days over 7.
    expect(summarize(CUSTOMER_1)).toMatchObject({ tx: 213 / 7, T: 272 / 7 });
    expect(summarize(CUSTOMER_1).meanRepeatSpend).toBeCloseTo(22.345, 10);
  });

  it('gives x = 0, t_x = 0 and no repeat spend to a one-time buyer', () => {
    const s = summarizeDailyPurchases(
      [
        { day: 100, amount: 20 },
        { day: 100, amount: 5 },
      ],
      110,
    );
    expect(s).toEqual({ x: 0, tx: 0, T: 10 / 7, firstDay: 100, meanRepeatSpend: 0, repeatSpendCount: 0 });
  });

  it('is null before the first purchase and accepts purchases in any order', () => {
    expect(summarizeDailyPurchases([{ day: 10, amount: 1 }], 9)).toBeNull();
    const s = summarizeDailyPurchases(
      [
        { day: 20, amount: 4 },
        { day: 10, amount: 1 },
        { day: 13, amount: 2 },
      ],
      30,
      1,
    );
    expect(s).toMatchObject({ x: 2, tx: 10, T: 20, meanRepeatSpend: 3 });
  });

  it('takes timestamps, a time unit in days and the business calendar’s UTC offset', () => {
    const first = Date.UTC(2024, 0, 1, 9);
    const late = Date.UTC(2024, 0, 1, 23, 30); // 1 Jan in UTC, 2 Jan at UTC+1
    const purchases = [
      { occurredAt: first, amount: 10 },
      { occurredAt: late, amount: 30 },
    ];
    const asOf = Date.UTC(2024, 0, 31, 12);
    expect(summarizePurchases(purchases, { asOf, unitDays: 1 })).toMatchObject({ x: 0, T: 30 });
    expect(summarizePurchases(purchases, { asOf, unitDays: 1, utcOffsetMinutes: 60 })).toMatchObject({
      x: 1,
      tx: 1,
      T: 30,
      meanRepeatSpend: 30,
    });
    expect(calendarDay(late, 60)).toBe(calendarDay(first) + 1);
  });

  it('rejects a non-positive time unit', () => {
    expect(() => summarizeDailyPurchases([], 0, 0)).toThrow(RangeError);
  });
});
