// Per-customer state of the next-best-offer worker, kept as JSON in the partition's hash. Items are
// arbitrary strings, so every item-keyed part is a list of pairs, never an object (an item named
// `__proto__` must not become a prototype).

import type { CountedBasket } from './counted-baskets.js';
import type { Item } from './model.js';
import { emptySequenceState, type SequenceState } from './sequence-steps.js';

/** A suggestion (or a holdout) whose items are watched for a purchase: the uplift's outcome. */
export interface PendingSuggestion {
  readonly at: number;
  readonly items: readonly Item[];
  readonly holdout: boolean;
  readonly tier: string;
}

export interface NextBestOfferState {
  /** Baskets still in the partition's counters (their expiry timer takes them out). */
  readonly baskets: readonly CountedBasket[];
  /** First-purchase days: the customer's part of the up-sell steps. */
  readonly sequence: SequenceState;
  /** Last purchase day per item, sorted by item; at most NBO_MAX_ITEMS_PER_CUSTOMER. */
  readonly lastBought: readonly (readonly [Item, number])[];
  /** Marketing consent from the latest profile; null before any. */
  readonly consent: boolean | null;
  /** Value tier from value segmentation; null before any. */
  readonly tier: string | null;
  /** Last suggestion or holdout (the cooldown runs from it). */
  readonly lastSuggestedAt: number | null;
  readonly pending: PendingSuggestion | null;
  /** Share-of-wallet units the customer was last alerted on (buys elsewhere), with the alert's time; sorted by unit. */
  readonly walletGaps: readonly (readonly [unit: string, alertedAt: number])[];
}

export const emptyNextBestOfferState: NextBestOfferState = Object.freeze({
  baskets: [],
  sequence: emptySequenceState,
  lastBought: [],
  consent: null,
  tier: null,
  lastSuggestedAt: null,
  pending: null,
  walletGaps: [],
});

export function encodeState(state: NextBestOfferState): string {
  return JSON.stringify(state);
}

export function decodeState(encoded: string): NextBestOfferState {
  return { ...emptyNextBestOfferState, ...(JSON.parse(encoded) as Partial<NextBestOfferState>) };
}
