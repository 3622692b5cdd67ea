// Value segmentation as the runtime sees it: purchases (a stream), per-customer value state, an
// age-out timer, and a population view of tier thresholds merged from histogram snapshots; plus
// erasure requests (applied by the runtime) and profiles, read only so that a profile newer than
// an erasure can re-admit the customer.

import type { CustomerProfile } from '../../shared/contracts/generated.js';
import { customerErasuresInput, customerProfilesInput, inputsOf } from '../../shared/contracts/inputs.js';
import type { InputDefinition, WorkerDefinition } from '../../shared/runtime/worker-definition.js';
import { topicCatalogue } from '../../shared/topics.js';
import {
  AGE_OUT_TIMER,
  type CustomerValueState,
  decideAgeOut,
  decidePurchase,
  decideThresholdRefresh,
  forgetCustomer,
} from './decide.js';
import { type PurchaseLike, validatePurchase } from './purchase-value.js';
import {
  checkSettings,
  defaultValueSegmentationSettings,
  type ValueSegmentationSettings,
} from './settings.js';
import { decodeState, encodeState } from './state-codec.js';
import { mergeSnapshots, type TierView } from './tier-view.js';
import { affectedScoreRanges } from './tiers.js';

export { describeTopology } from './topology.js';

export const VALUE_SEGMENTATION = 'value-segmentation';
/** Per-partition counters copied into population snapshots: the value histogram. */
export const HISTOGRAM_COUNTER_PREFIX = 'h:';

/** What reaches `decide`: erasure requests never do (the runtime applies them itself). */
export type ValueSegmentationInput = PurchaseLike | CustomerProfile;

export function createValueSegmentationWorker(
  settings: ValueSegmentationSettings = defaultValueSegmentationSettings,
): WorkerDefinition<ValueSegmentationInput, CustomerValueState, TierView> {
  checkSettings(settings);
  const purchases: InputDefinition<PurchaseLike> = {
    topic: topicCatalogue.purchases.name,
    schema: topicCatalogue.purchases.schema,
    validate: (purchase) => validatePurchase(purchase, settings),
    customerIdOf: (purchase) => purchase.customerId,
    eventTimeOf: (purchase) => purchase.occurredAt,
    eventIdOf: (purchase) => purchase.eventId,
  };
  return {
    name: VALUE_SEGMENTATION,
    // Purchases first: the only input that moves stream time.
    inputs: inputsOf<ValueSegmentationInput>(purchases, customerProfilesInput(), customerErasuresInput()),
    outputTopics: [topicCatalogue.segmentChanges.name],
    allowedLatenessMs: settings.allowedLatenessMs,
    encodeState,
    decodeState,
    decide: (state, input, ctx) =>
      input.source.topic === topicCatalogue.purchases.name
        ? decidePurchase(state, { ...input, event: input.event as PurchaseLike }, ctx, settings)
        : // A profile says nothing about value: it only re-admits an erased customer (the runtime
          // does that before calling here), whose value then starts again from its next purchase.
          { state, outputs: [], timers: [] },
    onTimer: (state, timer, ctx) => decideAgeOut(state, timer, ctx, settings),
    population: {
      periodMs: settings.refreshPeriodMs,
      publishDelayMs: settings.publishDelayMs,
      snapshotCounterPrefix: HISTOGRAM_COUNTER_PREFIX,
      // SEMANTICS: a view of an empty population (N = 0) has no thresholds and is not applied.
      merge: (boundary, snapshots) => mergeSnapshots(boundary, snapshots, settings),
      // mergeCells moves its sums by the fields that moved since the snapshot it merged before.
      mergeFollowsLineage: true,
      affectedScoreRanges: (previous, next) => affectedScoreRanges(previous, next, settings),
      onPopulationChange: (state, customerId, ctx) =>
        decideThresholdRefresh(state, customerId, ctx, settings),
    },
    erasure: {
      timerKinds: [AGE_OUT_TIMER],
      forget: (state) => forgetCustomer(state),
    },
  };
}
