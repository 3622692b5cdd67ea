import { describe, expect, it } from 'vitest';
import { fitReport } from './fit-command.js';
import { fitPopulation, modelCounterFields, type RetentionView } from './fit-view.js';
import { seededUniform, simulateBgNbdCustomer } from './models/simulate.js';
import { DAY_MS, retentionSettings } from './settings.js';

const settings = retentionSettings({ minFitCustomers: 10 });
const START = Date.UTC(2024, 0, 1);
const NOW = START + 200 * DAY_MS + 3_600_000;

/** Summary counters of a simulated population whose repeat spend per visit is spendOf(i). */
function counters(spendOf: (i: number) => number): Map<string, number> {
  const uniform = seededUniform(11);
  const totals = new Map<string, number>();
  for (let i = 0; i < 1500; i += 1) {
    const firstDay = START + Math.floor(uniform() * 84) * DAY_MS;
    const weeks = (Math.floor(NOW / DAY_MS) * DAY_MS - firstDay) / (7 * DAY_MS);
    const customer = simulateBgNbdCustomer({ r: 0.25, alpha: 4, a: 0.8, b: 2.5 }, weeks, uniform);
    const days = [...new Set(customer.purchases.map((t) => firstDay + Math.floor(t * 7) * DAY_MS))];
    const x = days.length - 1;
    for (const field of modelCounterFields({
      x,
      firstDay,
      lastDay: days.at(-1)!,
      repeatSpendMinor: x * spendOf(i),
    }))
      totals.set(field, (totals.get(field) ?? 0) + 1);
  }
  return totals;
}

describe('npm run retention:fit', () => {
  it('shows the models in force and a refit now with why each would be used or not', () => {
    const varied = counters((i) => 1000 + ((i * 7919) % 4000));
    const inForce = fitPopulation(START + 150 * DAY_MS, [Object.fromEntries(varied)], settings).view!;
    expect(inForce.gammaGamma).not.toBeNull();
    // Spend that never varies: the spend refit runs off and the one in force is kept.
    const { report, usable } = fitReport(
      inForce,
      counters(() => 2500),
      NOW,
      settings,
    );
    expect(usable).toBe(true);
    const shown = report as {
      inForce: { modelVersion: string; gammaGamma: { fittedAt: string; params: object } };
      refitNow: { outcomes: object; gammaGamma: { fittedAt: string; params: object } };
    };
    expect(shown.inForce.modelVersion).toBe(new Date(START + 150 * DAY_MS).toISOString());
    expect(shown.inForce.gammaGamma.params).toEqual(inForce.gammaGamma!.params);
    expect(shown.refitNow.outcomes).toEqual({ bgnbd: 'accepted', gammaGamma: 'degenerate-parameters' });
    expect(shown.refitNow.gammaGamma).toEqual(shown.inForce.gammaGamma);
  });

  it('is not usable with no model in force and too few customers to fit', () => {
    const none: RetentionView | null = null;
    const { report, usable } = fitReport(none, new Map(), NOW, settings);
    expect(usable).toBe(false);
    expect(report).toMatchObject({
      inForce: null,
      refitNow: { outcomes: { bgnbd: 'too-few-customers', gammaGamma: null }, bgnbd: null },
    });
  });
});
