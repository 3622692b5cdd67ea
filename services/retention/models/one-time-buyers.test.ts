import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BgNbdParams } from './bgnbd.js';
import { oneTimeBuyerPAlive, timeWhenOneTimeBuyerPAliveFallsBelow } from './one-time-buyers.js';
import { seededUniform, simulateBgNbdCustomer } from './simulate.js';

/** BTYD vignette p. 20 (full-precision CDNOW estimates; see SOURCE.md). */
const BTYD: BgNbdParams = { r: 0.2425982, alpha: 4.4136842, a: 0.7929899, b: 2.4261667 };
/** Fader, Hardie & Lee (2005), rounded. */
const PAPER: BgNbdParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };

describe('one-time-buyer P(alive)', () => {
  it('uses the BG/NBD probability of no purchase by T, P(X(39) = 0) = 0.5737864', () => {
    // P(X(39) = 0) with the paper's parameters is from the BTYD manual, as asserted by lifetimes'
    // test_probability_of_n_purchases_up_to_time_same_as_R_BTYD; for a new customer it is
    // (α/(α+39))^r, the likelihood of silence if alive. The fallback's posterior odds of dropout
    // are (a/b) / that.
    const odds = PAPER.a / PAPER.b / 0.5737864;
    expect(oneTimeBuyerPAlive(PAPER, 39)).toBeCloseTo(1 / (1 + odds), 7);
  });

  it('is the posterior of a population with a dropout coin at the first purchase (simulation)', () => {
    // 30,000 customers observed for 39 weeks; among those with no repeat purchase, the share still
    // alive must match the formula within sampling error.
    const uniform = seededUniform(7);
    const T = 39;
    let silent = 0;
    let silentAlive = 0;
    for (let i = 0; i < 30_000; i += 1) {
      const c = simulateBgNbdCustomer(BTYD, T, uniform, true);
      if (c.x === 0) {
        silent += 1;
        if (c.alive) silentAlive += 1;
      }
    }
    const p = oneTimeBuyerPAlive(BTYD, T);
    const standardError = Math.sqrt((p * (1 - p)) / silent);
    expect(Math.abs(silentAlive / silent - p)).toBeLessThan(4 * standardError);
  });

  it('starts at 1 − E[p] = b/(a+b) and falls with silence', () => {
    expect(oneTimeBuyerPAlive(BTYD, 0)).toBeCloseTo(BTYD.b / (BTYD.a + BTYD.b), 14);
    let previous = 1;
    for (const T of [0, 1, 10, 39, 100, 1000]) {
      const p = oneTimeBuyerPAlive(BTYD, T);
      expect(p).toBeLessThan(previous);
      previous = p;
    }
    // About 0.64 for a CDNOW customer silent since their first week (T = 39).
    expect(oneTimeBuyerPAlive(BTYD, 39)).toBeCloseTo(0.637, 3);
  });
});

describe('timeWhenOneTimeBuyerPAliveFallsBelow', () => {
  it('round-trips with oneTimeBuyerPAlive', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.05, max: 0.75, noNaN: true }), (threshold) => {
        const T = timeWhenOneTimeBuyerPAliveFallsBelow(BTYD, threshold);
        expect(T).toBeGreaterThan(0);
        expect(oneTimeBuyerPAlive(BTYD, T)).toBeCloseTo(threshold, 9);
      }),
    );
  });

  it('gives the CDNOW ages for thresholds 0.6 and 0.5 (weeks)', () => {
    // With r ≈ 0.24 the posterior falls slowly: heterogeneity makes long silences plausible.
    // mpmath at 30 digits: 78.92136903452959 and 438.8715905655137.
    expect(timeWhenOneTimeBuyerPAliveFallsBelow(BTYD, 0.6)).toBeCloseTo(78.92136903452959, 9);
    expect(timeWhenOneTimeBuyerPAliveFallsBelow(BTYD, 0.5)).toBeCloseTo(438.8715905655137, 8);
  });

  it('is 0 when the threshold is at or above b/(a+b), and rejects thresholds outside (0, 1)', () => {
    expect(timeWhenOneTimeBuyerPAliveFallsBelow(BTYD, 0.8)).toBe(0);
    expect(() => timeWhenOneTimeBuyerPAliveFallsBelow(BTYD, 1)).toThrow(RangeError);
    expect(() => timeWhenOneTimeBuyerPAliveFallsBelow(BTYD, -0.1)).toThrow(RangeError);
  });
});
