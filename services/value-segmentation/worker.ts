// Value segmentation as the runtime sees it: one input (purchases), per-customer value state, an
// age-out timer, and a population view of tier thresholds merged from histogram snapshots.

import type { WorkerDefinition } from '../../shared/runtime/worker-definition.js';
import { topicCatalogue } from '../../shared/topics.js';
import { type CustomerValueState, decideAgeOut, decidePurchase, decideThresholdRefresh } from './decide.js';
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

export function createValueSegmentationWorker(
  settings: ValueSegmentationSettings = defaultValueSegmentationSettings,
): WorkerDefinition<PurchaseLike, CustomerValueState, TierView> {
  checkSettings(settings);
  return {
    name: VALUE_SEGMENTATION,
    inputs: [
      {
        topic: 'purchases',
        schema: topicCatalogue.purchases.schema,
        validate: (purchase) => validatePurchase(purchase, settings),
        customerIdOf: (purchase) => purchase.customerId,
        eventTimeOf: (purchase) => purchase.occurredAt,
        eventIdOf: (purchase) => purchase.eventId,
      },
    ],
    allowedLatenessMs: settings.allowedLatenessMs,
    encodeState,
    decodeState,
    decide: (state, input, ctx) => decidePurchase(state, input, ctx, settings),
    onTimer: (state, timer, ctx) => decideAgeOut(state, timer, ctx, settings),
    population: {
      periodMs: settings.refreshPeriodMs,
      publishDelayMs: settings.publishDelayMs,
      snapshotCounterPrefix: HISTOGRAM_COUNTER_PREFIX,
      // SEMANTICS: a view of an empty population (N = 0) has no thresholds and is not applied.
      merge: (boundary, snapshots) => mergeSnapshots(boundary, snapshots, settings),
      affectedScoreRanges: (previous, next) => affectedScoreRanges(previous, next, settings),
      onPopulationChange: (state, customerId, ctx) =>
        decideThresholdRefresh(state, customerId, ctx, settings),
    },
  };
}
