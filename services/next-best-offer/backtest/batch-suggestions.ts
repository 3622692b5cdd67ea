// STAND-IN for the worker's suggestions, so the backtest runs before the worker does. It takes
// the worker's mining path offline — training invoices into one partition's day counters
// (basketField, economicsDeltas), the window's weighted baskets (basketsInWindow), the miner, the
// window's mean prices (mergeItemEconomics) — and ranks with rank.ts (rule candidates valued lift
// × unit price × the default margin share), but without up-sell steps, ladders, share-of-wallet
// boosts or gates, and it fills up with the window's most popular items.
// The lead replaces it by the worker's own suggestions (its Redis state + view + rank.ts); the
// backtest only needs the Suggester, `(customerId) => Item[]`.

import { type MiningResult, mineAssociationRules } from '../apriori.js';
import { basketField } from '../basket-key.js';
import { basketsInWindow, windowAt } from '../basket-window.js';
import { economicsDeltas, type ItemLineTotals, mergeItemEconomics } from '../item-economics.js';
import type { Item } from '../model.js';
import { indexRulesByFirstAntecedent, type PopulationEvidence, rankSuggestions } from '../rank.js';
import { DAY_MS, defaultNextBestOfferSettings } from '../settings.js';
import type { Invoice } from './online-retail.js';
import { basketsBefore, itemsByCustomer, popularItems, type Suggester } from './score.js';

export interface StandInSettings {
  readonly basketWindowDays: number;
  readonly minSupport: number;
  readonly minConfidence: number;
  readonly minRuleLength: number;
  readonly maxRuleLength: number;
  /** Items bought within this many days fire rules and are never suggested. */
  readonly recentDays: number;
  /** Suggestions per customer. */
  readonly topK: number;
}

/** One partition's counters after counting every invoice: basket fields and item economics. */
export function countersOf(invoices: readonly Invoice[]): Record<string, number> {
  const counters: Record<string, number> = {};
  const add = (field: string, delta: number) => {
    counters[field] = (counters[field] ?? 0) + delta;
  };
  for (const invoice of invoices) {
    const day = Math.floor(invoice.at / DAY_MS);
    add(basketField(day, invoice.items), 1);
    for (const { field, delta } of economicsDeltas(day, lineTotals(invoice), 1)) add(field, delta);
  }
  return counters;
}

/** An invoice's lines per item, in pence (prices with a fraction of a penny are rounded). */
function lineTotals(invoice: Invoice): ItemLineTotals[] {
  const totals = new Map<Item, { valueMinor: number; units: number }>();
  for (const line of invoice.lines) {
    const total = totals.get(line.item) ?? { valueMinor: 0, units: 0 };
    total.valueMinor += Math.round(line.unitPrice * 100) * line.quantity;
    total.units += line.quantity;
    totals.set(line.item, total);
  }
  return [...totals].map(([item, t]) => ({ item, ...t, marginMinor: 0, marginUnits: 0 }));
}

export interface StandIn {
  /** Rule candidates first, filled up to topK with the window's most popular items. */
  readonly suggest: Suggester;
  /** The rule candidates alone: what the fill adds is the difference. */
  readonly fromRules: Suggester;
  readonly mining: MiningResult;
  /** Distinct item sets the miner saw. */
  readonly distinctBaskets: number;
}

/**
 * The stand-in suggester as of `boundary` (the end of training): rules mined over the
 * basketWindowDays before it, fired by what each customer bought within recentDays before it.
 */
export function standInSuggester(
  training: readonly Invoice[],
  boundary: number,
  settings: StandInSettings,
): StandIn {
  const snapshot = countersOf(training);
  const window = windowAt(boundary, settings.basketWindowDays);
  const { baskets } = basketsInWindow([snapshot], window);
  const mining = mineAssociationRules(baskets, {
    minSupport: settings.minSupport,
    minConfidence: settings.minConfidence,
    minLen: settings.minRuleLength,
    maxLen: settings.maxRuleLength,
  });
  const population: PopulationEvidence = {
    rules: mining.rules,
    rulesByFirstAntecedent: indexRulesByFirstAntecedent(mining.rules),
    steps: [],
    ladders: [],
    economics: new Map(
      mergeItemEconomics([snapshot], window.fromDay, window.toDay, () => 0).map((e) => [e.item, e]),
    ),
    categoryOf: new Map(),
  };
  const rankSettings = {
    topK: settings.topK,
    horizonDays: settings.recentDays,
    defaultMarginShare: defaultNextBestOfferSettings.defaultMarginShare,
    walletGapBoost: defaultNextBestOfferSettings.walletGapBoost,
    // `fromRules` must be the rules alone; `suggest` fills below.
    popularFill: false,
  };
  const popular = popularItems(basketsBefore(training, boundary, settings.basketWindowDays));
  const recent = itemsByCustomer(basketsBefore(training, boundary, settings.recentDays));
  const none: ReadonlySet<Item> = new Set();
  const noFirstDays: ReadonlyMap<Item, number> = new Map();

  const fromRules: Suggester = (customerId) =>
    rankSuggestions(
      { recentItems: recent.get(customerId) ?? none, firstDays: noFirstDays, walletGapCategories: none },
      population,
      window.toDay,
      rankSettings,
    ).map((suggestion) => suggestion.item);
  const suggest: Suggester = (customerId) => {
    const bought = recent.get(customerId) ?? none;
    const ranked = [...fromRules(customerId)];
    const chosen = new Set(ranked);
    for (const item of popular) {
      if (ranked.length >= settings.topK) break;
      if (!bought.has(item) && !chosen.has(item)) ranked.push(item);
    }
    return ranked;
  };
  return { suggest, fromRules, mining, distinctBaskets: baskets.length };
}
