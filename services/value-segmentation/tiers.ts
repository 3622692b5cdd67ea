// Value tiers and their hysteresis (SEMANTICS.md, "Tiers and hysteresis"). A customer changes tier
// only once its value is clearly past a threshold — by a band of `hysteresisShare` of the
// threshold — so a customer sitting on a threshold does not flap between tiers every refresh.

import { formatMinor } from './money-text.js';
import type { ValueSegmentationSettings } from './settings.js';
import { hasThresholds, type TierThresholds, type TierView } from './tier-view.js';

export type ValueTier = 'top2' | 'top' | 'middle' | 'bottom';
/** A tier, or `lapsed`: the customer has no purchase left in the ranking window. */
export type ValueSegment = ValueTier | 'lapsed';

const RANK: Readonly<Record<ValueTier, number>> = { top2: 3, top: 2, middle: 1, bottom: 0 };

/** Tiers of these thresholds, highest first; `top2` only when enabled. */
export function tiersOf(thresholds: TierThresholds): ValueTier[] {
  return thresholds.top2 === null ? ['top', 'middle', 'bottom'] : ['top2', 'top', 'middle', 'bottom'];
}

export function ranksAbove(a: ValueTier, b: ValueTier): boolean {
  return RANK[a] > RANK[b];
}

/** Lower threshold of a tier; `bottom` has none (-Infinity). */
export function lowerThresholdOf(tier: ValueTier, thresholds: TierThresholds): number {
  switch (tier) {
    case 'top2':
      return thresholds.top2 ?? Number.POSITIVE_INFINITY;
    case 'top':
      return thresholds.top;
    case 'middle':
      return thresholds.bottom;
    case 'bottom':
      return Number.NEGATIVE_INFINITY;
  }
}

/**
 * Hysteresis band around a threshold: a share of its size, so the band scales with the money at
 * stake, rounded to whole minor units like every amount in the evidence (SegmentChanged's
 * bandMinor is a long), so `v >= t + band` can be re-checked by hand exactly.
 */
export function bandOf(threshold: number, settings: ValueSegmentationSettings): number {
  return Math.round(settings.hysteresisShare * Math.abs(threshold));
}

/** Highest tier whose lower threshold, moved by `direction` × its band, the value reaches. */
function highestReached(
  valueMinor: number,
  thresholds: TierThresholds,
  settings: ValueSegmentationSettings,
  direction: 1 | -1,
): ValueTier {
  for (const tier of tiersOf(thresholds)) {
    if (tier === 'bottom') break;
    const t = lowerThresholdOf(tier, thresholds);
    if (valueMinor >= t + direction * bandOf(t, settings)) return tier;
  }
  return 'bottom';
}

/** First placement: the highest tier whose lower threshold is at or below the value. */
export function placementOf(valueMinor: number, thresholds: TierThresholds): ValueTier {
  for (const tier of tiersOf(thresholds)) {
    if (valueMinor >= lowerThresholdOf(tier, thresholds)) return tier;
  }
  return 'bottom';
}

/** up(v): the highest tier the value clears by a full band. */
export function upTierOf(
  valueMinor: number,
  thresholds: TierThresholds,
  settings: ValueSegmentationSettings,
): ValueTier {
  return highestReached(valueMinor, thresholds, settings, 1);
}

/** down(v): the highest tier the value has not fallen below by a full band. */
export function downTierOf(
  valueMinor: number,
  thresholds: TierThresholds,
  settings: ValueSegmentationSettings,
): ValueTier {
  return highestReached(valueMinor, thresholds, settings, -1);
}

export interface TierEvaluation {
  readonly tier: ValueTier;
  readonly move: 'placed' | 'up' | 'down' | 'stayed';
  /** Why, in words, for the evidence of a segment change (built when read: most evaluations stay). */
  readonly rule: string;
}

function tierAbove(tier: ValueTier, thresholds: TierThresholds): ValueTier {
  const order = tiersOf(thresholds);
  const index = order.indexOf(tier);
  return order[Math.max(0, index - 1)]!;
}

/**
 * An evaluation whose rule is worded only when read: every purchase, age-out and view re-decides
 * a tier, and most stay where they were; only a change puts the rule in its evidence.
 */
