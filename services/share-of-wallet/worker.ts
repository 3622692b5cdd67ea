// Share of wallet as the runtime sees it: purchases (a stream) and profiles and value tiers
// (tables), per-customer consumption state, and a population view of peer usage whose every
// application evaluates every customer (SEMANTICS.md).

import type { CustomerProfile, Purchase, SegmentChanged } from '../../shared/contracts/generated.js';
import { validateCustomerProfile } from '../../shared/contracts/validate-profile.js';
import { validatePurchase } from '../../shared/contracts/validate-purchase.js';
import type { InputDefinition, WorkerDefinition } from '../../shared/runtime/worker-definition.js';
import { topicCatalogue } from '../../shared/topics.js';
import { decideRecord, type ShareOfWalletInput } from './decide.js';
import { evaluateCustomer } from './evaluate.js';
import { PEER_COUNTER_PREFIX } from './peer-segment.js';
import { mergePeerSnapshots, type PeerView } from './peer-view.js';
import {
  checkShareOfWalletSettings,
  defaultShareOfWalletSettings,
  type ShareOfWalletSettings,
} from './settings.js';
import { decodeState, encodeState, type ShareOfWalletState } from './state.js';

export const SHARE_OF_WALLET = 'share-of-wallet';

function input<E extends ShareOfWalletInput>(
  definition: InputDefinition<E>,
): InputDefinition<ShareOfWalletInput> {
  return definition as unknown as InputDefinition<ShareOfWalletInput>;
}

export function createShareOfWalletWorker(
  settings: ShareOfWalletSettings = defaultShareOfWalletSettings,
): WorkerDefinition<ShareOfWalletInput, ShareOfWalletState, PeerView> {
  checkShareOfWalletSettings(settings);
  return {
    name: SHARE_OF_WALLET,
    inputs: [
      input<Purchase>({
        topic: topicCatalogue.purchases.name,
        schema: topicCatalogue.purchases.schema,
        validate: (purchase) => validatePurchase(purchase, { valueCurrency: settings.currency }),
        customerIdOf: (purchase) => purchase.customerId,
        eventTimeOf: (purchase) => purchase.occurredAt,
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
        // Produced by value segmentation against the same contract; nothing more to check.
        validate: () => null,
        customerIdOf: (change) => change.customerId,
        eventTimeOf: (change) => change.occurredAt,
      }),
    ],
    allowedLatenessMs: settings.allowedLatenessMs,
    encodeState,
    decodeState,
    decide: (state, record, ctx) => decideRecord(state, record, ctx, settings),
    // Share of wallet sets no timers: every evaluation comes with a view application.
    onTimer: (state) => ({ state, outputs: [], timers: [] }),
    population: {
      periodMs: settings.evaluationPeriodMs,
      publishDelayMs: settings.publishDelayMs,
      snapshotCounterPrefix: PEER_COUNTER_PREFIX,
      merge: (boundary, snapshots) => mergePeerSnapshots(boundary, snapshots),
      affectedScoreRanges: () => [[Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]],
      onPopulationChange: (state, customerId, ctx) => evaluateCustomer(state, customerId, ctx, settings),
    },
  };
}
