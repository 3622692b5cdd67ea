import { describe, expect, it } from 'vitest';
import { type BgNbdParams, conditionalExpectedTransactions } from './bgnbd.js';
import { customerLifetimeValue } from './clv.js';
import { expectedAverageSpend, type GammaGammaParams } from './gamma-gamma.js';

// CDNOW estimates (SOURCE.md): BG/NBD from the BTYD vignette p. 20, Gamma-Gamma at full precision.
const BG: BgNbdParams = { r: 0.2425982, alpha: 4.4136842, a: 0.7929899, b: 2.4261667 };
const GG: GammaGammaParams = { p: 6.24957302, q: 3.74422454, gamma: 15.44351798 };
/** Customer 1 of the sample: x = 2, t_x = 213/7, T = 272/7 weeks, mean repeat spend $22.345. */
const CUSTOMER_1 = { x: 2, tx: 213 / 7, T: 272 / 7, meanSpend: 22.345 };
const WEEKLY = { periods: 52, periodLength: 1, discountRatePerPeriod: 0, margin: 0.3 };

describe('customerLifetimeValue', () => {
  it('without discounting is margin × expected spend × E[Y(horizon)]', () => {
    const result = customerLifetimeValue(BG, GG, CUSTOMER_1, WEEKLY);
    const purchases = conditionalExpectedTransactions(BG, CUSTOMER_1, 52);
    const spend = expectedAverageSpend(GG, { x: 2, meanSpend: 22.345 });
    expect(result.expectedTransactions).toBeCloseTo(purchases, 12);
    expect(result.discountedTransactions).toBeCloseTo(purchases, 12);
    expect(result.expectedSpend).toBeCloseTo(spend, 12);
    expect(result.clv).toBeCloseTo(0.3 * spend * purchases, 10);
  });

  it('discounts each period’s expected purchases by (1 + d)^(−k)', () => {
    const d = 0.002;
    const result = customerLifetimeValue(BG, GG, CUSTOMER_1, {
      ...WEEKLY,
      periods: 3,
      discountRatePerPeriod: d,
    });
    const e = [0, 1, 2, 3].map((k) => conditionalExpectedTransactions(BG, CUSTOMER_1, k));
    const byHand =
      (e[1]! - e[0]!) / (1 + d) + (e[2]! - e[1]!) / (1 + d) ** 2 + (e[3]! - e[2]!) / (1 + d) ** 3;
    expect(result.discountedTransactions).toBeCloseTo(byHand, 14);
  });

  it('decreases with the discount rate and stays below the undiscounted value', () => {
    const values = [0, 0.001, 0.01, 0.05].map(
      (d) => customerLifetimeValue(BG, GG, CUSTOMER_1, { ...WEEKLY, discountRatePerPeriod: d }).clv,
    );
    for (let i = 1; i < values.length; i += 1) expect(values[i]!).toBeLessThan(values[i - 1]!);
  });

  it('values a one-time buyer at the population mean spend', () => {
    const result = customerLifetimeValue(BG, GG, { x: 0, tx: 0, T: 38, meanSpend: 0 }, WEEKLY);
    expect(result.expectedSpend).toBeCloseTo((GG.p * GG.gamma) / (GG.q - 1), 12);
    expect(result.clv).toBeGreaterThan(0);
  });

  it('gives the same undiscounted value for monthly and weekly periods over one year', () => {
    const weekly = customerLifetimeValue(BG, GG, CUSTOMER_1, { ...WEEKLY, periodLength: 1 });
    const monthly = customerLifetimeValue(BG, GG, CUSTOMER_1, {
      ...WEEKLY,
      periods: 12,
      periodLength: 52 / 12,
    });
    expect(monthly.clv).toBeCloseTo(weekly.clv, 10);
  });

  it('rejects invalid options', () => {
    expect(() => customerLifetimeValue(BG, GG, CUSTOMER_1, { ...WEEKLY, periods: 0 })).toThrow(RangeError);
    expect(() => customerLifetimeValue(BG, GG, CUSTOMER_1, { ...WEEKLY, periodLength: 0 })).toThrow(
      RangeError,
    );
    expect(() =>
      customerLifetimeValue(BG, GG, CUSTOMER_1, { ...WEEKLY, discountRatePerPeriod: -0.1 }),
    ).toThrow(RangeError);
    expect(() => customerLifetimeValue(BG, GG, CUSTOMER_1, { ...WEEKLY, margin: 1.5 })).toThrow(RangeError);
  });
});