class Evaluation implements TierEvaluation {
  constructor(
    readonly tier: ValueTier,
    readonly move: TierEvaluation['move'],
    private readonly valueMinor: number,
    private readonly current: ValueTier | null,
    private readonly thresholds: TierThresholds,
    private readonly settings: ValueSegmentationSettings,
  ) {}

  get rule(): string {
    const { tier, current, thresholds, settings } = this;
    const value = `value ${formatMinor(this.valueMinor)} ${settings.valueCurrency}`;
    if (this.move === 'placed')
      return tier === 'bottom'
        ? `${value} < middle threshold ${formatMinor(thresholds.bottom)}: placed in bottom`
        : `${value} ≥ ${tier} threshold ${formatMinor(lowerThresholdOf(tier, thresholds))}: placed in ${tier}`;
    if (this.move === 'up') {
      const t = lowerThresholdOf(tier, thresholds);
      return `${value} ≥ ${tier} threshold ${formatMinor(t)} + band ${formatMinor(bandOf(t, settings))}: moved up from ${current}`;
    }
    if (this.move === 'down') {
      // The binding threshold is the one of the tier just above the tier reached.
      const above = tierAbove(tier, thresholds);
      const t = lowerThresholdOf(above, thresholds);
      return `${value} < ${above} threshold ${formatMinor(t)} - band ${formatMinor(bandOf(t, settings))}: moved down from ${current} to ${tier}`;
    }
    return `${value} is within the hysteresis bands of ${current}: stays`;
  }
}

/** The tier after a value change or a new view: first placement, or hysteresis from `current`. */
export function evaluateTier(
  current: ValueTier | null,
  valueMinor: number,
  thresholds: TierThresholds,
  settings: ValueSegmentationSettings,
): TierEvaluation {
  let tier: ValueTier = current ?? placementOf(valueMinor, thresholds);
  let move: TierEvaluation['move'] = current === null ? 'placed' : 'stayed';
  if (current !== null) {
    const up = upTierOf(valueMinor, thresholds, settings);
    const down = ranksAbove(up, current) ? null : downTierOf(valueMinor, thresholds, settings);
    if (down === null) [tier, move] = [up, 'up'];
    else if (ranksAbove(current, down)) [tier, move] = [down, 'down'];
  }
  return new Evaluation(tier, move, valueMinor, current, thresholds, settings);
}

/**
 * Index score ranges (inclusive) holding every customer whose tier can differ under `next` from
 * under `previous`. Outside `[min(t, t') - max(band, band'), max(t, t') + max(band, band')]` of
 * every threshold pair, each comparison `v >= t ± band` has the same answer under both views, so
 * the tier cannot change. A first view concerns every customer.
 */
export function affectedScoreRanges(
  previous: TierView | null,
  next: TierView,
  settings: ValueSegmentationSettings,
): Array<readonly [number, number]> {
  if (!hasThresholds(next)) return [];
  if (!hasThresholds(previous)) return [[Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]];
  // Same thresholds: every customer's tier already is what they give (a customer's tier is
  // evaluated under the view in force at each of its changes, and evaluateTier is idempotent:
  // placing or moving a customer lands it where a second evaluation keeps it), so no one moves.
  const same = previous.thresholds;
  const now = next.thresholds;
  if (same.top2 === now.top2 && same.top === now.top && same.bottom === now.bottom) return [];
  const pairs: Array<[number | null, number | null]> = [
    [previous.thresholds.top2, next.thresholds.top2],
    [previous.thresholds.top, next.thresholds.top],
    [previous.thresholds.bottom, next.thresholds.bottom],
  ];
  const ranges: Array<[number, number]> = [];
  for (const [old, young] of pairs) {
    if (old === null && young === null) continue;
    // A tier switched on or off between views: any customer may move.
    if (old === null || young === null) return [[Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]];
    const band = Math.max(bandOf(old, settings), bandOf(young, settings));
    ranges.push([Math.min(old, young) - band, Math.max(old, young) + band]);
  }
  return mergeRanges(ranges);
}

/** Sorted, with overlapping or touching ranges joined, so no customer is re-decided twice. */
function mergeRanges(ranges: Array<[number, number]>): Array<readonly [number, number]> {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const [lo, hi] of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else merged.push([lo, hi]);
  }
  return merged;
}
