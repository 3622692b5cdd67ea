import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BgNbdParams,
  conditionalExpectedTransactions,
  customerLogLikelihood,
  expectedTransactions,
  logLikelihood,
  pAlive,
  preparedLogLikelihood,
  prepareSummaries,
  timeWhenPAliveFallsBelow,
} from './bgnbd.js';

// Published figures for the CDNOW 1/10 sample (2,357 customers, weeks, 39-week calibration),
// collected with their sources in shared/data/cdnow/SOURCE.md.

/**
 * BG/NBD maximum-likelihood estimates at full precision: McCarthy & Wadsworth, "Buy 'Til You Die —
 * a walkthrough" (BTYD vignette), p. 20, https://cran.r-project.org/web/packages/BTYD/vignettes/BTYD-walkthrough.pdf
 */
const BTYD: BgNbdParams = { r: 0.2425982, alpha: 4.4136842, a: 0.7929899, b: 2.4261667 };
/** The same estimates as rounded in Fader, Hardie & Lee (2005), Marketing Science 24(2), p. 281. */
const PAPER: BgNbdParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };

describe('BG/NBD log-likelihood', () => {
  it('matches the paper’s equation (6) evaluated at 30 digits (mpmath 1.3.0, BTYD parameters)', () => {
    const cases: readonly (readonly [number, number, number, number])[] = [
      [0, 0, 38.86, -0.553811646094842],
      [2, 30.43, 38.86, -9.459676152125004],
      [26, 30.85714, 31, -37.72843971158892],
      [150, 20, 39, 111.65099236107704],
    ];
    for (const [x, tx, T, expected] of cases) {
      expect(customerLogLikelihood(BTYD, { x, tx, T })).toBeCloseTo(expected, 11);
    }
  });

  it('sums customers with weights standing for repeated summaries', () => {
    const s1 = { x: 0, tx: 0, T: 38.86 };
    const s2 = { x: 2, tx: 30.43, T: 38.86 };
    const once = logLikelihood(BTYD, [s1, s1, s1, s2]);
    expect(logLikelihood(BTYD, [s1, s2], [3, 1])).toBeCloseTo(once, 12);
  });

  it('is, prepared once for a fit, the very number the customer-by-customer sum gives', () => {
    // Fits reuse log(α + t) per distinct time and the log Γ terms per x; the arithmetic must be
    // that of each customer's log L in the same order, or a fit (and its oracle) would move.
    const day = fc.integer({ min: 0, max: 365 }).map((d) => d / 7);
    const summary = fc
      .tuple(fc.integer({ min: 0, max: 60 }), day, day)
      .map(([x, a, b]) => ({ x, tx: x === 0 ? 0 : Math.min(a, b), T: Math.max(a, b) }));
    const positive = fc.double({ min: 0.01, max: 50, noNaN: true });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(summary, fc.integer({ min: 1, max: 9 })), { minLength: 1, maxLength: 60 }),
        fc.record({ r: positive, alpha: positive, a: positive, b: positive }),
        (weighted, params) => {
          let expected = 0;
          for (const [s, w] of weighted) expected += w * customerLogLikelihood(params, s);
          const prepared = prepareSummaries(
            weighted.map(([s]) => s),
            weighted.map(([, w]) => w),
          );
          expect(preparedLogLikelihood(params, prepared)).toBe(expected);
        },
      ),
    );
  });
});

describe('P(alive)', () => {
  it('reproduces customer 1516 of the BTYD vignette (p. 22): 0.9688523', () => {
    // x = 26, t_x = 30.85714, T = 31. The vignette's parameters are printed to 7 digits, which
    // moves the 7th decimal of P(alive).
    expect(Math.abs(pAlive(BTYD, { x: 26, tx: 30.85714, T: 31 }) - 0.9688523)).toBeLessThan(5e-7);
  });

  it('is 1 for customers without a repeat purchase, as BG/NBD says', () => {
    expect(pAlive(BTYD, { x: 0, tx: 0, T: 1000 })).toBe(1);
  });

  it('stays in [0, 1] without overflow for frequent customers who went silent long ago', () => {
    expect(pAlive(BTYD, { x: 500, tx: 1, T: 5000 })).toBe(0);
    expect(pAlive(BTYD, { x: 500, tx: 5000, T: 5000 })).toBeGreaterThan(0.99);
  });
});

