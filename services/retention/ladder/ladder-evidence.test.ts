import { describe, expect, it } from 'vitest';
import type { InteractionKind } from '../../../shared/contracts/generated.js';
import {
  addInteraction,
  addPurchaseDay,
  emptyLadderEvidence,
  evidenceKindOf,
  type LadderEvidence,
  pruneEvidence,
  utcDayStart,
} from './ladder-evidence.js';
import { ladderSettings } from './ladder-settings.js';
import {
  day,
  evidenceOf,
  HOUR_MS,
  interaction,
  partnership,
  promoterSurvey,
  referral,
  review,
} from './test-fixtures.js';

const settings = ladderSettings();

describe('ladder evidence', () => {
  it('keeps purchase days as distinct UTC day starts, sorted, whatever the arrival order', () => {
    let e = emptyLadderEvidence;
    e = addPurchaseDay(e, day(5) + 15 * HOUR_MS);
    e = addPurchaseDay(e, day(2) + 23 * HOUR_MS + 59 * 60_000);
    e = addPurchaseDay(e, day(5) + 1);
    e = addPurchaseDay(e, day(9));
    e = addPurchaseDay(e, day(3) - 1);
    expect(e.purchaseDays).toEqual([day(2), day(5), day(9)]);
    expect(emptyLadderEvidence.purchaseDays).toEqual([]);
  });

  it('returns the same evidence when a purchase day is already known', () => {
    const e = addPurchaseDay(emptyLadderEvidence, day(4) + HOUR_MS);
    expect(addPurchaseDay(e, day(4) + 20 * HOUR_MS)).toBe(e);
  });

  it('takes the UTC day start, before 1970 too', () => {
    expect(utcDayStart(day(3) + 5)).toBe(day(3));
    expect(utcDayStart(-1)).toBe(-86_400_000);
  });

  it('records promoter surveys and positive reviews as support', () => {
    const e = evidenceOf(
      settings,
      [],
      [promoterSurvey(day(3), 9), promoterSurvey(day(1), 10), review(day(2), 4), review(day(4), 5)],
    );
    expect(e.supportAt).toEqual([day(1), day(2), day(3), day(4)]);
  });

  it.each([
    ['a passive survey', promoterSurvey(day(1), 8)],
    ['a detractor survey', promoterSurvey(day(1), 0)],
    ['a survey without a score', interaction('SURVEY', day(1))],
    ['a three-star review', review(day(1), 3)],
    ['a review without a rating', interaction('REVIEW', day(1))],
    ['a referral without the referred customer', interaction('REFERRAL', day(1))],
    ['a referral with an empty referred customer', referral(day(1), '')],
    ['a self-referral', referral(day(1), 'c-1')],
  ])('ignores %s', (_, i) => {
    expect(evidenceKindOf(i, settings)).toBeNull();
    expect(addInteraction(emptyLadderEvidence, i, settings)).toBe(emptyLadderEvidence);
  });

  it.each<InteractionKind>([
    'APP_SESSION',
    'WEB_SESSION',
    'SUPPORT_CALL',
    'COMPLAINT',
    'CANCELLATION_REQUEST',
    'OFFER_ACCEPTED',
    'OFFER_DECLINED',
  ])('ignores %s, which is no ladder evidence (even with stray fields set)', (kind) => {
    const i = interaction(kind, day(1), { surveyScore: 10, reviewRating: 5, referredCustomerId: 'c-2' });
    expect(evidenceKindOf(i, settings)).toBeNull();
    expect(addInteraction(emptyLadderEvidence, i, settings)).toBe(emptyLadderEvidence);
  });

  it('uses the configured thresholds', () => {
    const strict = ladderSettings({ supporterMinSurveyScore: 10, supporterMinReviewRating: 5 });
    expect(evidenceKindOf(promoterSurvey(day(1), 9), strict)).toBeNull();
    expect(evidenceKindOf(promoterSurvey(day(1), 10), strict)).toBe('support');
    expect(evidenceKindOf(review(day(1), 4), strict)).toBeNull();
    expect(evidenceKindOf(review(day(1), 5), strict)).toBe('support');
  });

  it('records referrals and partnership agreements at their time, once per time', () => {
    const e = evidenceOf(
      settings,
      [],
      [referral(day(7)), referral(day(3), 'c-3'), referral(day(7), 'c-4'), partnership(day(8))],
    );
    expect(e.referralsAt).toEqual([day(3), day(7)]);
    expect(e.partnershipsAt).toEqual([day(8)]);
    expect(e.supportAt).toEqual([]);
    expect(addInteraction(e, partnership(day(8)), settings)).toBe(e);
  });

  it('never changes the evidence it is given', () => {
    const e = evidenceOf(settings, [day(1)], [promoterSurvey(day(2))]);
    const copy = structuredClone(e);
    addPurchaseDay(e, day(0));
    addInteraction(e, promoterSurvey(day(0)), settings);
    pruneEvidence(e, day(400), settings);
    expect(e).toEqual(copy);
  });

  describe('pruning', () => {
    const s = ladderSettings({
      customerWindowDays: 30,
      clientWindowDays: 90,
      supporterWindowDays: 60,
      advocateWindowDays: 40,
      partnerWindowDays: 20,
    });
    const e: LadderEvidence = evidenceOf(
      s,
      [day(0), day(10), day(50)],
      [
        promoterSurvey(day(0)),
        promoterSurvey(day(45)),
        referral(day(5)),
        referral(day(30)),
        partnership(day(1)),
      ],
    );

    it('drops a fact exactly when its longest window ends, keeping it one millisecond before', () => {
      // Purchase days serve the customer (30 d) and client (90 d) rules: kept for 90 days.
      expect(pruneEvidence(e, day(90) - 1, s).purchaseDays).toEqual([day(0), day(10), day(50)]);
      expect(pruneEvidence(e, day(90), s).purchaseDays).toEqual([day(10), day(50)]);
      expect(pruneEvidence(e, day(60) - 1, s).supportAt).toEqual([day(0), day(45)]);
      expect(pruneEvidence(e, day(60), s).supportAt).toEqual([day(45)]);
      expect(pruneEvidence(e, day(45) - 1, s).referralsAt).toEqual([day(5), day(30)]);
      expect(pruneEvidence(e, day(45), s).referralsAt).toEqual([day(30)]);
      expect(pruneEvidence(e, day(21) - 1, s).partnershipsAt).toEqual([day(1)]);
      expect(pruneEvidence(e, day(21), s).partnershipsAt).toEqual([]);
    });

    it('empties everything once every window has passed', () => {
      expect(pruneEvidence(e, day(500), s)).toEqual(emptyLadderEvidence);
    });

    it('returns the same evidence when nothing can go', () => {
      expect(pruneEvidence(e, day(20), s)).toBe(e);
      expect(pruneEvidence(emptyLadderEvidence, day(500), s)).toBe(emptyLadderEvidence);
    });
  });
});
