import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  customerSpendLogLikelihood,
  expectedAverageSpend,
  type GammaGammaParams,
  populationMeanSpend,
  preparedSpendLogLikelihood,
  prepareSpends,
  spendLogLikelihood,
} from './gamma-gamma.js';

// Figures for the CDNOW 1/10 sample, collected with their sources in shared/data/cdnow/SOURCE.md.

/** Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value", brucehardie.com/notes/025. */
const NOTE: GammaGammaParams = { p: 6.25, q: 3.74, gamma: 15.44 };
/**
 * The same MLE at full precision (LL −4055.9177, equal to CLVTools' tests/testthat/test_correctness_gg.R,
 * github.com/bachmannpatrick/CLVTools @ 83aa6a46), as reproduced in SOURCE.md ("Checks run here").
 */
const FULL: GammaGammaParams = { p: 6.24957302, q: 3.74422454, gamma: 15.44351798 };

/**
 * Customers 1–10 of the sample: (x, z̄) from lifetimes `lifetimes/datasets/
 * cdnow_customers_summary_with_transactions.csv` rows 1–10 (github.com/CamDavidsonPilon/lifetimes
 * @ 02a521d0; z̄ rounded to cents there), with Hardie's expected spend for each, "from Hardie
 * spreadsheet http://brucehardie.com/notes/025/" (lifetimes test_conditional_expected_average_profit).
 */
const CUSTOMERS_1_TO_10: readonly (readonly [x: number, zbar: number, expected: number])[] = [
  [2, 22.35, 24.65],
  [1, 11.77, 18.91],
  [0, 0, 35.17],
  [0, 0, 35.17],
  [0, 0, 35.17],
  [7, 73.74, 71.46],
  [1, 11.77, 18.91],
  [0, 0, 35.17],
  [2, 25.55, 27.28],
  [0, 0, 35.17],
];

describe('Gamma-Gamma expected spend', () => {
  it('reproduces Hardie’s spreadsheet for customers 1–10 with the full-precision estimates', () => {
    // The spreadsheet works with unrounded z̄ (customer 1: 22.345, not 22.35), so cents-rounded
    // inputs move the result by up to 0.008.
    for (const [i, [x, meanSpend, expected]] of CUSTOMERS_1_TO_10.entries()) {
      expect(
        Math.abs(expectedAverageSpend(FULL, { x, meanSpend }) - expected),
        `customer ${i + 1}`,
      ).toBeLessThan(0.01);
    }
    // Customer 1 with the unrounded mean (BTYD cdnowSummary$m.x[1] = 22.345) rounds to 24.65 exactly.
    expect(expectedAverageSpend(FULL, { x: 2, meanSpend: 22.345 })).toBeCloseTo(24.65, 2);
  });

  it('stays within 0.05 of the spreadsheet with the note’s rounded (6.25, 3.74, 15.44)', () => {
    // lifetimes allows 0.1. The customers without a repeat purchase get the population mean
    // pγ/(q − 1), the most sensitive to rounding q: 35.22 instead of 35.17.
    for (const [i, [x, meanSpend, expected]] of CUSTOMERS_1_TO_10.entries()) {
      expect(
        Math.abs(expectedAverageSpend(NOTE, { x, meanSpend }) - expected),
        `customer ${i + 1}`,
      ).toBeLessThan(0.05);
    }
  });

  it('shrinks a customer’s mean towards the population mean, less as x grows', () => {
    const population = populationMeanSpend(FULL);
    const few = expectedAverageSpend(FULL, { x: 1, meanSpend: 100 });
    const many = expectedAverageSpend(FULL, { x: 50, meanSpend: 100 });
    expect(few).toBeGreaterThan(population);
    expect(few).toBeLessThan(many);
    expect(many).toBeLessThan(100);
  });

  it('needs q > 1 for the population mean', () => {
    expect(() => populationMeanSpend({ p: 1, q: 0.9, gamma: 1 })).toThrow(RangeError);
  });
});

describe('Gamma-Gamma log-likelihood', () => {
  it('matches the note’s equation evaluated at 30 digits (mpmath 1.3.0, rounded parameters)', () => {
    expect(customerSpendLogLikelihood(NOTE, { x: 1, meanSpend: 11.77 })).toBeCloseTo(-3.73770967874084, 12);
    expect(customerSpendLogLikelihood(NOTE, { x: 2, meanSpend: 22.35 })).toBeCloseTo(-3.5513167597317046, 12);
    expect(customerSpendLogLikelihood(NOTE, { x: 7, meanSpend: 73.74 })).toBeCloseTo(-6.054867310722229, 12);
  });

  it('sums with weights', () => {
    const s = { x: 2, meanSpend: 22.35 };
    expect(spendLogLikelihood(NOTE, [s], [3])).toBeCloseTo(3 * customerSpendLogLikelihood(NOTE, s), 12);
  });

  it('is, prepared once for a fit, the very number the customer-by-customer sum gives', () => {
    const spend = fc.record({
      x: fc.integer({ min: 1, max: 60 }),
      meanSpend: fc.double({ min: 0.01, max: 10_000, noNaN: true }),
    });
    const positive = fc.double({ min: 0.01, max: 50, noNaN: true });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(spend, fc.integer({ min: 1, max: 9 })), { minLength: 1, maxLength: 60 }),
        fc.record({ p: positive, q: positive, gamma: fc.double({ min: 0.01, max: 5_000, noNaN: true }) }),
        (weighted, params) => {
          let expected = 0;
          for (const [s, w] of weighted) expected += w * customerSpendLogLikelihood(params, s);
          const prepared = prepareSpends(
            weighted.map(([s]) => s),
            weighted.map(([, w]) => w),
          );
          expect(preparedSpendLogLikelihood(params, prepared)).toBe(expected);
        },
      ),
    );
  });
});
