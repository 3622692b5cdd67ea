import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CustomerValueState } from './decide.js';
import { DAY_MS } from './settings.js';
import { decodeState, encodeState } from './state-codec.js';
import type { ValueTier } from './tiers.js';
import type { Bucket } from './windows.js';

const HOUR_MS = 3_600_000;
const MAX_DAY = 200_000; // year 2517: far beyond any stream, small enough for every unit

/** States as the worker keeps them: buckets sorted by start, on a grid of the bucket width. */
const stateArb: fc.Arbitrary<CustomerValueState> = fc
  .record({
    width: fc.constantFrom(DAY_MS, 6 * HOUR_MS, HOUR_MS, 15 * 60_000, 1, 7),
    slots: fc.uniqueArray(fc.integer({ min: 0, max: Math.floor((MAX_DAY * DAY_MS) / (15 * 60_000)) }), {
      maxLength: 12,
    }),
    values: fc.array(
      fc.tuple(
        fc.oneof(
          { weight: 20, arbitrary: fc.integer({ min: -10_000_000, max: 1_000_000_000 }) },
          { weight: 1, arbitrary: fc.constantFrom(Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER) },
        ),
        fc.oneof(fc.constant(1), fc.integer({ min: -5, max: 500 })),
        fc.integer({ min: -50, max: 5000 }),
      ),
      { minLength: 12, maxLength: 12 },
    ),
    tier: fc.constantFrom<ValueTier | null>('top2', 'top', 'middle', 'bottom', null),
    rankingValueMinor: fc.oneof(
      fc.integer({ min: -1_000_000, max: 2_000_000_000 }),
      fc.maxSafeInteger(),
      fc.constant(Number.MIN_SAFE_INTEGER),
    ),
  })
  .map(({ width, slots, values, tier, rankingValueMinor }) => ({
    buckets: [...slots].sort((a, b) => a - b).map((slot, i): Bucket => [slot * width, ...values[i]!]),
    tier,
    rankingValueMinor: rankingValueMinor === 0 ? 0 : rankingValueMinor,
  }));

function oldJson(state: CustomerValueState): string {
  // The form every release before the compact codec wrote (field order as it was).
  return JSON.stringify({
    buckets: state.buckets,
    tier: state.tier,
    rankingValueMinor: state.rankingValueMinor,
  });
}

describe('value-segmentation state codec', () => {
  it('round-trips every state', () => {
    fc.assert(
      fc.property(stateArb, (state) => {
        expect(decodeState(encodeState(state))).toEqual(state);
      }),
      { numRuns: 500 },
    );
  });

  it('is deterministic: equal states encode to equal text, different states to different text', () => {
    fc.assert(
      fc.property(stateArb, stateArb, (a, b) => {
        const copy = structuredClone(a);
        expect(encodeState(copy)).toBe(encodeState(a));
        expect(encodeState(a) === encodeState(b)).toBe(JSON.stringify(a) === JSON.stringify(b));
      }),
      { numRuns: 300 },
    );
  });

  it('still reads the JSON form written before, and writes it back compact', () => {
    fc.assert(
      fc.property(stateArb, (state) => {
        const loaded = decodeState(oldJson(state));
        expect(loaded).toEqual(state);
        expect(encodeState(loaded)).toBe(encodeState(state));
      }),
      { numRuns: 300 },
    );
    const stored =
      '{"buckets":[[1717200000000,1999,1,2],[1719792000000,-500,0,-1]],"tier":"middle","rankingValueMinor":1499}';
    expect(decodeState(stored)).toEqual({
      buckets: [
        [1717200000000, 1999, 1, 2],
        [1719792000000, -500, 0, -1],
      ],
      tier: 'middle',
      rankingValueMinor: 1499,
    });
  });

  it('writes day buckets in a few bytes: days, base 36, each start as the step from the last', () => {
    const day = 19_875; // 2024-06-01
    const state: CustomerValueState = {
      buckets: [
        [day * DAY_MS, 1999, 1, 2],
        [(day + 30) * DAY_MS, -500, 0, -1],
      ],
      tier: 'middle',
      rankingValueMinor: 1499,
    };
    expect(encodeState(state)).toBe('md0;fc3,1jj,2;u,-dw,0,-1');
    expect(encodeState({ buckets: [], tier: null, rankingValueMinor: 0 })).toBe('nd0');
    expect(encodeState({ buckets: [[HOUR_MS * 5, 1, 1, 1]], tier: 'top2', rankingValueMinor: 1 })).toBe(
      '2h0;5,1,1',
    );
    // A ranking value that differs from the buckets' sum (a bucket outside the ranking window).
    expect(encodeState({ buckets: [[DAY_MS, 700, 2, 3]], tier: 'top', rankingValueMinor: 0 })).toBe(
      'td-jg;1,jg,2,3',
    );
    expect(oldJson(state).length).toBeGreaterThan(3 * encodeState(state).length);
  });

  it('writes a ranking value the buckets cannot give exactly in full', () => {
    const huge: CustomerValueState = {
      buckets: [
        [0, Number.MAX_SAFE_INTEGER, 1, 1],
        [DAY_MS, 5, 1, 1],
      ],
      tier: null,
      rankingValueMinor: 7,
    };
    expect(encodeState(huge)).toBe(`nd!7;0,${Number.MAX_SAFE_INTEGER.toString(36)},1;1,5,1`);
    expect(decodeState(encodeState(huge))).toEqual(huge);
    expect(() => decodeState(`nd0;0,${Number.MAX_SAFE_INTEGER.toString(36)},1;1,5,1`)).toThrow(
      /out of range/,
    );
  });

  it('rejects what it did not write, saying what is wrong', () => {
    expect(() => decodeState('qd0')).toThrow(/tier code/);
    expect(() => decodeState('mq0')).toThrow(/unit/);
    expect(() => decodeState('md')).toThrow(/malformed number/);
    expect(() => decodeState('md1;1,2')).toThrow(/three or four numbers/);
    expect(() => decodeState('md1;1,2,3,4,5')).toThrow(/three or four numbers/);
    expect(() => decodeState('md!;1,2,3')).toThrow(/malformed number/);
    expect(() => decodeState('md1;1,2,3,A')).toThrow(/malformed number/);
    expect(() => decodeState('md1;zzzzzzzzzzzz,1,1,1')).toThrow(/malformed number|out of range/);
    expect(() => decodeState('{"buckets":[[1,2,3]],"tier":null,"rankingValueMinor":0}')).toThrow(/buckets/);
    expect(() => decodeState('{"buckets":[],"tier":"gold","rankingValueMinor":0}')).toThrow(/tier/);
  });
});