describe('expected transactions', () => {
  it('reproduces E[X(t)] of Hardie’s BG/NBD Excel note (brucehardie.com/notes/004)', () => {
    // Values from the lifetimes test test_expectation_returns_same_value_Hardie_excel_sheet.
    const table: readonly (readonly [number, number])[] = [
      [0.1429, 0.0078],
      [1, 0.0532],
      [3, 0.1506],
      [31.8571, 1.0405],
      [32, 1.0437],
    ];
    for (const [t, expected] of table) {
      expect(Math.abs(expectedTransactions(BTYD, t) - expected), `t=${t}`).toBeLessThan(5e-5);
    }
    // t = 78: the sheet gives 1.8576; every full-precision estimate (BTYD, CLVTools, lifetimes)
    // gives 1.8579–1.8580 (mpmath), so the sheet's last figure is off by 3e-4. lifetimes checks it
    // to 3 decimals; so do we.
    expect(Math.abs(expectedTransactions(BTYD, 78) - 1.8576)).toBeLessThan(5e-4);
    expect(expectedTransactions(BTYD, 78)).toBeCloseTo(1.8579419, 6); // mpmath
  });

  it('reproduces E[X(52)] = 1.444004 of the BTYD vignette', () => {
    // The printed 7-digit parameters give 1.4440048 (mpmath); the vignette used unrounded ones.
    expect(Math.abs(expectedTransactions(BTYD, 52) - 1.444004)).toBeLessThan(2e-6);
  });

  it('uses the paper’s rounded parameters consistently (mpmath values)', () => {
    expect(expectedTransactions(PAPER, 52)).toBeCloseTo(1.4460506, 7);
    expect(expectedTransactions(PAPER, 78)).toBeCloseTo(1.8605191, 7);
  });

  it('reproduces customer 1’s E[Y(39)] = 1.226 of Hardie’s Excel note', () => {
    // x = 2, t_x = 30.43, T = 38.86 (lifetimes test_conditional_expectation_returns_same_value_as_Hardie_excel_sheet).
    const got = conditionalExpectedTransactions(BTYD, { x: 2, tx: 30.43, T: 38.86 }, 39);
    expect(Math.abs(got - 1.226)).toBeLessThan(5e-4);
  });

  it('reproduces customer 1516’s E[Y(52)] = 25.75659 of the BTYD vignette (p. 22)', () => {
    // The vignette computes with unrounded estimates; the printed ones give 25.756536 (mpmath).
    const got = conditionalExpectedTransactions(BTYD, { x: 26, tx: 30.85714, T: 31 }, 52);
    expect(Math.abs(got - 25.75659)).toBeLessThan(1e-4);
    expect(got).toBeCloseTo(25.75653604, 7);
  });

  it('reproduces the "increasing frequency paradox" of the BTYD vignette (pp. 22–23)', () => {
    // t_x = 20, T = 39, next 52 weeks: more purchases before a long silence mean fewer after it.
    const table: readonly (readonly [number, number])[] = [
      [10, 0.3474606],
      [15, 0.04283391],
      [20, 0.004158973],
      [25, 0.0003583685],
    ];
    for (const [x, expected] of table) {
      const got = conditionalExpectedTransactions(BTYD, { x, tx: 20, T: 39 }, 52);
      expect(Math.abs(got - expected) / expected, `x=${x}`).toBeLessThan(1e-5);
    }
  });

  it('handles frequent customers (no overflow) and long horizons (z near 1)', () => {
    const heavy = conditionalExpectedTransactions(BTYD, { x: 2000, tx: 39, T: 39 }, 52);
    expect(Number.isFinite(heavy)).toBe(true);
    // Alive with λ ≈ (r + x)/(α + T) per week, minus dropout: fewer than the rate × horizon.
    expect(heavy).toBeGreaterThan(100);
    expect(heavy).toBeLessThan(((BTYD.r + 2000) / (BTYD.alpha + 39)) * 52);
    const longHorizon = expectedTransactions(BTYD, 1e5);
    expect(longHorizon).toBeGreaterThan(expectedTransactions(BTYD, 1e4));
  });

  it('is accurate through the removable singularity at a = 1', () => {
    // mpmath at 60 digits (the direct formula, a = 1 taken as 1 + 1e-30).
    const s = { x: 3, tx: 20, T: 39 };
    const table: readonly (readonly [number, number])[] = [
      [1 - 1e-3, 1.17029856358048],
      [1 - 1e-9, 1.1693167747141322],
      [1, 1.1693167737330141],
      [1 + 1e-9, 1.169316772751896],
      [1 + 1e-3, 1.1683363267351816],
    ];
    for (const [a, expected] of table) {
      const got = conditionalExpectedTransactions({ ...BTYD, a }, s, 52);
      expect(Math.abs(got - expected) / expected, `a=${a}`).toBeLessThan(1e-10);
    }
  });
});

describe('timeWhenPAliveFallsBelow', () => {
  it('round-trips with pAlive', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        (x, tx, threshold) => {
          const T = timeWhenPAliveFallsBelow(BTYD, { x, tx }, threshold)!;
          expect(T).toBeGreaterThanOrEqual(tx);
          const atT = pAlive(BTYD, { x, tx, T });
          if (T > tx) expect(atT).toBeCloseTo(threshold, 9);
          else expect(atT).toBeLessThanOrEqual(threshold + 1e-12);
        },
      ),
    );
  });

  it('fires the timer when customer 1516 crosses 0.5', () => {
    const T = timeWhenPAliveFallsBelow(BTYD, { x: 26, tx: 30.85714 }, 0.5)!;
    expect(pAlive(BTYD, { x: 26, tx: 30.85714, T: T - 1e-6 })).toBeGreaterThan(0.5);
    expect(pAlive(BTYD, { x: 26, tx: 30.85714, T: T + 1e-6 })).toBeLessThan(0.5);
  });

  it('returns t_x when the customer is already below the threshold at the last purchase', () => {
    // Max P(alive) for x = 1 is (b + x − 1)/(a + b + x − 1) = b/(a + b) ≈ 0.754.
    expect(timeWhenPAliveFallsBelow(BTYD, { x: 1, tx: 5 }, 0.8)).toBe(5);
  });

  it('is null for x = 0 and rejects thresholds outside (0, 1)', () => {
    expect(timeWhenPAliveFallsBelow(BTYD, { x: 0, tx: 0 }, 0.5)).toBeNull();
    expect(() => timeWhenPAliveFallsBelow(BTYD, { x: 1, tx: 0 }, 1)).toThrow(RangeError);
    expect(() => timeWhenPAliveFallsBelow(BTYD, { x: 1, tx: 0 }, 0)).toThrow(RangeError);
  });
});
