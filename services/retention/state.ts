// A customer's retention state and the bound on its size (its codec: state-codec.ts).
//
// The state is bounded by windows of stream time, never by the length of the history:
// - purchase days: one entry per calendar day of the last `retainedDaysMs` (default 365 days:
//   the ladder's client window; 2 × the spend-decline window and the lateness are shorter);
//   older days are folded into `earlier` (four numbers), which is all BG/NBD and Gamma-Gamma
//   need of them (x, first and last day, repeat spend);
// - loyalty-ladder evidence: purchase days of the longest purchase window (default 365), and the
//   times of promoter surveys / positive reviews, referrals and partnership agreements inside
//   their windows (pruned by `pruneEvidence` whenever the ladder is placed);
// - everything else is a fixed set of fields whose strings come from closed sets (offer tiers,
//   rungs, risk reasons).
// `maxEncodedStateBytes` gives the bound; with the default settings it is 18,606 bytes, plus 12
// bytes per promoter survey, positive review, referral or partnership agreement inside its
// window (the one part that grows with a customer's interaction rate rather than with time).
// Typical states are far below it: a purchase day takes about 9 bytes in `days` and 5 in the
// ladder's evidence, where the bound counts every time and spend at its longest.
//
// A customer's state is deleted only on an erasure request (forget.ts), never for silence: see
// README "Retention" (deleting a silent customer and its counters would drop exactly the customers
// that show dropout from the fitted population, and lose the consent and tier tables). A customer silent for longer than every window keeps the
// fixed fields and `earlier` only: a few hundred bytes (at most 356).

import { emptyLadderEvidence } from './ladder/ladder-evidence.js';
import type { LadderSettings } from './ladder/ladder-settings.js';
import type { LadderState } from './ladder-step.js';
import { OFFER_TIERS } from './offers/offer-policy.js';
import { type EarlierDays, type PurchaseDay, retainedDaysMs } from './purchase-days.js';
import type { ActivePeriod } from './retention-rate.js';
import { DAY_MS, type RetentionSettings } from './settings.js';
import { decodeState, encodeState } from './state-codec.js';

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
  /**
   * One entry per calendar day with a sale, of the retained window (`retainedDaysMs` before
   * stream time) only; with `earlier`, the BG/NBD and Gamma-Gamma summaries.
   */
  readonly days: readonly PurchaseDay[];
  /** The purchase days folded out of `days` (older than the retained window); null: none. */
  readonly earlier: EarlierDays | null;
  /** Marketing consent of the latest profile (by event time); null: no profile yet (no consent). */
  readonly consent: boolean | null;
  readonly consentAt: number | null;
  /** The value tier as the offer policy knows it (an offer tier; 'unknown' for any other name). */
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
  earlier: null,
  consent: null,
  consentAt: null,
  valueTier: null,
  atRisk: null,
  lastTreatment: null,
  ladder: Object.freeze({ evidence: emptyLadderEvidence, rung: null }),
  activePeriod: null,
});

export { decodeState, encodeState };

/**
 * A number that takes the longest compact text: '~' and the longest decimal form of a double,
 * which is 25 characters (17 significant digits after "-0.00000"; -Number.MAX_VALUE takes 24).
 */
const WIDEST_NUMBER = -0.0000012345678901234567;
const NUMBER_BYTES = 26;
/** Times are validated safe integers (shared/contracts): at most 11 base-36 digits. */
const TIME_BYTES = 11;
/** A listed purchase day `<day>,<spend>|`: a time, a spend (non-negative: one byte shorter). */
const PURCHASE_DAY_BYTES = TIME_BYTES + 1 + (NUMBER_BYTES - 1) + 1;
/** A time in a ladder list, and its separator. */
const EVIDENCE_TIME_BYTES = TIME_BYTES + 1;
/** Every risk reason a decision gives (decide.ts), all at once in the worst case. */
const RISK_REASONS = ['silence', 'dissatisfaction', 'cancellation-request', 'price', 'spend-decline'];
const longest = (names: readonly string[]) => names.reduce((a, b) => (b.length > a.length ? b : a));

/**
 * The fixed fields at their longest: every number and time as long as a number's text gets, the
 * longest name of each closed set, every list empty.
 */
function fixedFieldsBytes(): number {
  const n = WIDEST_NUMBER;
  const tier = longest(OFFER_TIERS);
  const widest: RetentionState = {
    days: [],
    earlier: { days: n, firstDay: n, lastDay: n, repeatSpendMinor: n },
    consent: false,
    consentAt: n,
    valueTier: tier,
    atRisk: { since: n, reasons: RISK_REASONS },
    lastTreatment: { at: n, kind: 'holdout', tier, expiresAt: n, retained: false },
    ladder: { evidence: emptyLadderEvidence, rung: 'supporter' },
    activePeriod: { period: n, tier },
  };
  return Buffer.byteLength(encodeState(widest), 'utf8');
}

/**
 * The most bytes a customer's encoded state takes, not counting the ladder's interaction
 * evidence (promoter surveys, positive reviews, referrals, partnership agreements), which adds
 * `EVIDENCE_TIME_BYTES` (17) per fact inside its window. Listed purchase days: at most one per
 * calendar day of the retained window; ladder purchase days: one per day of the longest purchase
 * window (its evidence is pruned whenever it is placed).
 */
export function maxEncodedStateBytes(settings: RetentionSettings, ladder: LadderSettings): number {
  const listedDays = Math.ceil(retainedDaysMs(settings, ladder) / DAY_MS);
  const ladderDays = Math.max(ladder.customerWindowDays, ladder.clientWindowDays);
  return fixedFieldsBytes() + listedDays * PURCHASE_DAY_BYTES + ladderDays * EVIDENCE_TIME_BYTES;
}

export const INTERACTION_EVIDENCE_BYTES = EVIDENCE_TIME_BYTES;
