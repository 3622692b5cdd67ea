import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RUNGS } from './ladder/ladder.js';
import { OFFER_TIERS } from './offers/offer-policy.js';
import { DAY_MS } from './settings.js';
import type { RetentionState } from './state.js';
import { decodeState, encodeState } from './state-codec.js';

const numberArb = fc.oneof(
  { weight: 10, arbitrary: fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }) },
  { weight: 5, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.constantFrom(Number.MAX_SAFE_INTEGER, 2 ** 60, -0.0000012345678901234567, -0) },
);
const timeArb = fc.oneof(
  fc.integer({ min: 0, max: 40_000 }).map((d) => d * DAY_MS),
  fc.integer({ min: -(2 ** 45), max: 2 ** 53 - 1 }),
);
const textArb = fc.oneof(
  fc.constantFrom(...OFFER_TIERS, 'a,b;c|d:e', '@~=%', '', '=x'),
  fc.string(),
  fc.string({ unit: 'grapheme' }),
);
const stateArb: fc.Arbitrary<RetentionState> = fc.record({
  days: fc.array(fc.tuple(timeArb, numberArb), { maxLength: 6 }),
  earlier: fc.option(
    fc.record({ days: numberArb, firstDay: timeArb, lastDay: timeArb, repeatSpendMinor: numberArb }),
  ),
  consent: fc.option(fc.boolean()),
  consentAt: fc.option(timeArb),
  valueTier: fc.option(textArb),
  atRisk: fc.option(fc.record({ since: timeArb, reasons: fc.array(textArb, { maxLength: 5 }) })),
  lastTreatment: fc.option(
    fc.record({
      at: timeArb,
      kind: fc.constantFrom('offer' as const, 'holdout' as const),
      tier: textArb,
      expiresAt: timeArb,
      retained: fc.boolean(),
    }),
  ),
  ladder: fc.record({
    evidence: fc.record({
      purchaseDays: fc.array(timeArb, { maxLength: 6 }),
      supportAt: fc.array(timeArb, { maxLength: 3 }),
      referralsAt: fc.array(timeArb, { maxLength: 3 }),
      partnershipsAt: fc.array(timeArb, { maxLength: 3 }),
    }),
    rung: fc.option(fc.constantFrom(...RUNGS)),
  }),
  activePeriod: fc.option(fc.record({ period: numberArb, tier: textArb })),
});

/** What the state reads back as through JSON, the form it replaced (-0 becomes 0). */
const throughJson = (state: RetentionState) => JSON.parse(JSON.stringify(state)) as RetentionState;

describe('retention state codec', () => {
  it('decodes what it encodes, exactly as JSON would, and encodes that to the same text', () => {
    fc.assert(
      fc.property(stateArb, (state) => {
        const encoded = encodeState(state);
        const decoded = decodeState(encoded);
        expect(decoded).toStrictEqual(throughJson(state));
        expect(encodeState(decoded)).toBe(encoded);
      }),
      { numRuns: 2000 },
    );
  });

  it('still decodes the JSON an earlier release stored', () => {
    fc.assert(
      fc.property(stateArb, (state) => {
        expect(decodeState(JSON.stringify(state))).toStrictEqual(throughJson(state));
      }),
      { numRuns: 300 },
    );
  });

  it('writes a customer with three purchase days in under a third of its JSON', () => {
    const day = (d: number) => Date.UTC(2026, 8, d);
    const state: RetentionState = {
      days: [
        [day(2), 4_250],
        [day(9), 1_999],
        [day(20), 12_500],
      ],
      earlier: null,
      consent: true,
      consentAt: Date.UTC(2026, 0, 14, 9, 31, 12, 345),
      valueTier: 'middle',
      atRisk: null,
      lastTreatment: null,
      ladder: {
        evidence: {
          purchaseDays: [day(2), day(9), day(20)],
          supportAt: [],
          referralsAt: [],
          partnershipsAt: [],
        },
        rung: 'client',
      },
      activePeriod: { period: 684, tier: 'middle' },
    };
    const compact = encodeState(state);
    expect(compact).toBe(
      '1;@fyy,3a2|@fz5,1jj|@fzg,9n8;;1;mkdtmfdl;=middle;;;@fyy|@fz5|@fzg;;;;=client;j0,middle',
    );
    expect(compact.length * 3).toBeLessThan(JSON.stringify(state).length);
    expect(decodeState(compact)).toStrictEqual(state);
  });

  it('refuses a text that is neither form, naming what is wrong', () => {
    expect(() => decodeState('2;;;;;;;;;;;;;')).toThrow(/retention state has a malformed layout/);
    expect(() => decodeState('1;;;x;;;;;;;;;;')).toThrow(/malformed consent/);
    expect(() => decodeState('1;;;;;middle;;;;;;;;')).toThrow(/malformed text/);
    expect(() => decodeState('1;;;;;;;@ke3,x,top,@ke4,1;;;;;;')).toThrow(/malformed treatment/);
    expect(() => decodeState('1;@ke3;;;;;;;;;;;;')).toThrow(/malformed number/);
  });
});
