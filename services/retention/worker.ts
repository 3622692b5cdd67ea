// Retention as the runtime sees it: purchases (the stream that moves time), interactions,
// profiles and value tiers (applied on arrival), erasure requests (applied by the runtime with
// forget.ts), per-customer purchase summaries, the silence and ladder timers, and a population
// view of the BG/NBD and Gamma-Gamma fits.

import {
  customerErasuresInput,
  customerProfilesInput,
  inputsOf,
  interactionsInput,
  purchasesInput,
  segmentChangesInput,
} from '../../shared/contracts/inputs.js';
import type { WorkerDefinition } from '../../shared/runtime/worker-definition.js';
import { topicCatalogue } from '../../shared/topics.js';
import {
  decideLadderAgeing,
  decideRecord,
  decideRefit,
  decideSilence,
  type RetentionContext,
  type RetentionInput,
  SILENCE_TIMER,
} from './decide.js';
import {
  type FitOutcomes,
  fitPopulation,
  fitPopulationSteps,
  MODEL_COUNTER_PREFIX,
  type PopulationFit,
  type RetentionView,
} from './fit-view.js';
import { forgetRetention } from './forget.js';
import { LADDER_TIMER } from './ladder-step.js';
import { runYielding } from './models/nelder-mead.js';
import { checkRetentionSettings } from './settings.js';
import { decodeState, encodeState, type RetentionState } from './state.js';
import { budgetFields } from './treatment.js';

export const RETENTION = 'retention';

/**
 * `onFit` hears why each fit this process ran was used or not (the fit-outcomes counter): the
 * merge itself stays pure, and which process merges a boundary is the runtime's business.
 */
export function createRetentionWorker(
  rc: RetentionContext,
  onFit: (outcomes: FitOutcomes) => void = () => {},
): WorkerDefinition<RetentionInput, RetentionState, RetentionView> {
  const { settings } = rc;
  checkRetentionSettings(settings);
  const viewOf = (fit: PopulationFit) => {
    onFit(fit.outcomes);
    return fit.view as RetentionView;
  };
  return {
    name: RETENTION,
    inputs: inputsOf<RetentionInput>(
      purchasesInput(settings.currency),
      interactionsInput(),
      customerProfilesInput(),
      segmentChangesInput(),
      customerErasuresInput(),
    ),
    outputTopics: [topicCatalogue.retentionOffers.name, topicCatalogue.segmentChanges.name],
    allowedLatenessMs: settings.allowedLatenessMs,
    encodeState,
    decodeState,
    decide: (state, record, ctx) => decideRecord(state, record, ctx, rc),
    onTimer: (state, timer, ctx) =>
      timer.kind === LADDER_TIMER
        ? decideLadderAgeing(state, timer.customerId, ctx, rc)
        : decideSilence(state, timer.customerId, ctx, rc),
    counterReads: budgetFields,
    // An erased customer comes back only with a profile newer than the erasure (the runtime's
    // rule): it starts from nothing, like a new customer, since its history was forgotten.
    erasure: {
      timerKinds: [SILENCE_TIMER, LADDER_TIMER],
      forget: (state, ctx) => forgetRetention(state, ctx, rc),
    },
    population: {
      periodMs: settings.fitPeriodMs,
      publishDelayMs: settings.publishDelayMs,
      snapshotCounterPrefix: MODEL_COUNTER_PREFIX,
      mergeKeepsFromViewInForce: true,
      merge: (boundary, snapshots, inForce) =>
        viewOf(fitPopulation(boundary, snapshots, settings, inForce ?? null)),
      mergeYielding: async (boundary, snapshots, inForce) =>
        viewOf(await runYielding(fitPopulationSteps(boundary, snapshots, settings, inForce ?? null))),
      affectedScoreRanges: () => [[Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]],
      onPopulationChange: (state, _customerId, ctx) => decideRefit(state, ctx, rc),
    },
  };
}
