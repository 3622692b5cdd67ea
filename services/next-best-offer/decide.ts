// The decisions of the next-best-offer worker on its inputs and timers. A sale is a basket (its
// counters feed the rules) and a step on the customer's way (its first purchases feed the learned
// up-sell steps); it is also the moment to suggest what goes with it. A due-step timer suggests
// when the customer's next step is typically due; an expiry timer takes old baskets out.

import type {
  CustomerProfile,
  Purchase,
  SegmentChanged,
  UnderConsumptionDetected,
} from '../../shared/contracts/generated.js';
import type {
  CounterDelta,
  CustomerDecision,
  DecisionContext,
  FiredTimer,
  InputRecord,
  TimerChange,
} from '../../shared/runtime/worker-definition.js';
import { topicCatalogue } from '../../shared/topics.js';
import { basketField, compareItems, utcDayOf } from './basket-key.js';
import {
  basketDeltas,
  type CountedBasket,
  EXPIRE_BASKETS,
  expireBaskets,
  nextExpiry,
} from './counted-baskets.js';
import type { Item } from './model.js';
import { basketOf } from './purchase-basket.js';
import { dueSequenceSteps } from './rank.js';
import { forgetSequences, recordPurchase, type SequenceSettings } from './sequence-steps.js';
import type { NextBestOfferSettings } from './settings.js';
import { emptyNextBestOfferState, type NextBestOfferState } from './state.js';
import { suggest, watchConversion } from './suggest.js';
import type { NextBestOfferView } from './view.js';

export type NextBestOfferInput = Purchase | CustomerProfile | SegmentChanged | UnderConsumptionDetected;

export const STEP_DUE = 'nbo-step-due';
const VALUE_TIER_DIMENSION = 'value-tier';

const unchanged = (state: NextBestOfferState | null): CustomerDecision<NextBestOfferState> => ({
  state,
  outputs: [],
  timers: [],
});

export function sequenceSettingsOf(settings: NextBestOfferSettings): SequenceSettings {
  return { horizonDays: settings.stepHorizonDays, maxItemsPerCustomer: settings.maxItemsPerCustomer };
}

/** Last purchase day per item, the newest `max` kept (ties: the smaller item). */
export function rememberBought(
  lastBought: NextBestOfferState['lastBought'],
  items: readonly Item[],
  day: number,
  max: number,
): NextBestOfferState['lastBought'] {
  const days = new Map(lastBought);
  for (const item of items) days.set(item, Math.max(day, days.get(item) ?? day));
  return [...days.entries()]
    .sort(([a, da], [b, db]) => db - da || compareItems(a, b))
    .slice(0, max)
    .sort(([a], [b]) => compareItems(a, b));
}

/** The customer's two timers as the state and the view in force have them now. */
function timersOf(
  state: NextBestOfferState,
  now: number,
  ctx: DecisionContext<NextBestOfferView>,
  settings: NextBestOfferSettings,
): TimerChange[] {
  const due =
    ctx.population === null || state.consent !== true
      ? null
      : dueSequenceSteps(new Map(state.sequence.firstDays), ctx.population.steps, now).nextDueAt;
  // A step falling due within the cooldown is still open when it ends: suggest it then, not at a
  // moment the gates would refuse anyway. No consent, no timer: the gates would refuse it too.
  const cooldownEnd = state.lastSuggestedAt === null ? null : state.lastSuggestedAt + settings.cooldownMs;
  return [
    { kind: EXPIRE_BASKETS, dueAt: nextExpiry(state.baskets, settings.basketWindowDays) },
    { kind: STEP_DUE, dueAt: due === null || cooldownEnd === null ? due : Math.max(due, cooldownEnd) },
  ];
}

export function decidePurchase(
  previous: NextBestOfferState | null,
  customerId: string,
  purchase: Purchase,
  ctx: DecisionContext<NextBestOfferView>,
  settings: NextBestOfferSettings,
): CustomerDecision<NextBestOfferState> {
  const basket = basketOf(purchase, settings.itemLevel);
  if (basket === null) return unchanged(previous);
  const now = purchase.occurredAt;
  const day = utcDayOf(now);
  const base = previous ?? emptyNextBestOfferState;
  const counted: CountedBasket = { day, field: basketField(day, basket.items), lines: basket.lines };
  // Steps off: the customer's first purchases are not kept, so no sequence counter ever moves.
  const steps = settings.learnSteps
    ? recordPurchase(base.sequence, basket.items, day, sequenceSettingsOf(settings))
    : { state: base.sequence, deltas: [] };
  const watched = watchConversion(base, basket.items, now, settings);
  const bought: NextBestOfferState = {
    ...watched.state,
    baskets: [...base.baskets, counted],
    sequence: steps.state,
    lastBought: rememberBought(base.lastBought, basket.items, day, settings.maxItemsPerCustomer),
  };
  const suggested = suggest(bought, customerId, 'purchase', now, ctx, settings);
  return {
    state: suggested.state,
    outputs: suggested.outputs,
    timers: timersOf(suggested.state, ctx.streamTime, ctx, settings),
    counters: [...basketDeltas(counted, 1), ...steps.deltas, ...watched.counters, ...suggested.counters],
    observations: [...watched.observations, ...suggested.observations],
  };
}

