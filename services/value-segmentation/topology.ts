// The worker's topology as plain data (inputs → decisions → state → outputs, timers), logged at
// start so an operator sees what the process will do with the settings it was given.

import { PURCHASE_REJECTION_REASONS } from '../../shared/contracts/validate-purchase.js';
import { deadLetterTopicOf, topicCatalogue } from '../../shared/topics.js';
import { AGE_OUT_TIMER } from './decide.js';
import { SEGMENT_CHANGED } from './segment-changed.js';
import type { ValueSegmentationSettings } from './settings.js';
import { maxBucketCount } from './windows.js';

export function describeTopology(settings: ValueSegmentationSettings) {
  const tiers = settings.top2Share > 0 ? ['top2', 'top', 'middle', 'bottom'] : ['top', 'middle', 'bottom'];
  return {
    worker: 'value-segmentation',
    inputs: [
      {
        topic: topicCatalogue.purchases.name,
        schema: topicCatalogue.purchases.schema,
        key: 'customerId',
        eventTime: 'occurredAt',
        allowedLatenessMs: settings.allowedLatenessMs,
        deadLetters: {
          topic: deadLetterTopicOf(topicCatalogue.purchases.name),
          // The worker's own validation (the purchase contract, then value currency and whole
          // amounts) and stream-time lateness; decoding and key checks are the runtime's.
          reasons: [...PURCHASE_REJECTION_REASONS, 'LATE_EVENT'],
        },
      },
      {
        topic: topicCatalogue.customerProfiles.name,
        schema: topicCatalogue.customerProfiles.schema,
        key: 'customerId',
        kind: 'table',
        // A profile changes no value; one newer than an erasure re-admits the customer.
        use: 'a profile later than the erasure re-admits an erased customer',
      },
      {
        topic: topicCatalogue.customerErasures.name,
        schema: topicCatalogue.customerErasures.schema,
        key: 'customerId',
        kind: 'table',
        use: 'applied by the runtime: state, index entry, age-out timer and histogram and tier counters go',
      },
    ],
    decisions: [
      { name: 'decidePurchase', on: 'purchases record', causes: ['purchase', 'return'] },
      { name: 'decideAgeOut', on: `timer ${AGE_OUT_TIMER}`, causes: ['value-aged-out'] },
      { name: 'decideThresholdRefresh', on: 'population view applied', causes: ['threshold-refresh'] },
    ],
    state: {
      perCustomer: 'value buckets, tier, ranking value',
      valueBasis: settings.valueBasis,
      valueCurrency: settings.valueCurrency,
      costToServeMinor: settings.costToServeMinor,
      bucketWidthMs: settings.bucketWidthMs,
      windowsDays: [...settings.windowsDays],
      rankingWindowDays: settings.rankingWindowDays,
      maxBucketsPerCustomer: maxBucketCount(settings),
      index: 'active customers scored by ranking value',
      counters: ['h:c:<cell>', 'h:s:<cell>', 't:<tier>'],
    },
    timers: [{ kind: AGE_OUT_TIMER, dueAt: 'earliest bucket start + ranking window over counting buckets' }],
    population: {
      periodMs: settings.refreshPeriodMs,
      publishDelayMs: settings.publishDelayMs,
      snapshotCounterPrefix: 'h:',
      view: 'tier thresholds and value skew',
      shares: {
        top2: settings.top2Share,
        top: settings.topShare,
        bottom: settings.bottomShare,
        hysteresis: settings.hysteresisShare,
      },
    },
    outputs: [
      {
        topic: topicCatalogue.erasuresCompleted.name,
        schema: topicCatalogue.erasuresCompleted.schema,
        decisionKind: 'erasure-completed',
      },
      {
        topic: topicCatalogue.segmentChanges.name,
        schema: topicCatalogue.segmentChanges.schema,
        decisionKind: SEGMENT_CHANGED,
        labels: [...tiers, 'lapsed'],
      },
    ],
  };
}
