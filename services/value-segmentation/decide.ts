// The pure decisions of value segmentation (SEMANTICS.md): what a purchase, an age-out timer and
// a new population view do to one customer. Each returns the new state plus everything the
// runtime must apply atomically with it: the index score, histogram and tier-size counters, the
// age-out timer and the segment changes.

import type {
  CounterDelta,
  CustomerDecision,
  DecisionContext,
  FiredTimer,
  InputRecord,
  OutputEvent,
} from '../../shared/runtime/worker-definition.js';
import { cellOf } from './histogram.js';
import { contributionOf, type PurchaseLike } from './purchase-value.js';
import { evidenceOf, type SegmentChangeCause, segmentChangedOutput } from './segment-changed.js';
import type { ValueSegmentationSettings } from './settings.js';
import { countField, hasThresholds, sumField, type TierView } from './tier-view.js';
import { evaluateTier, type ValueTier } from './tiers.js';
import {
  addContribution,
  type Bucket,
  bucketStartOf,
  isActiveAt,
  nextAgeOutAt,
  pruneBuckets,
  rankingValueAt,
} from './windows.js';

export const AGE_OUT_TIMER = 'age-out';

/** What is kept per customer while it is in the population (state is deleted when it leaves). */
export interface CustomerValueState {
  /** Buckets sorted by start that can still count in some window. */
  readonly buckets: readonly Bucket[];
  /** Null until the first view with thresholds places the customer. */
  readonly tier: ValueTier | null;
  /**
   * The ranking value the customer is counted with in the histogram and the index. Kept so the
   * next decision removes exactly what this one added, whatever happened in between.
   */
  readonly rankingValueMinor: number;
}

type Context = DecisionContext<TierView>;
export type ValueDecision = CustomerDecision<CustomerValueState>;

export function tierSizeField(tier: ValueTier): string {
  return `t:${tier}`;
}

/** Moves a customer's value between histogram cells; null = not counted. Deltas of 0 are left out. */
function histogramDeltas(before: number | null, after: number | null): CounterDelta[] {
  const from = before === null ? null : cellOf(before);
  const to = after === null ? null : cellOf(after);
  if (from !== null && from === to) {
    // Same cell: its count stays, its sum moves by the difference.
    const delta = after! - before!;
    return delta === 0 ? [] : [{ field: sumField(to), delta }];
  }
  const deltas: CounterDelta[] = [];
  if (from !== null) {
    deltas.push({ field: countField(from), delta: -1 });
    if (before !== 0) deltas.push({ field: sumField(from), delta: -before! });
  }
  if (to !== null) {
    deltas.push({ field: countField(to), delta: 1 });
    if (after !== 0) deltas.push({ field: sumField(to), delta: after! });
  }
  return deltas;
}

/** Tier sizes; `lapsed` is not counted: a lapsed customer has no state left to count. */
function tierDeltas(before: ValueTier | null, after: ValueTier | null): CounterDelta[] {
  if (before === after) return [];
  const deltas: CounterDelta[] = [];
  if (before !== null) deltas.push({ field: tierSizeField(before), delta: -1 });
  if (after !== null) deltas.push({ field: tierSizeField(after), delta: 1 });
  return deltas;
}

interface Settlement {
  readonly previous: CustomerValueState | null;
  /** The customer's buckets after the change, pruned at `at`. */
  readonly buckets: readonly Bucket[];
  /** Stream time of the decision. */
  readonly at: number;
  readonly customerId: string;
  readonly cause: SegmentChangeCause;
  readonly causedAtEventTime: number;
}

/** The customer has no bucket left in the ranking window: it leaves, as `lapsed` if it had a tier. */
function leave(
  s: Settlement,
  previous: CustomerValueState,
  ctx: Context,
  settings: ValueSegmentationSettings,
): ValueDecision {
  const outputs: OutputEvent[] = [];
  if (previous.tier !== null) {
    const evidence = evidenceOf(
      {
        buckets: s.buckets,
        at: s.at,
        rankingValueMinor: 0,
        inPopulation: false,
        view: ctx.population,
        rule: `no purchase counts in the ${settings.rankingWindowDays}-day ranking window any more: lapsed`,
      },
      settings,
    );
    outputs.push(
      segmentChangedOutput(
        {
          customerId: s.customerId,
          fromSegment: previous.tier,
          toSegment: 'lapsed',
          cause: s.cause,
          evidence,
          causedAtEventTime: s.causedAtEventTime,
        },
        ctx,
      ),
    );
  }
  return {
    state: null,
    outputs,
    timers: [{ kind: AGE_OUT_TIMER, dueAt: null }],
    indexScore: null,
    counters: [...histogramDeltas(previous.rankingValueMinor, null), ...tierDeltas(previous.tier, null)],
  };
}

