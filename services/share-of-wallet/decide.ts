// The decisions of share of wallet on its three inputs. Records only build state; every alert
// is decided at an evaluation (evaluate.ts), when the population view is applied.

import type { CustomerProfile, Purchase, SegmentChanged } from '../../shared/contracts/generated.js';
import type {
  CustomerDecision,
  DecisionContext,
  InputRecord,
} from '../../shared/runtime/worker-definition.js';
import { topicCatalogue } from '../../shared/topics.js';
import { addConsumption, consumptionOf, pruneBuckets } from './consumption.js';
import type { PeerView } from './peer-view.js';
import { addVersion, profileBasisOf, pruneVersions } from './profile.js';
import type { ShareOfWalletSettings } from './settings.js';
import { emptyState, type ShareOfWalletState } from './state.js';

export type ShareOfWalletInput = Purchase | CustomerProfile | SegmentChanged;

const VALUE_TIER_DIMENSION = 'value-tier';

/** Every customer with state is in the index (score 0): every evaluation visits it. */
const keep = (state: ShareOfWalletState): CustomerDecision<ShareOfWalletState> => ({
  state,
  outputs: [],
  timers: [],
  indexScore: 0,
});

const unchanged = (state: ShareOfWalletState | null): CustomerDecision<ShareOfWalletState> => ({
  state,
  outputs: [],
  timers: [],
});

export function decidePurchase(
  previous: ShareOfWalletState | null,
  purchase: Purchase,
  ctx: DecisionContext<PeerView>,
  settings: ShareOfWalletSettings,
): CustomerDecision<ShareOfWalletState> {
  const base = previous ?? emptyState(purchase.occurredAt);
  const consumption = consumptionOf(purchase, settings);
  const buckets = consumption === null ? base.buckets : addConsumption(base.buckets, consumption);
  const state: ShareOfWalletState = {
    ...base,
    historyStart: Math.min(base.historyStart ?? purchase.occurredAt, purchase.occurredAt),
    buckets: pruneBuckets(buckets, ctx.streamTime, settings),
    profiles: pruneVersions(base.profiles, ctx.streamTime),
  };
  return keep(state);
}

/** A profile version: kept by its event time, whenever it arrives (a table input: no pruning here). */
export function decideProfile(
  previous: ShareOfWalletState | null,
  profile: CustomerProfile,
): CustomerDecision<ShareOfWalletState> {
  const base = previous ?? emptyState(profile.occurredAt);
  return keep({
    ...base,
    historyStart: Math.min(base.historyStart ?? profile.occurredAt, profile.occurredAt),
    profiles: addVersion(base.profiles, { effectiveAt: profile.occurredAt, basis: profileBasisOf(profile) }),
  });
}

/** The value tier is carried in alerts for prioritising; it never changes a decision. */
export function decideSegmentChange(
  previous: ShareOfWalletState | null,
  change: SegmentChanged,
): CustomerDecision<ShareOfWalletState> {
  if (change.dimension !== VALUE_TIER_DIMENSION) return unchanged(previous);
  // Kept even before the customer's first purchase or profile (topics arrive in any order),
  // but not in the index: a customer known only by its tier is not evaluated.
  return unchanged({ ...(previous ?? emptyState(null)), valueTier: change.toSegment });
}

export function decideRecord(
  state: ShareOfWalletState | null,
  input: InputRecord<ShareOfWalletInput>,
  ctx: DecisionContext<PeerView>,
  settings: ShareOfWalletSettings,
): CustomerDecision<ShareOfWalletState> {
  switch (input.source.topic) {
    case topicCatalogue.purchases.name:
      return decidePurchase(state, input.event as Purchase, ctx, settings);
    case topicCatalogue.customerProfiles.name:
      return decideProfile(state, input.event as CustomerProfile);
    case topicCatalogue.segmentChanges.name:
      return decideSegmentChange(state, input.event as SegmentChanged);
    default:
      throw new Error(`share of wallet has no input ${input.source.topic}`);
  }
}
