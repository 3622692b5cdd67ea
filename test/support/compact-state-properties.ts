import fc from 'fast-check';
import { expect } from 'vitest';

// What every worker's compact state codec (shared/runtime/state-text.ts) must do, checked over
// states built from these parts: numbers of every kind, times on and off day boundaries, strings
// full of the codecs' separators.

const DAY_MS = 86_400_000;

export const anyNumber = fc.oneof(
  { weight: 10, arbitrary: fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }) },
  { weight: 5, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      Number.MAX_SAFE_INTEGER,
      2 ** 60,
      -(2 ** 60),
      1e-300,
      0.1,
      -0.0000012345678901234567,
      -0,
    ),
  },
);

/** Times on UTC day boundaries (buckets, evaluations) or at any millisecond (events). */
export const anyTime = fc.oneof(
  fc.integer({ min: 0, max: 40_000 }).map((d) => d * DAY_MS),
  fc.integer({ min: -(2 ** 45), max: 2 ** 53 - 1 }),
);

/** Strings: the worker's usual names, every separator and escape, and any text. */
export function anyText(...usual: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(...usual, 'a,b;c|d:e', '@~=%', '%41', '', '=x', '__proto__'),
    fc.string(),
    fc.string({ unit: 'grapheme' }),
  );
}

/**
 * The codec decodes what it encodes exactly as JSON would (the form it replaced: -0 becomes 0),
 * encodes that to the same text (the runtime compares encoded states), and still decodes the JSON
 * an earlier release stored.
 */
export function checkCompactCodec<S>(
  states: fc.Arbitrary<S>,
  codec: { encodeState(state: S): string; decodeState(encoded: string): S },
): void {
  const throughJson = (state: S) => JSON.parse(JSON.stringify(state)) as S;
  fc.assert(
    fc.property(states, (state) => {
      const encoded = codec.encodeState(state);
      const decoded = codec.decodeState(encoded);
      expect(decoded).toStrictEqual(throughJson(state));
      expect(codec.encodeState(decoded)).toBe(encoded);
      expect(codec.decodeState(JSON.stringify(state))).toStrictEqual(throughJson(state));
    }),
    { numRuns: 2000 },
  );
}