/** Re-values the customer after its buckets changed, re-tiers it under the view in force. */
function settle(s: Settlement, ctx: Context, settings: ValueSegmentationSettings): ValueDecision {
  if (!isActiveAt(s.buckets, s.at, settings)) {
    // A record whose bucket is already out of the ranking window makes no customer active.
    if (s.previous === null) return { state: null, outputs: [], timers: [] };
    return leave(s, s.previous, ctx, settings);
  }
  const value = rankingValueAt(s.buckets, s.at, settings);
  const view = ctx.population;
  const previousTier = s.previous?.tier ?? null;
  // Before any view with thresholds, customers are not tiered and nothing is emitted.
  const evaluation = hasThresholds(view)
    ? evaluateTier(previousTier, value, view.thresholds, settings)
    : null;
  const tier = evaluation?.tier ?? previousTier;
  const outputs: OutputEvent[] = [];
  if (evaluation !== null && tier !== null && tier !== previousTier) {
    const evidence = evidenceOf(
      {
        buckets: s.buckets,
        at: s.at,
        rankingValueMinor: value,
        inPopulation: true,
        view,
        rule: evaluation.rule,
      },
      settings,
    );
    outputs.push(
      segmentChangedOutput(
        {
          customerId: s.customerId,
          fromSegment: previousTier,
          toSegment: tier,
          cause: s.cause,
          evidence,
          causedAtEventTime: s.causedAtEventTime,
        },
        ctx,
      ),
    );
  }
  return {
    state: { buckets: s.buckets, tier, rankingValueMinor: value },
    outputs,
    // Active means a bucket counts in the ranking window, so there is always a next age-out.
    timers: [{ kind: AGE_OUT_TIMER, dueAt: nextAgeOutAt(s.buckets, s.at, settings) }],
    indexScore: value,
    counters: [
      ...histogramDeltas(s.previous?.rankingValueMinor ?? null, value),
      ...tierDeltas(previousTier, tier),
    ],
  };
}

/**
 * A purchase or return of the customer, applied to the bucket of its event time — also when it
 * is late (within the allowed lateness; the runtime dead-letters older ones) — and evaluated at
 * the partition's stream time.
 */
export function decidePurchase(
  state: CustomerValueState | null,
  input: InputRecord<PurchaseLike>,
  ctx: Context,
  settings: ValueSegmentationSettings,
): ValueDecision {
  const at = ctx.streamTime;
  const withRecord = addContribution(
    state?.buckets ?? [],
    bucketStartOf(input.eventTime, settings),
    contributionOf(input.event, settings),
  );
  return settle(
    {
      previous: state,
      buckets: pruneBuckets(withRecord, at, settings),
      at,
      customerId: input.customerId,
      cause: input.event.kind === 'RETURN' ? 'return' : 'purchase',
      causedAtEventTime: input.eventTime,
    },
    ctx,
    settings,
  );
}

/**
 * The customer's age-out timer came due: a bucket left the ranking window, so its ranking value
 * (or its membership) changed at `dueAt` without a purchase.
 */
export function decideAgeOut(
  state: CustomerValueState | null,
  timer: FiredTimer,
  ctx: Context,
  settings: ValueSegmentationSettings,
): ValueDecision {
  // A timer of a customer that has already left, or of a kind this worker does not set: nothing to do.
  if (state === null || timer.kind !== AGE_OUT_TIMER) return { state, outputs: [], timers: [] };
  const at = timer.dueAt;
  return settle(
    {
      previous: state,
      buckets: pruneBuckets(state.buckets, at, settings),
      at,
      customerId: timer.customerId,
      cause: 'value-aged-out',
      causedAtEventTime: at,
    },
    ctx,
    settings,
  );
}

/**
 * An erasure (GDPR article 17): what the customer's state adds to the partition's counters, taken
 * out again, so that the counters are as if it had never been there. Both counter families are
 * figures of the population as it is now, not history: the histogram cells are what the next
 * snapshot (and so the next thresholds) is made of, and the tier sizes count the customers
 * currently in each tier. Neither keeps anything of the past once a customer leaves, so both
 * forget. The same deltas as the customer leaving, before = its state, after = nothing; unlike a
 * lapse it emits nothing: an erased customer is never named again, not even as `lapsed`.
 */
export function forgetCustomer(state: CustomerValueState): CounterDelta[] {
  return [...histogramDeltas(state.rankingValueMinor, null), ...tierDeltas(state.tier, null)];
}

/**
 * A new view was applied in the customer's partition and the customer's value lies where the
 * thresholds moved: re-tier it. Its value does not change (timers due now have already fired).
 */
export function decideThresholdRefresh(
  state: CustomerValueState,
  customerId: string,
  ctx: Context,
  settings: ValueSegmentationSettings,
): ValueDecision {
  const view = ctx.population;
  const unchanged: ValueDecision = { state, outputs: [], timers: [] };
  if (!hasThresholds(view)) return unchanged;
  const evaluation = evaluateTier(state.tier, state.rankingValueMinor, view.thresholds, settings);
  if (evaluation.tier === state.tier) return unchanged;
  const evidence = evidenceOf(
    {
      buckets: state.buckets,
      at: ctx.streamTime,
      rankingValueMinor: state.rankingValueMinor,
      inPopulation: true,
      view,
      rule: evaluation.rule,
    },
    settings,
  );
  return {
    state: { ...state, tier: evaluation.tier },
    outputs: [
      segmentChangedOutput(
        {
          customerId,
          fromSegment: state.tier,
          toSegment: evaluation.tier,
          cause: 'threshold-refresh',
          evidence,
          causedAtEventTime: ctx.streamTime,
        },
        ctx,
      ),
    ],
    timers: [],
    counters: tierDeltas(state.tier, evaluation.tier),
  };
}
