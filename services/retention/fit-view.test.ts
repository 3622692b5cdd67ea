import { describe, expect, it } from 'vitest';
import {
  fitPopulation,
  fitPopulationSteps,
  mergeModelSnapshots,
  modelCounterFields,
  modelSummary,
} from './fit-view.js';
import { type BgNbdParams, type CustomerSummary, logLikelihood } from './models/bgnbd.js';
import { runYielding } from './models/nelder-mead.js';
import { seededUniform, simulateBgNbdCustomer } from './models/simulate.js';
import { DAY_MS, retentionSettings } from './settings.js';

const settings = retentionSettings({ minFitCustomers: 10 });
const START = Date.UTC(1997, 0, 1);

describe('the fitted population view', () => {
  it('counts a customer by (x, first day, last day) and (x, repeat spend)', () => {
    expect(
      modelCounterFields({ x: 2, firstDay: START, lastDay: START + 9 * DAY_MS, repeatSpendMinor: 4200 }),
    ).toEqual([`m:f:2:${START / DAY_MS}:${START / DAY_MS + 9}`, 'm:g:2:4200']);
    expect(modelCounterFields({ x: 0, firstDay: START, lastDay: START, repeatSpendMinor: 0 })).toEqual([
      `m:f:0:${START / DAY_MS}:${START / DAY_MS}`,
    ]);
    expect(modelCounterFields(null)).toEqual([]);
  });

  it('measures t_x and T in the time unit, T to the last whole day before the boundary', () => {
    const boundary = Date.UTC(1997, 9, 1); // 1997-10-01: the CDNOW calibration ends on 09-30
    const summary = modelSummary(
      { x: 3, firstDay: Date.UTC(1997, 0, 1), lastDay: Date.UTC(1997, 6, 1), repeatSpendMinor: 0 },
      boundary - DAY_MS,
      settings,
    );
    expect(summary.x).toBe(3);
    expect(summary.tx).toBeCloseTo(181 / 7, 12);
    expect(summary.T).toBeCloseTo(272 / 7, 12);
  });

  it('recovers the parameters of a simulated population from its partitions’ counters', async () => {
    const truth: BgNbdParams = { r: 0.25, alpha: 4, a: 0.8, b: 2.5 };
    const uniform = seededUniform(2026);
    const boundary = START + 280 * DAY_MS;
    const partitions: Array<Record<string, number>> = [{}, {}, {}];
    const summaries: CustomerSummary[] = [];
    for (let i = 0; i < 3000; i += 1) {
      const firstDay = START + Math.floor(uniform() * 84) * DAY_MS;
      const weeks = (boundary - DAY_MS - firstDay) / (7 * DAY_MS);
      const customer = simulateBgNbdCustomer(truth, weeks, uniform);
      const days = [...new Set(customer.purchases.map((t) => firstDay + Math.floor(t * 7) * DAY_MS))];
      const summary = {
        x: days.length - 1,
        firstDay,
        lastDay: days.at(-1)!,
        repeatSpendMinor: 2500 * (days.length - 1),
      };
      summaries.push(modelSummary(summary, boundary - DAY_MS, settings));
      for (const field of modelCounterFields(summary)) {
        const counters = partitions[i % 3]!;
        counters[field] = (counters[field] ?? 0) + 1;
      }
    }
    const view = mergeModelSnapshots(boundary, partitions, settings)!;
    expect(view.observedDay).toBe(boundary - DAY_MS);
    expect(view.bgnbd.customers).toBe(3000);
    expect(view.bgnbd.converged).toBe(true);
    // Sampling error on 3000 customers: r, α and the mean dropout a / (a + b) within 25 % (a and
    // b alone are weakly identified: CDNOW's b has a standard error of 29 %), and the fit is at
    // least as likely as the truth on these data (it is the maximum).
    const { r, alpha, a, b } = view.bgnbd.params;
    expect(Math.abs(r / truth.r - 1)).toBeLessThan(0.25);
    expect(Math.abs(alpha / truth.alpha - 1)).toBeLessThan(0.25);
    expect(Math.abs(a / (a + b) / (truth.a / (truth.a + truth.b)) - 1)).toBeLessThan(0.25);
    expect(view.bgnbd.logLikelihood).toBeGreaterThanOrEqual(logLikelihood(truth, summaries) - 1e-6);
    // The same counters in another order give the same fit (a pure function of the population).
    const shuffled = partitions.map((p) => Object.fromEntries(Object.entries(p).reverse())).reverse();
    expect(mergeModelSnapshots(boundary, shuffled, settings)).toEqual(view);
    // The worker's merge that gives the event loop turns while it fits gives the same view.
    expect((await runYielding(fitPopulationSteps(boundary, partitions, settings), 1)).view).toEqual(view);
  });

  it('keeps the last usable spend fit when a refit runs off, and says when it was fitted', () => {
    // Repeat buyers whose spend never varies: the Gamma-Gamma likelihood runs off to its bounds.
    const population = (boundary: number, spendOf: (x: number, i: number) => number) => {
      const uniform = seededUniform(7);
      const partitions: Array<Record<string, number>> = [{}, {}];
      for (let i = 0; i < 1500; i += 1) {
        const firstDay = START + Math.floor(uniform() * 84) * DAY_MS;
        const weeks = (boundary - DAY_MS - firstDay) / (7 * DAY_MS);
        const customer = simulateBgNbdCustomer({ r: 0.25, alpha: 4, a: 0.8, b: 2.5 }, weeks, uniform);
        const days = [...new Set(customer.purchases.map((t) => firstDay + Math.floor(t * 7) * DAY_MS))];
        const x = days.length - 1;
        const summary = { x, firstDay, lastDay: days.at(-1)!, repeatSpendMinor: x * spendOf(x, i) };
        for (const field of modelCounterFields(summary)) {
          const counters = partitions[i % 2]!;
          counters[field] = (counters[field] ?? 0) + 1;
        }
      }
      return partitions;
    };
    const early = START + 210 * DAY_MS;
    const late = early + 7 * DAY_MS;
    const varied = mergeModelSnapshots(
      early,
      population(early, (_x, i) => 1000 + ((i * 7919) % 4000)),
      settings,
    )!;
    expect(varied.gammaGamma).not.toBeNull();
    expect(varied.gammaGamma!.fittedAt).toBe(early);
    const flat = population(late, () => 2500);
    // Alone, the run-off refit leaves no spend model: CLV would disappear.
    expect(mergeModelSnapshots(late, flat, settings)!.gammaGamma).toBeNull();
    // With the view in force, its fit stays, fitted at the earlier boundary; BG/NBD is refitted.
    const kept = mergeModelSnapshots(late, flat, settings, varied)!;
    expect(kept.gammaGamma).toEqual(varied.gammaGamma);
    expect(kept.bgnbd.fittedAt).toBe(late);
    expect(fitPopulation(late, flat, settings, varied).outcomes).toEqual({
      boundary: late,
      bgnbd: 'accepted',
      gammaGamma: 'degenerate-parameters',
    });
    // A usable refit replaces it.
    const refit = mergeModelSnapshots(
      late,
      population(late, (_x, i) => 1500 + ((i * 104729) % 3000)),
      settings,
      varied,
    )!;
    expect(refit.gammaGamma!.fittedAt).toBe(late);
    // Repeat visits that cost nothing carry no spend information: not a fit, and no error.
    const free = fitPopulation(
      late,
      population(late, () => 0),
      settings,
      varied,
    );
    expect(free.outcomes.gammaGamma).toBe('too-few-repeat-buyers');
    expect(free.view!.gammaGamma).toEqual(varied.gammaGamma);
  });

  it('keeps the view in force (null) while the population is too small or has no repeat buyer, and says which', () => {
    const tooFew = fitPopulation(
      START + 10 * DAY_MS,
      [{ [`m:f:1:${START / DAY_MS}:${START / DAY_MS + 2}`]: 5 }],
      settings,
    );
    expect(tooFew).toEqual({
      view: null,
      outcomes: { boundary: START + 10 * DAY_MS, bgnbd: 'too-few-customers', gammaGamma: null },
    });
    const noRepeat = fitPopulation(
      START + 10 * DAY_MS,
      [{ [`m:f:0:${START / DAY_MS}:${START / DAY_MS}`]: 50 }],
      settings,
    );
    expect(noRepeat.view).toBeNull();
    expect(noRepeat.outcomes.bgnbd).toBe('too-few-repeat-buyers');
    expect(
      mergeModelSnapshots(
        START + 10 * DAY_MS,
        [{ [`m:f:0:${START / DAY_MS}:${START / DAY_MS}`]: 50 }],
        settings,
      ),
    ).toBeNull();
  });

  it('rejects a BG/NBD fit that runs off to its bounds (every customer buying at one steady rate), keeping the view in force', () => {
    // Every customer buys every 7 days from the same day: no heterogeneity, r and α run off.
    const counters: Record<string, number> = {};
    for (let x = 1; x <= 20; x += 1) counters[`m:f:${x}:${START / DAY_MS}:${START / DAY_MS + 7 * x}`] = 30;
    const fit = fitPopulation(START + 200 * DAY_MS, [counters], settings);
    expect(fit.view).toBeNull();
    expect(fit.outcomes.bgnbd).toBe('degenerate-parameters');
    expect(fit.outcomes.gammaGamma).toBeNull();
  });
});
