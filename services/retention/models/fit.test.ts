import { describe, expect, it } from 'vitest';
import { type BgNbdParams, type CustomerSummary, logLikelihood } from './bgnbd.js';
import { fitBgNbd, fitGammaGamma } from './fit.js';
import { type GammaGammaParams, type SpendSummary, spendLogLikelihood } from './gamma-gamma.js';
import { seededUniform, simulateBgNbdCustomer, simulateMeanSpend } from './simulate.js';

// Parameters of the order of the CDNOW estimates, a population twice the size of the CDNOW
// sample, first purchases spread over 12 weeks and observed to the end of week 39 (days / 7), as
// in the data. The real data set is checked by `npm run verify:datasets`.
const TRUTH: BgNbdParams = { r: 0.25, alpha: 4, a: 0.8, b: 2.5 };
const SPEND: GammaGammaParams = { p: 6, q: 4, gamma: 15 };

function population(seed: number, size: number): { summaries: CustomerSummary[]; spends: SpendSummary[] } {
  const uniform = seededUniform(seed);
  const summaries: CustomerSummary[] = [];
  const spends: SpendSummary[] = [];
  for (let i = 0; i < size; i += 1) {
    const T = (273 - Math.floor(uniform() * 84)) / 7;
    const c = simulateBgNbdCustomer(TRUTH, T, uniform);
    summaries.push({ x: c.x, tx: Math.min(T, Math.round(c.tx * 7) / 7), T });
    if (c.x > 0) spends.push({ x: c.x, meanSpend: simulateMeanSpend(SPEND, c.x, uniform) });
  }
  return { summaries, spends };
}

const { summaries, spends } = population(20240501, 4000);

describe('fitBgNbd', () => {
  const fit = fitBgNbd(summaries);

  it('converges to a maximum at least as good as the true parameters', () => {
    expect(fit.converged).toBe(true);
    expect(fit.customers).toBe(4000);
    expect(fit.logLikelihood).toBeGreaterThanOrEqual(logLikelihood(TRUTH, summaries));
    expect(fit.logLikelihood).toBeCloseTo(logLikelihood(fit.params, summaries), 8);
  });

  it('recovers the generating parameters roughly', () => {
    // Sampling error with 4,000 customers: a few % on r and α, tens of % on a and b (the CDNOW
    // standard errors are 5%, 9%, 23% and 29%); the mean dropout a/(a+b) is better determined.
    expect(fit.params.r / TRUTH.r).toBeGreaterThan(0.85);
    expect(fit.params.r / TRUTH.r).toBeLessThan(1.15);
    expect(fit.params.alpha / TRUTH.alpha).toBeGreaterThan(0.8);
    expect(fit.params.alpha / TRUTH.alpha).toBeLessThan(1.2);
    expect(fit.params.a / TRUTH.a).toBeGreaterThan(0.6);
    expect(fit.params.a / TRUTH.a).toBeLessThan(1.6);
    expect(fit.params.b / TRUTH.b).toBeGreaterThan(0.5);
    expect(fit.params.b / TRUTH.b).toBeLessThan(1.8);
    const dropout = (p: BgNbdParams) => p.a / (p.a + p.b);
    expect(Math.abs(dropout(fit.params) - dropout(TRUTH))).toBeLessThan(0.05);
  });

  it('reaches the same maximum from another start', () => {
    const other = fitBgNbd(summaries, { initial: { r: 2, alpha: 50, a: 3, b: 0.5 } });
    expect(other.logLikelihood).toBeCloseTo(fit.logLikelihood, 5);
    expect(other.params.r).toBeCloseTo(fit.params.r, 3);
  });

  it('rejects invalid summaries and empty populations', () => {
    expect(() => fitBgNbd([])).toThrow(RangeError);
    expect(() => fitBgNbd([{ x: 1, tx: 5, T: 4 }])).toThrow(RangeError);
    expect(() => fitBgNbd([{ x: 0, tx: 1, T: 4 }])).toThrow(RangeError);
    expect(() => fitBgNbd([{ x: 1.5, tx: 1, T: 4 }])).toThrow(RangeError);
  });
});

describe('fitGammaGamma', () => {
  const fit = fitGammaGamma([...spends, { x: 0, meanSpend: 0 }, { x: 2, meanSpend: 0 }]);

  it('uses only customers with repeat purchases and positive spend', () => {
    expect(fit.customers).toBe(spends.length);
    expect(fit.converged).toBe(true);
    expect(fit.logLikelihood).toBeGreaterThanOrEqual(spendLogLikelihood(SPEND, spends));
  });

  it('recovers the generating parameters roughly', () => {
    const mean = (p: GammaGammaParams) => (p.p * p.gamma) / (p.q - 1);
    expect(Math.abs(mean(fit.params) / mean(SPEND) - 1)).toBeLessThan(0.1);
    expect(fit.params.p / SPEND.p).toBeGreaterThan(0.8);
    expect(fit.params.p / SPEND.p).toBeLessThan(1.25);
    expect(fit.params.q / SPEND.q).toBeGreaterThan(0.6);
    expect(fit.params.q / SPEND.q).toBeLessThan(1.6);
    expect(fit.params.gamma / SPEND.gamma).toBeGreaterThan(0.5);
    expect(fit.params.gamma / SPEND.gamma).toBeLessThan(1.8);
  });

  it('refuses a population without spend', () => {
    expect(() => fitGammaGamma([{ x: 0, meanSpend: 0 }])).toThrow(RangeError);
  });
});
