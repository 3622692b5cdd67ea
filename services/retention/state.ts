// A customer's retention state and its codec.

import { emptyLadderEvidence } from './ladder/ladder-evidence.js';
import type { LadderState } from './ladder-step.js';
import type { PurchaseDay } from './purchase-days.js';
import type { ActivePeriod } from './retention-rate.js';

/** The treatment of the last at-risk episode, kept to measure the offers' uplift. */
export interface Treatment {
  readonly at: number;
  readonly kind: 'offer' | 'holdout';
  readonly tier: string;
  readonly expiresAt: number;
  /** Whether a purchase before expiry has been counted as retained. */
  readonly retained: boolean;
}

export interface RetentionState {
  /** One entry per calendar day with a sale: the BG/NBD and Gamma-Gamma summaries. */
  readonly days: readonly PurchaseDay[];
  /** Marketing consent of the latest profile (by event time); null: no profile yet (no consent). */
  readonly consent: boolean | null;
  readonly consentAt: number | null;
  readonly valueTier: string | null;
  /** The open at-risk episode: since when and why; a purchase closes it. */
  readonly atRisk: { readonly since: number; readonly reasons: readonly string[] } | null;
  /** Last offer or holdout assignment (the cooldown runs from it). */
  readonly lastTreatment: Treatment | null;
  /** Loyalty-ladder evidence and the rung last announced. */
  readonly ladder: LadderState;
  /** The last retention-rate period the customer bought in, and its tier then. */
  readonly activePeriod: ActivePeriod | null;
}

export const emptyRetentionState: RetentionState = Object.freeze({
  days: [],
  consent: null,
  consentAt: null,
  valueTier: null,
  atRisk: null,
  lastTreatment: null,
  ladder: Object.freeze({ evidence: emptyLadderEvidence, rung: null }),
  activePeriod: null,
});

export const encodeState = (state: RetentionState): string => JSON.stringify(state);
export const decodeState = (encoded: string): RetentionState => JSON.parse(encoded) as RetentionState;
