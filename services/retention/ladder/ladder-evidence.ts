// What the loyalty ladder remembers of a customer: only the facts a rung rule can use, each as
// the time it happened, so that rungs can be recomputed (and fall) at any later stream time.

import type { Interaction } from '../../../shared/contracts/generated.js';
import { DAY_MS, type LadderSettings, windowMs } from './ladder-settings.js';

export interface LadderEvidence {
  /** Start (UTC midnight) of every day with a sale: distinct, ascending. */
  readonly purchaseDays: readonly number[];
  /** Times of promoter surveys and positive reviews (by the settings when added): distinct, ascending. */
  readonly supportAt: readonly number[];
  /** Times of referrals of another customer: distinct, ascending. */
  readonly referralsAt: readonly number[];
  /** Times of partnership agreements: distinct, ascending. */
  readonly partnershipsAt: readonly number[];
}

export const emptyLadderEvidence: LadderEvidence = Object.freeze({
  purchaseDays: Object.freeze([]),
  supportAt: Object.freeze([]),
  referralsAt: Object.freeze([]),
  partnershipsAt: Object.freeze([]),
});

/** The fields of an interaction the ladder reads. */
export type LadderInteraction = Pick<
  Interaction,
  'customerId' | 'occurredAt' | 'kind' | 'surveyScore' | 'reviewRating' | 'referredCustomerId'
>;

/** Which list of the evidence an interaction belongs to; null when it is no evidence. */
export type EvidenceKind = 'support' | 'referral' | 'partnership';

export const utcDayStart = (time: number): number => Math.floor(time / DAY_MS) * DAY_MS;

/** Inserts `time` into an ascending list of distinct times; the same list when already there. */
function insertTime(times: readonly number[], time: number): readonly number[] {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! < time) lo = mid + 1;
    else hi = mid;
  }
  if (times[lo] === time) return times;
  return [...times.slice(0, lo), time, ...times.slice(lo)];
}

/** Records a sale (not a return) at `eventTime` as a purchase on its UTC day. */
export function addPurchaseDay(evidence: LadderEvidence, eventTime: number): LadderEvidence {
  const purchaseDays = insertTime(evidence.purchaseDays, utcDayStart(eventTime));
  return purchaseDays === evidence.purchaseDays ? evidence : { ...evidence, purchaseDays };
}

/**
 * What an interaction proves, if anything: a SURVEY scoring at least the promoter score or a
 * REVIEW rated at least the positive rating is support; a REFERRAL naming another customer is a
 * referral; a PARTNERSHIP_AGREEMENT is a partnership. Everything else (sessions, calls,
 * complaints, cancellation requests, offer answers, low scores, missing fields, self-referrals)
 * is no evidence.
 */
export function evidenceKindOf(
  interaction: LadderInteraction,
  settings: LadderSettings,
): EvidenceKind | null {
  switch (interaction.kind) {
    case 'SURVEY':
      return interaction.surveyScore !== null && interaction.surveyScore >= settings.supporterMinSurveyScore
        ? 'support'
        : null;
    case 'REVIEW':
      return interaction.reviewRating !== null &&
        interaction.reviewRating >= settings.supporterMinReviewRating
        ? 'support'
        : null;
    case 'REFERRAL':
      return interaction.referredCustomerId && interaction.referredCustomerId !== interaction.customerId
        ? 'referral'
        : null;
    case 'PARTNERSHIP_AGREEMENT':
      return 'partnership';
    default:
      return null;
  }
}

/**
 * Adds what the interaction proves (see `evidenceKindOf`) at its `occurredAt`. Returns the same
 * object when the interaction is no evidence or its time is already recorded for that kind.
 */
export function addInteraction(
  evidence: LadderEvidence,
  interaction: LadderInteraction,
  settings: LadderSettings,
): LadderEvidence {
  const time = interaction.occurredAt;
  switch (evidenceKindOf(interaction, settings)) {
    case 'support': {
      const supportAt = insertTime(evidence.supportAt, time);
      return supportAt === evidence.supportAt ? evidence : { ...evidence, supportAt };
    }
    case 'referral': {
      const referralsAt = insertTime(evidence.referralsAt, time);
      return referralsAt === evidence.referralsAt ? evidence : { ...evidence, referralsAt };
    }
    case 'partnership': {
      const partnershipsAt = insertTime(evidence.partnershipsAt, time);
      return partnershipsAt === evidence.partnershipsAt ? evidence : { ...evidence, partnershipsAt };
    }
    default:
      return evidence;
  }
}

/** Keeps the times still inside a window of `windowLengthMs` at `now` or later: t + window > now. */
function keepUsable(times: readonly number[], now: number, windowLengthMs: number): readonly number[] {
  const firstKept = times.findIndex((t) => t + windowLengthMs > now);
  if (firstKept === 0 || times.length === 0) return times;
  return firstKept === -1 ? [] : times.slice(firstKept);
}

/**
 * Drops the evidence no window can use at `now` or any later time (stream time never goes back):
 * a fact at t leaves its window at t + window, so it goes once t + window <= now. Rungs at `now`
 * and later are unchanged. Returns the same object when nothing was dropped.
 */
export function pruneEvidence(
  evidence: LadderEvidence,
  now: number,
  settings: LadderSettings,
): LadderEvidence {
  const purchaseWindowMs = windowMs(Math.max(settings.customerWindowDays, settings.clientWindowDays));
  const purchaseDays = keepUsable(evidence.purchaseDays, now, purchaseWindowMs);
  const supportAt = keepUsable(evidence.supportAt, now, windowMs(settings.supporterWindowDays));
  const referralsAt = keepUsable(evidence.referralsAt, now, windowMs(settings.advocateWindowDays));
  const partnershipsAt = keepUsable(evidence.partnershipsAt, now, windowMs(settings.partnerWindowDays));
  if (
    purchaseDays === evidence.purchaseDays &&
    supportAt === evidence.supportAt &&
    referralsAt === evidence.referralsAt &&
    partnershipsAt === evidence.partnershipsAt
  )
    return evidence;
  return { purchaseDays, supportAt, referralsAt, partnershipsAt };
}
