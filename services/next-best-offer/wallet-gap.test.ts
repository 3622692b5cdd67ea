import { describe, expect, it } from 'vitest';
import type { UnderConsumptionDetected } from '../../shared/contracts/generated.js';
import { sampleUnderConsumption } from '../../shared/contracts/samples.js';
import { decideUnderConsumption } from './decide.js';
import type { ItemEconomics } from './model.js';
import { DAY_MS, defaultNextBestOfferSettings } from './settings.js';
import { emptyNextBestOfferState } from './state.js';
import { walletGapCategories } from './suggest.js';
import type { NextBestOfferView } from './view.js';

// A category the population buys here and the customer buys elsewhere: share of wallet alerted
// on the unit the category supplies (kcal → groceries/...), within NBO_WALLET_GAP_DAYS.

const settings = defaultNextBestOfferSettings;
const T = Date.UTC(2026, 5, 1);
const economics = (item: string): ItemEconomics => ({
  item,
  unitPriceMinor: 100,
  unitMarginMinor: 20,
  baskets: 5,
});
const view: NextBestOfferView = {
  boundary: T,
  baskets: 100,
  rulesByLength: {},
  rulesMined: 0,
  rules: [],
  steps: [],
  economics: ['groceries/dairy', 'groceries/frozen', 'services/mobile-data', 'apparel/tops'].map(economics),
  malformedFields: 0,
};
const alert = (unit: string, at: number): UnderConsumptionDetected => ({
  ...sampleUnderConsumption(),
  unit,
  occurredAt: at,
});

describe('wallet gaps', () => {
  it('remembers the latest alert per unit, whatever the order they arrive in', () => {
    let state = decideUnderConsumption(null, alert('kcal', T)).state!;
    state = decideUnderConsumption(state, alert('GB', T + DAY_MS)).state!;
    state = decideUnderConsumption(state, alert('kcal', T - DAY_MS)).state!;
    expect(state.walletGaps).toEqual([
      ['GB', T + DAY_MS],
      ['kcal', T],
    ]);
  });

  it('are the window items under the prefixes of the units alerted within NBO_WALLET_GAP_DAYS', () => {
    const state = { ...emptyNextBestOfferState, walletGaps: [['kcal', T] as const] };
    expect(walletGapCategories(state, view, T + DAY_MS, settings)).toEqual(
      new Set(['groceries/dairy', 'groceries/frozen']),
    );
    // Before the alert (a replay deciding earlier purchases) and after the gap days: none.
    expect(walletGapCategories(state, view, T - 1, settings).size).toBe(0);
    expect(walletGapCategories(state, view, T + (settings.walletGapDays + 1) * DAY_MS, settings).size).toBe(
      0,
    );
    const data = { ...emptyNextBestOfferState, walletGaps: [['GB', T] as const, ['litres', T] as const] };
    expect(walletGapCategories(data, view, T, settings)).toEqual(new Set(['services/mobile-data']));
  });
});
