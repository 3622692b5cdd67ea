// The population view of the next-best-offer worker: at each refresh boundary, every partition's
// counters mined into the models suggestions are ranked by — the window's association rules
// (exact: equal to a batch Apriori over the same baskets), the learned up-sell steps and the
// items' mean economics. Versioned by its boundary; a replay merges the same snapshots into the
// same view, so it suggests what living through it did.

import { mineAssociationRules } from './apriori.js';
import { basketsInWindow, windowAt } from './basket-window.js';
import { mergeItemEconomics } from './item-economics.js';
import type { AssociationRule, ItemEconomics, SequenceStep } from './model.js';
import { sequenceStepsFrom, sumCounters } from './sequence-steps.js';
import type { NextBestOfferSettings } from './settings.js';

export interface NextBestOfferView {
  /** The boundary whose snapshots it was mined from: the model version in every suggestion. */
  readonly boundary: number;
  /** Baskets in the window (N of the supports). */
  readonly baskets: number;
  readonly rulesByLength: Readonly<Record<number, number>>;
  /** Rules mined, before NBO_MAX_RULES kept the best. */
  readonly rulesMined: number;
  /** Ordered best first (lift, then support, ...): apriori.ts compareRules. */
  readonly rules: readonly AssociationRule[];
  readonly steps: readonly SequenceStep[];
  /** By item, sorted. */
  readonly economics: readonly ItemEconomics[];
  /** Basket counter fields that could not be read (never mined; a sign of foreign writes). */
  readonly malformedFields: number;
}

export function mergeNextBestOfferView(
  boundary: number,
  snapshots: ReadonlyArray<Readonly<Record<string, number>>>,
  settings: NextBestOfferSettings,
): NextBestOfferView | null {
  const window = windowAt(boundary, settings.basketWindowDays);
  const { baskets, malformedFields } = basketsInWindow(snapshots, window);
  const mined = mineAssociationRules(baskets, {
    minSupport: settings.minSupport,
    minConfidence: settings.minConfidence,
    minLen: settings.minRuleLength,
    maxLen: settings.maxRuleLength,
  });
  const basketsHolding = new Map<string, number>();
  for (const basket of baskets)
    for (const item of basket.items) basketsHolding.set(item, (basketsHolding.get(item) ?? 0) + basket.count);
  // Steps off: none, even from counters a run with them on left behind.
  const steps = settings.learnSteps
    ? sequenceStepsFrom(sumCounters(snapshots), {
        minCustomers: settings.minStepCustomers,
        minShare: settings.minStepShare,
        minLift: settings.minStepLift,
      })
    : [];
  if (mined.baskets === 0 && steps.length === 0) return null;
  return {
    boundary,
    baskets: mined.baskets,
    rulesByLength: mined.rulesByLength,
    rulesMined: mined.rules.length,
    rules: mined.rules.slice(0, settings.maxRules),
    steps,
    economics: mergeItemEconomics(
      snapshots,
      window.fromDay,
      window.toDay,
      (item) => basketsHolding.get(item) ?? 0,
    ),
    malformedFields,
  };
}
