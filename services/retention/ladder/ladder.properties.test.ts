import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InteractionKind } from '../../../shared/contracts/generated.js';
import { nextPossibleFallAt, rungAt, rungIndex } from './ladder.js';
import {
  addInteraction,
  addPurchaseDay,
  emptyLadderEvidence,
  type LadderEvidence,
  pruneEvidence,
} from './ladder-evidence.js';
import { DAY_MS, type LadderSettings, ladderSettings } from './ladder-settings.js';
import { day, interaction } from './test-fixtures.js';

const SPAN_MS = 365 * DAY_MS;

const windowArb = fc.oneof(
  { arbitrary: fc.constantFrom(90, 180, 365, 500), weight: 3 },
  { arbitrary: fc.integer({ min: 1, max: 500 }), weight: 2 },
);

const settingsArb: fc.Arbitrary<LadderSettings> = fc
  .record({
    customerWindowDays: windowArb,
    customerMinPurchaseDays: fc.integer({ min: 1, max: 2 }),
    clientWindowDays: windowArb,
    clientExtraPurchaseDays: fc.integer({ min: 1, max: 2 }),
    supporterWindowDays: windowArb,
    supporterMinSurveyScore: fc.integer({ min: 0, max: 10 }),
    supporterMinReviewRating: fc.integer({ min: 1, max: 5 }),
    advocateWindowDays: windowArb,
    partnerWindowDays: windowArb,
  })
  .map(({ clientExtraPurchaseDays, ...s }) =>
    ladderSettings({ ...s, clientMinPurchaseDays: s.customerMinPurchaseDays + clientExtraPurchaseDays }),
  );

/**
 * Sales and interactions of every kind, all at or before `day(0) + SPAN_MS`, weighted towards
 * the evidence kinds so that every rung is reached often.
 */
const eventArb = (from: number) =>
  fc.record({
    at: fc.integer({ min: from, max: day(0) + SPAN_MS }),
    kind: fc.oneof(
      { arbitrary: fc.constant('SALE' as const), weight: 6 },
      {
        arbitrary: fc.constantFrom('SURVEY', 'REVIEW', 'REFERRAL', 'PARTNERSHIP_AGREEMENT' as const),
        weight: 3,
      },
      { arbitrary: fc.constantFrom(...InteractionKind), weight: 1 },
    ),
    surveyScore: fc.option(fc.integer({ min: 0, max: 10 }), { freq: 5 }),
    reviewRating: fc.option(fc.integer({ min: 1, max: 5 }), { freq: 5 }),
    referredCustomerId: fc.option(fc.constantFrom('c-1', 'c-2', ''), { freq: 5 }),
  });

const caseArb = fc.record({
  settings: settingsArb,
  events: fc
    .tuple(
      fc.array(eventArb(day(0)), { maxLength: 25 }),
      fc.array(eventArb(day(0) + SPAN_MS - 45 * DAY_MS), { maxLength: 15 }),
    )
    .chain(([old, recent]) =>
      fc.shuffledSubarray([...old, ...recent], { minLength: old.length + recent.length }),
    ),
  known: fc.boolean(),
  /** Offsets after the evaluation time, up to ~3 years. */
  later: fc.array(fc.integer({ min: 0, max: 1200 * DAY_MS }), { minLength: 1, maxLength: 8 }),
});

type Event = ReturnType<typeof eventArb> extends fc.Arbitrary<infer T> ? T : never;

function build(settings: LadderSettings, events: readonly Event[]): LadderEvidence {
  let e: LadderEvidence = emptyLadderEvidence;
  for (const { at, kind, ...fields } of events) {
    e = kind === 'SALE' ? addPurchaseDay(e, at) : addInteraction(e, interaction(kind, at, fields), settings);
  }
  return e;
}

const rankAt = (e: LadderEvidence, known: boolean, t: number, s: LadderSettings): number => {
  const placement = rungAt(e, known, t, s);
  return placement === null ? -1 : rungIndex(placement.rung);
};

describe('loyalty ladder properties', () => {
  it('never rises as time passes without new evidence', () => {
    fc.assert(
      fc.property(caseArb, ({ settings, events, known, later }) => {
        const e = build(settings, events);
        const now = day(0) + SPAN_MS;
        let previous = rankAt(e, known, now, settings);
        for (const offset of [...later].sort((a, b) => a - b)) {
          const rank = rankAt(e, known, now + offset, settings);
          expect(rank).toBeLessThanOrEqual(previous);
          previous = rank;
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('nextPossibleFallAt is exact: the same rung strictly before it, a lower one at it', () => {
    fc.assert(
      fc.property(
        caseArb,
        fc.integer({ min: 0, max: 90 * DAY_MS }),
        ({ settings, events, known, later }, start) => {
          const e = build(settings, events);
          const now = day(0) + SPAN_MS + start;
          const rank = rankAt(e, known, now, settings);
          const fall = nextPossibleFallAt(e, now, settings);
          if (fall === null) {
            expect(rank).toBeLessThanOrEqual(0);
            for (const offset of later) expect(rankAt(e, known, now + offset, settings)).toBe(rank);
            expect(rankAt(e, known, now + 10_000 * DAY_MS, settings)).toBe(rank);
            return;
          }
          expect(fall).toBeGreaterThan(now);
          expect(rank).toBeGreaterThanOrEqual(1);
          for (const offset of later) {
            const t = now + (offset % (fall - now));
            expect(rankAt(e, known, t, settings)).toBe(rank);
          }
          expect(rankAt(e, known, fall - 1, settings)).toBe(rank);
          expect(rankAt(e, known, fall, settings)).toBeLessThan(rank);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('pruning changes no placement, rule or fall time from then on', () => {
    fc.assert(
      fc.property(
        caseArb,
        fc.integer({ min: 0, max: 90 * DAY_MS }),
        ({ settings, events, known, later }, start) => {
          const e = build(settings, events);
          const now = day(0) + SPAN_MS + start;
          const pruned = pruneEvidence(e, now, settings);
          for (const t of [now, ...later.map((offset) => now + offset)]) {
            expect(rungAt(pruned, known, t, settings)).toEqual(rungAt(e, known, t, settings));
            expect(nextPossibleFallAt(pruned, t, settings)).toBe(nextPossibleFallAt(e, t, settings));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('places the same evidence the same way whatever order it arrived in', () => {
    fc.assert(
      fc.property(caseArb, fc.integer({ min: 0, max: 90 * DAY_MS }), ({ settings, events, known }, start) => {
        const now = day(0) + SPAN_MS + start;
        const forward = build(settings, events);
        const backward = build(settings, [...events].reverse());
        expect(backward).toEqual(forward);
        expect(rungAt(backward, known, now, settings)).toEqual(rungAt(forward, known, now, settings));
      }),
      { numRuns: 200 },
    );
  });
});
