// Share of wallet as the runtime sees it: purchases (a stream) and profiles, value tiers and
// erasure requests (tables), per-customer consumption state, and a population view of peer usage whose every
// application evaluates every customer (SEMANTICS.md).

import {
  customerErasuresInput,
  customerProfilesInput,
  inputsOf,
  purchasesInput,
  segmentChangesInput,
} from '../../shared/contracts/inputs.js';
import type { WorkerDefinition } from '../../shared/runtime/worker-definition.js';
import { topicCatalogue } from '../../shared/topics.js';
import { decideRecord, type ShareOfWalletInput } from './decide.js';
import { shareOfWalletErasure } from './erasure.js';
import { evaluateCustomer } from './evaluate.js';
import { PEER_COUNTER_PREFIX } from './peer-segment.js';
import { mergePeerSnapshots, type PeerView } from './peer-view.js';
import {
  checkShareOfWalletSettings,
  defaultShareOfWalletSettings,
  type ShareOfWalletSettings,
} from './settings.js';
import type { ShareOfWalletState } from './state.js';
import { decodeState, encodeState } from './state-codec.js';

export const SHARE_OF_WALLET = 'share-of-wallet';

export function createShareOfWalletWorker(
  settings: ShareOfWalletSettings = defaultShareOfWalletSettings,
): WorkerDefinition<ShareOfWalletInput, ShareOfWalletState, PeerView> {
  checkShareOfWalletSettings(settings);
  return {
    name: SHARE_OF_WALLET,
    inputs: inputsOf<ShareOfWalletInput>(
      purchasesInput(settings.currency),
      customerProfilesInput(),
      segmentChangesInput(),
      // Applied by the runtime; a profile newer than the erasure re-admits the customer.
      customerErasuresInput(),
    ),
    outputTopics: [topicCatalogue.underConsumption.name],
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
    erasure: shareOfWalletErasure,
  };
}
