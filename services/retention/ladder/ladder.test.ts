import { describe, expect, it } from 'vitest';
import {
  LADDER_DIMENSION,
  ladderMove,
  nextPossibleFallAt,
  RUNGS,
  type Rung,
  rungAt,
  rungIndex,
  summarizeEvidence,
} from './ladder.js';
import {
  addInteraction,
  addPurchaseDay,
  emptyLadderEvidence,
  type LadderEvidence,
} from './ladder-evidence.js';
import { ladderSettings } from './ladder-settings.js';
import { day, evidenceOf, HOUR_MS, partnership, promoterSurvey, referral, review } from './test-fixtures.js';

const settings = ladderSettings();
const rung = (e: LadderEvidence, now: number, known = true): Rung | null =>
  rungAt(e, known, now, settings)?.rung ?? null;

const client = [day(0), day(10), day(20)];
const supporter = evidenceOf(settings, client, [promoterSurvey(day(30))]);
const advocate = evidenceOf(settings, client, [promoterSurvey(day(30)), referral(day(40))]);
const partner = evidenceOf(settings, client, [
  promoterSurvey(day(30)),
  referral(day(40)),
  partnership(day(50)),
]);

describe('the loyalty ladder', () => {
  it('orders the rungs from prospect to partner', () => {
    expect(RUNGS).toEqual(['prospect', 'customer', 'client', 'supporter', 'advocate', 'partner']);
    expect(rungIndex('prospect')).toBe(0);
    expect(rungIndex('partner')).toBe(5);
    expect(LADDER_DIMENSION).toBe('loyalty-ladder');
  });

  it.each<[string, LadderEvidence, boolean, Rung | null]>([
    ['nobody: unknown, no purchase', emptyLadderEvidence, false, null],
    ['prospect: known, no purchase', emptyLadderEvidence, true, 'prospect'],
    ['customer: one purchase day', evidenceOf(settings, [day(0)]), false, 'customer'],
    [
      'customer: two purchases, one day',
      evidenceOf(settings, [day(0), day(0) + 20 * HOUR_MS]),
      true,
      'customer',
    ],
    ['customer: two purchase days', evidenceOf(settings, [day(0), day(5)]), true, 'customer'],
    ['client: three purchase days', evidenceOf(settings, client), true, 'client'],
    ['supporter: client with a promoter survey', supporter, true, 'supporter'],
    [
      'supporter: client with a 4-star review',
      evidenceOf(settings, client, [review(day(30), 4)]),
      true,
      'supporter',
    ],
    ['advocate: supporter with a referral', advocate, true, 'advocate'],
    ['partner: advocate with a partnership agreement', partner, false, 'partner'],
  ])('places %s', (_, e, known, expected) => {
    expect(rungAt(e, known, day(60), settings)?.rung ?? null).toBe(expected);
  });

  it('states the rule that placed the customer', () => {
    const at = day(60);
    expect(rungAt(emptyLadderEvidence, true, at, settings)?.rule).toBe(
      'prospect: known, 0 purchase days in 365 days (customer needs 1)',
    );
    expect(rungAt(evidenceOf(settings, [day(3)]), true, at, settings)?.rule).toBe(
      'customer: 1 purchase day in 365 days (min 1)',
    );
    expect(rungAt(evidenceOf(settings, [...client, day(55)]), true, at, settings)?.rule).toBe(
      'client: 4 purchase days in 365 days (min 3)',
    );
    expect(rungAt(partner, true, at, settings)?.rule).toBe(
      'partner: 1 partnership agreement in 365 days (latest 2024-02-20T00:00:00.000Z); ' +
        'advocate: 1 referral in 365 days (latest 2024-02-10T00:00:00.000Z); ' +
        'supporter: 1 promoter survey or positive review in 365 days (survey score >= 9 of 10 or ' +
        'review >= 4 of 5 stars; latest 2024-01-31T00:00:00.000Z); ' +
        'client: 3 purchase days in 365 days (min 3)',
    );
    // A lapsed customer: what left its window is no longer evidence.
    expect(rungAt(evidenceOf(settings, [day(0)]), true, day(400), settings)?.rule).toBe(
      'prospect: known, 0 purchase days in 365 days (customer needs 1)',
    );
    // Short of the customer rule: the rule says when they last bought.
    const twice = ladderSettings({ customerMinPurchaseDays: 2 });
    expect(rungAt(evidenceOf(twice, [day(0)]), true, day(40), twice)?.rule).toBe(
      'prospect: known, 1 purchase day in 365 days (customer needs 2, last 2024-01-01)',
    );
  });

  it('rises one rung at a time as evidence arrives', () => {
    const steps: [string, (e: LadderEvidence) => LadderEvidence, number, Rung][] = [
      ['profile', (e) => e, day(0), 'prospect'],
      ['first purchase', (e) => addPurchaseDay(e, day(1) + 9 * HOUR_MS), day(1) + 9 * HOUR_MS, 'customer'],
      ['second purchase day', (e) => addPurchaseDay(e, day(8)), day(8), 'customer'],
      ['third purchase day', (e) => addPurchaseDay(e, day(15) + HOUR_MS), day(15) + HOUR_MS, 'client'],
      [
        'promoter survey',
        (e) => addInteraction(e, promoterSurvey(day(20), 9), settings),
        day(20),
        'supporter',
      ],
      ['referral', (e) => addInteraction(e, referral(day(25)), settings), day(25), 'advocate'],
      ['partnership', (e) => addInteraction(e, partnership(day(30)), settings), day(30), 'partner'],
    ];
    let e = emptyLadderEvidence;
    let current: Rung | null = null;
    const moves: string[] = [];
    for (const [, apply, at, expected] of steps) {
      e = apply(e);
      const move = ladderMove(current, e, true, at, settings);
      if (move) {
        expect(move.direction).toBe('up');
        expect(move.from).toBe(current);
        moves.push(`${move.from}->${move.to}`);
        current = move.to;
      }
      expect(current).toBe(expected);
    }
    expect(moves).toEqual([
      'null->prospect',
      'prospect->customer',
      'customer->client',
      'client->supporter',
      'supporter->advocate',
      'advocate->partner',
    ]);
  });

  describe('requires every rung below', () => {
    it('a promoter survey does not make a customer who is not a client a supporter', () => {
      const e = evidenceOf(settings, [day(0), day(1)], [promoterSurvey(day(2)), review(day(3), 5)]);
      expect(rung(e, day(10))).toBe('customer');
    });

    it('a referral without being a supporter does not make an advocate', () => {
      expect(rung(evidenceOf(settings, client, [referral(day(30))]), day(60))).toBe('client');
    });

    it('a partnership agreement without a referral does not make a partner', () => {
      const e = evidenceOf(settings, client, [promoterSurvey(day(30)), partnership(day(31))]);
      expect(rung(e, day(60))).toBe('supporter');
    });

    it('support, referral and partnership without purchases leave a known customer a prospect', () => {
      const e = evidenceOf(settings, [], [promoterSurvey(day(1)), referral(day(2)), partnership(day(3))]);
      expect(rung(e, day(10))).toBe('prospect');
      expect(rung(e, day(10), false)).toBeNull();
      expect(nextPossibleFallAt(e, day(10), settings)).toBeNull();
    });

    it('a client rule on a longer window than the customer rule still needs a recent purchase', () => {
      const s = ladderSettings({ customerWindowDays: 90 });
      const e = evidenceOf(s, client);
      expect(rungAt(e, true, day(60), s)?.rule).toBe(
        'client: 3 purchase days in 365 days (min 3); customer: 3 purchase days in 90 days (min 1)',
      );
      // The newest purchase day (day 20) leaves the 90-day customer window at day 110.
      expect(nextPossibleFallAt(e, day(60), s)).toBe(day(110));
      expect(rungAt(e, true, day(110) - 1, s)?.rung).toBe('client');
      expect(rungAt(e, true, day(110), s)?.rung).toBe('prospect');
    });
  });

  describe('falls as windows age', () => {
    it('counts a fact from its time until, exclusively, its time plus the window', () => {
      // Purchase days count from the start of their UTC day: day 0 leaves at day 365 exactly.
      const e = evidenceOf(settings, [day(0) + 22 * HOUR_MS]);
      expect(rung(e, day(0) + 22 * HOUR_MS)).toBe('customer');
      expect(rung(e, day(365) - 1)).toBe('customer');
      expect(rung(e, day(365))).toBe('prospect');
      expect(nextPossibleFallAt(e, day(100), settings)).toBe(day(365));
    });

    it('does not count evidence later than now', () => {
      const e = evidenceOf(settings, [day(5)], [promoterSurvey(day(7) + HOUR_MS)]);
      expect(rung(e, day(5) - 1)).toBe('prospect');
      expect(rung(e, day(5))).toBe('customer');
      const s = evidenceOf(settings, client, [promoterSurvey(day(30) + HOUR_MS)]);
      expect(rung(s, day(30) + HOUR_MS - 1)).toBe('client');
      expect(rung(s, day(30) + HOUR_MS)).toBe('supporter');
    });

    it('drops a client when the third-newest purchase day leaves, not the oldest', () => {
      const e = evidenceOf(settings, [day(0), day(10), day(20), day(30)]);
      // 4 days in the window; client holds while 3 remain: until day 10 + 365.
      expect(nextPossibleFallAt(e, day(40), settings)).toBe(day(375));
      expect(rungAt(e, true, day(365), settings)?.rule).toBe('client: 3 purchase days in 365 days (min 3)');
      expect(rung(e, day(375) - 1)).toBe('client');
      expect(rung(e, day(375))).toBe('customer');
      expect(nextPossibleFallAt(e, day(375), settings)).toBe(day(395));
      expect(rung(e, day(395) - 1)).toBe('customer');
      expect(rung(e, day(395))).toBe('prospect');
      expect(nextPossibleFallAt(e, day(395), settings)).toBeNull();
    });

    it('keeps a supporter while the newest qualifying survey or review is in its window', () => {
      const e = evidenceOf(
        settings,
        [...client, day(200), day(210), day(220)],
        [promoterSurvey(day(30) + 5 * HOUR_MS), review(day(100), 5)],
      );
      expect(nextPossibleFallAt(e, day(230), settings)).toBe(day(465));
      expect(rung(e, day(465) - 1)).toBe('supporter');
      expect(rung(e, day(465))).toBe('client');
    });

    it('walks a partner down the ladder, each fall at the exact instant', () => {
      const e = evidenceOf(
        settings,
        [day(0), day(100), day(200)],
        [promoterSurvey(day(150)), referral(day(160) + HOUR_MS), partnership(day(170))],
      );
      const falls: [number, Rung][] = [];
      let now = day(210);
      let current = rung(e, now);
      expect(current).toBe('partner');
      for (let fall = nextPossibleFallAt(e, now, settings); fall !== null; ) {
        expect(rung(e, fall - 1)).toBe(current);
        const move = ladderMove(current, e, true, fall, settings);
        expect(move?.direction).toBe('down');
        expect(move?.from).toBe(current);
        current = move!.to;
        falls.push([fall, current]);
        now = fall;
        fall = nextPossibleFallAt(e, now, settings);
      }
      expect(falls).toEqual([
        [day(365), 'customer'], // day 0 leaves: 2 purchase days, so no client and nothing above it
        [day(565), 'prospect'],
      ]);
    });

    it('drops a partner to advocate when only the partnership ages out', () => {
      const e = evidenceOf(
        settings,
        [day(300), day(310), day(320)],
        [promoterSurvey(day(330)), referral(day(340)), partnership(day(100))],
      );
      expect(rung(e, day(350))).toBe('partner');
      expect(nextPossibleFallAt(e, day(350), settings)).toBe(day(465));
      const move = ladderMove('partner', e, true, day(465), settings);
      expect(move).toMatchObject({ from: 'partner', to: 'advocate', direction: 'down' });
      expect(move?.rule.startsWith('advocate: 1 referral in 365 days')).toBe(true);
    });

    it('uses each rule its own window', () => {
      const s = ladderSettings({ supporterWindowDays: 30, advocateWindowDays: 60, partnerWindowDays: 90 });
      const e = evidenceOf(s, client, [promoterSurvey(day(25)), referral(day(25)), partnership(day(25))]);
      expect(rungAt(e, true, day(55) - 1, s)?.rung).toBe('partner');
      expect(nextPossibleFallAt(e, day(30), s)).toBe(day(55));
      // The supporter rule fails first, and everything above it goes with it.
      expect(rungAt(e, true, day(55), s)?.rung).toBe('client');
    });
  });

  describe('ladderMove', () => {
    it('is null while the rung stays, even when its evidence changes', () => {
      const e = evidenceOf(settings, [...client, day(30)]);
      expect(ladderMove('client', e, true, day(40), settings)).toBeNull();
      expect(ladderMove('client', e, true, day(366), settings)).toBeNull();
    });

    it('is null for someone not on the ladder', () => {
      expect(ladderMove(null, emptyLadderEvidence, false, day(1), settings)).toBeNull();
    });

    it('places a first-time buyer without a profile as a customer', () => {
      const move = ladderMove(null, evidenceOf(settings, [day(3)]), false, day(3), settings);
      expect(move).toMatchObject({ from: null, to: 'customer', direction: 'up' });
    });

    it('treats a customer placed before as known: a lapsed buyer falls to prospect, not off the ladder', () => {
      const move = ladderMove('customer', evidenceOf(settings, [day(3)]), false, day(368), settings);
      expect(move).toMatchObject({ from: 'customer', to: 'prospect', direction: 'down' });
    });

    it('carries the rule and an evidence summary to re-check the decision', () => {
      const e = evidenceOf(settings, [...client, day(45)], [promoterSurvey(day(30)), referral(day(40))]);
      expect(ladderMove('supporter', e, true, day(50), settings)).toEqual({
        from: 'supporter',
        to: 'advocate',
        direction: 'up',
        rule: rungAt(e, true, day(50), settings)!.rule,
        evidence: {
          customerPurchaseDays: { windowDays: 365, count: 4, latestAt: day(45) },
          clientPurchaseDays: { windowDays: 365, count: 4, latestAt: day(45) },
          supportSignals: { windowDays: 365, count: 1, latestAt: day(30) },
          referrals: { windowDays: 365, count: 1, latestAt: day(40) },
          partnerships: { windowDays: 365, count: 0, latestAt: null },
          nextPossibleFallAt: day(375),
        },
      });
      expect(summarizeEvidence(e, day(50), settings)).toEqual(
        ladderMove('supporter', e, true, day(50), settings)?.evidence,
      );
    });
  });
});
