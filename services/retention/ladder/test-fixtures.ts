// Builders shared by the ladder's tests.

import type { InteractionKind } from '../../../shared/contracts/generated.js';
import {
  addInteraction,
  addPurchaseDay,
  type LadderEvidence,
  type LadderInteraction,
} from './ladder-evidence.js';
import { DAY_MS, type LadderSettings } from './ladder-settings.js';

/** Midnight UTC of day `n` after 2024-01-01 (day 0). */
export const day = (n: number): number => Date.UTC(2024, 0, 1) + n * DAY_MS;
export const HOUR_MS = 3_600_000;

export function interaction(
  kind: InteractionKind,
  occurredAt: number,
  fields: Partial<LadderInteraction> = {},
): LadderInteraction {
  return {
    customerId: 'c-1',
    occurredAt,
    kind,
    surveyScore: null,
    reviewRating: null,
    referredCustomerId: null,
    ...fields,
  };
}

export const promoterSurvey = (at: number, score = 10) => interaction('SURVEY', at, { surveyScore: score });
export const review = (at: number, rating: number) => interaction('REVIEW', at, { reviewRating: rating });
export const referral = (at: number, referred = 'c-2') =>
  interaction('REFERRAL', at, { referredCustomerId: referred });
export const partnership = (at: number) => interaction('PARTNERSHIP_AGREEMENT', at);

/** Evidence from sales times and interactions, in the order given. */
export function evidenceOf(
  settings: LadderSettings,
  sales: readonly number[],
  interactions: readonly LadderInteraction[] = [],
  start: LadderEvidence = {
    purchaseDays: [],
    supportAt: [],
    referralsAt: [],
    partnershipsAt: [],
  },
): LadderEvidence {
  let evidence = start;
  for (const at of sales) evidence = addPurchaseDay(evidence, at);
  for (const i of interactions) evidence = addInteraction(evidence, i, settings);
  return evidence;
}
