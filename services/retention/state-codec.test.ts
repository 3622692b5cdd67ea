import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  anyNumber,
  anyText,
  anyTime,
  checkCompactCodec,
} from '../../test/support/compact-state-properties.js';
import { RUNGS } from './ladder/ladder.js';
import { OFFER_TIERS } from './offers/offer-policy.js';
import type { RetentionState } from './state.js';
import { decodeState, encodeState } from './state-codec.js';

const textArb = anyText(...OFFER_TIERS);
const stateArb: fc.Arbitrary<RetentionState> = fc.record({
  days: fc.array(fc.tuple(anyTime, anyNumber), { maxLength: 6 }),
  earlier: fc.option(
    fc.record({ days: anyNumber, firstDay: anyTime, lastDay: anyTime, repeatSpendMinor: anyNumber }),
  ),
  consent: fc.option(fc.boolean()),
  consentAt: fc.option(anyTime),
  valueTier: fc.option(textArb),
  atRisk: fc.option(fc.record({ since: anyTime, reasons: fc.array(textArb, { maxLength: 5 }) })),
  lastTreatment: fc.option(
    fc.record({
      at: anyTime,
      kind: fc.constantFrom('offer' as const, 'holdout' as const),
      tier: textArb,
      expiresAt: anyTime,
      retained: fc.boolean(),
    }),
  ),
  ladder: fc.record({
    evidence: fc.record({
      purchaseDays: fc.array(anyTime, { maxLength: 6 }),
      supportAt: fc.array(anyTime, { maxLength: 3 }),
      referralsAt: fc.array(anyTime, { maxLength: 3 }),
      partnershipsAt: fc.array(anyTime, { maxLength: 3 }),
    }),
    rung: fc.option(fc.constantFrom(...RUNGS)),
  }),
  activePeriod: fc.option(fc.record({ period: anyNumber, tier: textArb })),
});

describe('retention state codec', () => {
  it('decodes what it encodes exactly as JSON would, re-encodes it alike, and reads JSON of an earlier release', () => {
    checkCompactCodec(stateArb, { encodeState, decodeState });
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
