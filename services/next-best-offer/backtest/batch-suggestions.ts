// STAND-IN for the worker's suggestions, so the backtest runs before the worker does. It takes
// the worker's mining path offline — training invoices into one partition's day counters
// (basketField, economicsDeltas), the window's weighted baskets (basketsInWindow), the miner, the
// window's mean prices (mergeItemEconomics) — and ranks as rank.ts ranks rule candidates (lift ×
// unit price; a constant margin share does not change the order), but without up-sell steps,
// ladders, share-of-wallet boosts or gates, and it fills up with the window's most popular items.
// The lead replaces it by the worker's own suggestions (its Redis state + view + rank.ts); the
// backtest only needs the Suggester, `(customerId) => Item[]`.

import { type MiningResult, mineAssociationRules } from '../apriori.js';
import { basketField, compareItems } from '../basket-key.js';
import { basketsInWindow, windowAt } from '../basket-window.js';
import { economicsDeltas, type ItemLineTotals, mergeItemEconomics } from '../item-economics.js';
import type { AssociationRule, Item } from '../model.js';
import { DAY_MS } from '../settings.js';
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

/** Rules grouped by the first item of their antecedent ('' for the empty antecedent). */
function indexRules(rules: readonly AssociationRule[]): Map<Item | null, AssociationRule[]> {
  const index = new Map<Item | null, AssociationRule[]>();
  for (const rule of rules) {
    const key = rule.antecedent[0] ?? null;
    const list = index.get(key) ?? [];
    list.push(rule);
    index.set(key, list);
  }
  return index;
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
  const price = new Map(
    mergeItemEconomics([snapshot], window.fromDay, window.toDay, () => 0).map((e) => [
      e.item,
      e.unitPriceMinor,
    ]),
  );
  const popular = popularItems(basketsBefore(training, boundary, settings.basketWindowDays));
  const recent = itemsByCustomer(basketsBefore(training, boundary, settings.recentDays));
  const rulesByFirst = indexRules(mining.rules);
  const none: ReadonlySet<Item> = new Set();

  const fromRules: Suggester = (customerId) => {
    const bought = recent.get(customerId) ?? none;
    const value = new Map<Item, number>();
    const fire = (rule: AssociationRule) => {
      if (bought.has(rule.consequent) || !rule.antecedent.every((item) => bought.has(item))) return;
      const v = rule.lift * (price.get(rule.consequent) ?? 0);
      if (v > (value.get(rule.consequent) ?? -1)) value.set(rule.consequent, v);
    };
    for (const rule of rulesByFirst.get(null) ?? []) fire(rule);
    for (const item of bought) for (const rule of rulesByFirst.get(item) ?? []) fire(rule);
    return [...value.keys()]
      .sort((a, b) => value.get(b)! - value.get(a)! || compareItems(a, b))
      .slice(0, settings.topK);
  };
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
