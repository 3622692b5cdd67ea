// The worker's topology as plain data, logged at start so an operator sees what the process
// will do with the settings it was given.

import { PROFILE_REJECTION_REASONS } from '../../shared/contracts/validate-profile.js';
import { PURCHASE_REJECTION_REASONS } from '../../shared/contracts/validate-purchase.js';
import { deadLetterTopicOf, topicCatalogue } from '../../shared/topics.js';
import type { ShareOfWalletSettings } from './settings.js';
import { UNDER_CONSUMPTION } from './under-consumption.js';

export function describeTopology(settings: ShareOfWalletSettings) {
  const input = (topic: { name: string; schema: string }, kind: 'stream' | 'table', reasons: string[]) => ({
    topic: topic.name,
    schema: topic.schema,
    kind,
    key: 'customerId',
    deadLetters: { topic: deadLetterTopicOf(topic.name), reasons },
  });
  return {
    worker: 'share-of-wallet',
    inputs: [
      input(topicCatalogue.purchases, 'stream', [...PURCHASE_REJECTION_REASONS, 'LATE_EVENT']),
      input(topicCatalogue.customerProfiles, 'table', [...PROFILE_REJECTION_REASONS]),
      input(topicCatalogue.segmentChanges, 'table', []),
      input(topicCatalogue.customerErasures, 'table', ['INVALID_FIELD']),
    ],
    decisions: [
      { name: 'decidePurchase', on: 'purchases record', effect: 'day buckets of kcal and usage' },
      { name: 'decideProfile', on: 'customer-profiles record', effect: 'profile version by event time' },
      { name: 'decideSegmentChange', on: 'segment-changes record', effect: 'value tier carried in alerts' },
      {
        name: 'erasure (runtime) with forgetPeerContribution',
        on: 'customer-erasures record',
        effect:
          'state and index entry deleted, own peer counters withdrawn, later records skipped until a newer profile',
        causes: ['erasure-completed'],
      },
      {
        name: 'evaluateCustomer',
        on: 'population view applied (every customer)',
        causes: [UNDER_CONSUMPTION],
      },
    ],
    evaluation: {
      periodMs: settings.evaluationPeriodMs,
      publishDelayMs: settings.publishDelayMs,
      windowsDays: [...settings.windowsDays],
      threshold: settings.threshold,
      recoveryBand: settings.recoveryBand,
      cooldownMs: settings.cooldownMs,
      minHistoryWindows: settings.minHistoryWindows,
      grocerShare: settings.grocerShare,
      usageUnits: [...settings.usageUnits],
      minPeers: settings.minPeers,
    },
    outputs: [
      {
        topic: topicCatalogue.underConsumption.name,
        schema: topicCatalogue.underConsumption.schema,
        decisionKind: UNDER_CONSUMPTION,
        labels: ['household-calories', 'headcount-peer-usage'],
      },
    ],
  };
}
