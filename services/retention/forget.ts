// What an erasure (GDPR article 17) takes out of the retention worker's per-partition counters.
// The runtime deletes the state, index entry and timers (shared/runtime/erasure.ts); this says,
// from the customer's state alone, which counters held a part of it that must go.
//
// By counter family:
// - `m:` model counters (BG/NBD and Gamma-Gamma population): forgotten. They are the population
//   every later fit is made from; the customer's one (x, first, last day) cell and, for a repeat
//   buyer, its (x, repeat spend) cell go, so the next fit is the fit of the population without it.
// - `ra:` retention-rate cohorts: the cohort of the customer's last active period is forgotten
//   while its outcome is still open (a purchase of the next period could still be applied); an
//   erased customer can no longer come back, so counting it as active there would bias that
//   cohort's rate down. Closed cohorts (`ra:`, `rr:`) and revenue (`rv:`) are what happened to the
//   business in a past period: they stay (they hold no id, only sums of many customers).
// - `u:` uplift: likewise the open treatment (not yet retained, a purchase before its expiry could
//   still be applied) leaves `assigned`, since it can no longer end `retained`; finished
//   treatments are the history of the offers' effect and stay.
// - `b:` budget: money committed by offers already issued; it stays (forgetting it would let the
//   partition spend the same day's budget twice).

import type { CounterDelta, DecisionContext } from '../../shared/runtime/worker-definition.js';
import { purchaseSummary, type RetentionContext } from './decide.js';
import { modelCounterFields, type RetentionView } from './fit-view.js';
import type { RetentionState } from './state.js';
import { upliftField } from './treatment.js';

/** The counter deltas that take the customer's contribution out of the partition (pure). */
export function forgetRetention(
  state: RetentionState,
  ctx: DecisionContext<RetentionView>,
  rc: RetentionContext,
): CounterDelta[] {
  const deltas: CounterDelta[] = modelCounterFields(purchaseSummary(state)).map((field) => ({
    field,
    delta: -1,
  }));
  // The earliest event time a purchase can still have and be applied (not dead-lettered as late).
  const earliestApplicable = ctx.streamTime - rc.settings.allowedLatenessMs;
  const active = state.activePeriod;
  // Open while a purchase of the next period (which ends at (k + 2) × period) can be applied.
  if (active !== null && (active.period + 2) * rc.settings.ratePeriodMs > earliestApplicable)
    deltas.push({ field: `ra:${active.period}:${active.tier}`, delta: -1 });
  const treatment = state.lastTreatment;
  if (treatment !== null && !treatment.retained && treatment.expiresAt >= earliestApplicable)
    deltas.push({ field: upliftField(treatment.kind, treatment.tier, 'assigned'), delta: -1 });
  return deltas;
}
