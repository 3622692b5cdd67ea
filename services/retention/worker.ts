// Retention as the runtime sees it: purchases (the stream that moves time), interactions,
// profiles and value tiers (applied on arrival), per-customer purchase summaries, the silence
// timer, and a population view of the BG/NBD and Gamma-Gamma fits.

import {
  customerProfilesInput,
  inputsOf,
  interactionsInput,
  purchasesInput,
  segmentChangesInput,
} from '../../shared/contracts/inputs.js';
import type { WorkerDefinition } from '../../shared/runtime/worker-definition.js';
import {
  decideLadderAgeing,
  decideRecord,
  decideRefit,
  decideSilence,
  type RetentionContext,
  type RetentionInput,
} from './decide.js';
import {
  type FitOutcomes,
  fitPopulation,
  fitPopulationSteps,
  MODEL_COUNTER_PREFIX,
  type PopulationFit,
  type RetentionView,
} from './fit-view.js';
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
    ),
    allowedLatenessMs: settings.allowedLatenessMs,
    encodeState,
    decodeState,
    decide: (state, record, ctx) => decideRecord(state, record, ctx, rc),
    onTimer: (state, timer, ctx) =>
      timer.kind === LADDER_TIMER
        ? decideLadderAgeing(state, timer.customerId, ctx, rc)
        : decideSilence(state, timer.customerId, ctx, rc),
    counterReads: budgetFields,
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
