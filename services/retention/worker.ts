// Retention as the runtime sees it: purchases (the stream that moves time), interactions,
// profiles and value tiers (applied on arrival), per-customer purchase summaries, the silence
// timer, and a population view of the BG/NBD and Gamma-Gamma fits.

import type {
  CustomerProfile,
  Interaction,
  Purchase,
  SegmentChanged,
} from '../../shared/contracts/generated.js';
import { validateInteraction } from '../../shared/contracts/validate-interaction.js';
import { validateCustomerProfile } from '../../shared/contracts/validate-profile.js';
import { validatePurchase } from '../../shared/contracts/validate-purchase.js';
import type { InputDefinition, WorkerDefinition } from '../../shared/runtime/worker-definition.js';
import { topicCatalogue } from '../../shared/topics.js';
import {
  decideLadderAgeing,
  decideRecord,
  decideRefit,
  decideSilence,
  type RetentionContext,
  type RetentionInput,
} from './decide.js';
import { MODEL_COUNTER_PREFIX, mergeModelSnapshots, type RetentionView } from './fit-view.js';
import { LADDER_TIMER } from './ladder-step.js';
import { checkRetentionSettings } from './settings.js';
import { decodeState, encodeState, type RetentionState } from './state.js';
import { budgetFields } from './treatment.js';

export const RETENTION = 'retention';

function input<E extends RetentionInput>(definition: InputDefinition<E>): InputDefinition<RetentionInput> {
  return definition as unknown as InputDefinition<RetentionInput>;
}

export function createRetentionWorker(
  rc: RetentionContext,
): WorkerDefinition<RetentionInput, RetentionState, RetentionView> {
  const { settings } = rc;
  checkRetentionSettings(settings);
  return {
    name: RETENTION,
    inputs: [
      input<Purchase>({
        topic: topicCatalogue.purchases.name,
        schema: topicCatalogue.purchases.schema,
        validate: (purchase) => validatePurchase(purchase, { valueCurrency: settings.currency }),
        customerIdOf: (purchase) => purchase.customerId,
        eventTimeOf: (purchase) => purchase.occurredAt,
      }),
      // Interactions do not move stream time: two streams on two topics arrive in any order, and
      // one running ahead would make the other's records late. They act when they arrive.
      input<Interaction>({
        topic: topicCatalogue.interactions.name,
        schema: topicCatalogue.interactions.schema,
        kind: 'table',
        validate: (interaction) => validateInteraction(interaction),
        customerIdOf: (interaction) => interaction.customerId,
        eventTimeOf: (interaction) => interaction.occurredAt,
      }),
      input<CustomerProfile>({
        topic: topicCatalogue.customerProfiles.name,
        schema: topicCatalogue.customerProfiles.schema,
        kind: 'table',
        validate: (profile) => validateCustomerProfile(profile),
        customerIdOf: (profile) => profile.customerId,
        eventTimeOf: (profile) => profile.occurredAt,
      }),
      input<SegmentChanged>({
        topic: topicCatalogue.segmentChanges.name,
        schema: topicCatalogue.segmentChanges.schema,
        kind: 'table',
        validate: () => null,
        customerIdOf: (change) => change.customerId,
        eventTimeOf: (change) => change.occurredAt,
      }),
    ],
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
      merge: (boundary, snapshots) => mergeModelSnapshots(boundary, snapshots, settings) as RetentionView,
      affectedScoreRanges: () => [[Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]],
      onPopulationChange: (state, _customerId, ctx) => decideRefit(state, ctx, rc),
    },
  };
}
