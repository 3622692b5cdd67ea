// What share of wallet forgets of an erased customer besides its state (SEMANTICS.md, "Erasure").
//
// The worker's only per-partition counters are the peer histograms (`p:<W>:<unit>:<segment>:<cell>`),
// and they are a population figure, not history: each business counts there once, with its latest
// evaluation's usage per employee, and the next snapshot hands them to every peer's benchmark. So
// the customer's current contribution leaves them now, and every boundary from here on is counted
// as if it had never been a peer. Snapshots already taken (views of earlier boundaries) stay as
// they were merged: they are what earlier decisions were made with.

import type { CounterDelta, ErasureDefinition } from '../../shared/runtime/worker-definition.js';
import type { PeerView } from './peer-view.js';
import type { ShareOfWalletState } from './state.js';

/**
 * The negation of the customer's standing contribution: evaluateCustomer adds +1 per field of a
 * new contribution and −1 per field of the one it replaces, so the last one is all that is counted.
 */
export function forgetPeerContribution(state: ShareOfWalletState): CounterDelta[] {
  return (state.contributions.at(-1)?.fields ?? []).map((field) => ({ field, delta: -1 }));
}

export const shareOfWalletErasure: ErasureDefinition<ShareOfWalletState, PeerView> = {
  // Share of wallet sets no timers: every evaluation comes with a view application.
  timerKinds: [],
  forget: (state) => forgetPeerContribution(state),
};