/** Consent takes effect on arrival (a table): the latest profile is the customer's word now. */
export function decideProfile(
  previous: NextBestOfferState | null,
  profile: CustomerProfile,
): CustomerDecision<NextBestOfferState> {
  return unchanged({ ...(previous ?? emptyNextBestOfferState), consent: profile.marketingConsent });
}

export function decideSegmentChange(
  previous: NextBestOfferState | null,
  change: SegmentChanged,
): CustomerDecision<NextBestOfferState> {
  if (change.dimension !== VALUE_TIER_DIMENSION) return unchanged(previous);
  return unchanged({ ...(previous ?? emptyNextBestOfferState), tier: change.toSegment });
}

/** The customer buys this unit elsewhere: remembered with the alert's time (the latest per unit). */
export function decideUnderConsumption(
  previous: NextBestOfferState | null,
  alert: UnderConsumptionDetected,
): CustomerDecision<NextBestOfferState> {
  const base = previous ?? emptyNextBestOfferState;
  const gaps = new Map(base.walletGaps);
  gaps.set(alert.unit, Math.max(alert.occurredAt, gaps.get(alert.unit) ?? alert.occurredAt));
  return unchanged({
    ...base,
    walletGaps: [...gaps].sort(([a], [b]) => compareItems(a, b)),
  });
}

export function decideRecord(
  state: NextBestOfferState | null,
  input: InputRecord<NextBestOfferInput>,
  ctx: DecisionContext<NextBestOfferView>,
  settings: NextBestOfferSettings,
): CustomerDecision<NextBestOfferState> {
  switch (input.source.topic) {
    case topicCatalogue.purchases.name:
      return decidePurchase(state, input.customerId, input.event as Purchase, ctx, settings);
    case topicCatalogue.customerProfiles.name:
      return decideProfile(state, input.event as CustomerProfile);
    case topicCatalogue.segmentChanges.name:
      return decideSegmentChange(state, input.event as SegmentChanged);
    case topicCatalogue.underConsumption.name:
      return decideUnderConsumption(state, input.event as UnderConsumptionDetected);
    default:
      throw new Error(`next best offer has no input ${input.source.topic}`);
  }
}

export function decideTimer(
  state: NextBestOfferState | null,
  timer: FiredTimer,
  ctx: DecisionContext<NextBestOfferView>,
  settings: NextBestOfferSettings,
): CustomerDecision<NextBestOfferState> {
  if (state === null) return unchanged(null);
  if (timer.kind === EXPIRE_BASKETS) {
    const { kept, deltas } = expireBaskets(state.baskets, timer.dueAt, settings.basketWindowDays);
    // Only the expiry timer moves: the step timer may be due at this very instant (both are
    // midnights) and fires after it; recomputing it from now would skip that step.
    return {
      state: { ...state, baskets: kept },
      outputs: [],
      timers: [{ kind: EXPIRE_BASKETS, dueAt: nextExpiry(kept, settings.basketWindowDays) }],
      counters: deltas,
    };
  }
  if (timer.kind === STEP_DUE) {
    const suggested = suggest(state, timer.customerId, 'due-step', timer.dueAt, ctx, settings);
    return {
      state: suggested.state,
      outputs: suggested.outputs,
      timers: timersOf(suggested.state, Math.max(ctx.streamTime, timer.dueAt), ctx, settings),
      counters: suggested.counters,
      observations: suggested.observations,
    };
  }
  return unchanged(state);
}

/** What an erasure takes out of the partition's counters: every basket and every step. */
export function forgetCustomer(state: NextBestOfferState, settings: NextBestOfferSettings): CounterDelta[] {
  return [
    ...state.baskets.flatMap((basket) => basketDeltas(basket, -1)),
    ...forgetSequences(state.sequence, sequenceSettingsOf(settings)),
  ];
}
