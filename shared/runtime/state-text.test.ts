import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NotCompact, numberText, StateTextReader, stringText, timeText } from './state-text.js';

const read = new StateTextReader('test state', 'the text');

describe('compact state text', () => {
  it('writes every finite number in at most 26 characters and reads it back exactly', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer()), (n) => {
        const text = numberText(n);
        expect(text.length).toBeLessThanOrEqual(26);
        expect(read.number(text)).toBe(n === 0 ? 0 : n);
      }),
      { numRuns: 5000 },
    );
    // The longest: '~' and 17 significant digits after "-0.00000".
    expect(numberText(-0.0000012345678901234567)).toHaveLength(26);
    expect(numberText(Number.MIN_SAFE_INTEGER)).toBe('-2gosa7pa2gv');
  });

  it('cannot write what JSON would not keep', () => {
    for (const n of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])
      expect(() => numberText(n)).toThrow(NotCompact);
  });

  it('writes a time on a UTC day boundary as its day number, any other as a number, null as nothing', () => {
    expect(timeText(Date.UTC(2026, 11, 6))).toBe(`@${(Date.UTC(2026, 11, 6) / 86_400_000).toString(36)}`);
    expect(read.time(timeText(Date.UTC(2026, 11, 6)))).toBe(Date.UTC(2026, 11, 6));
    expect(read.time(timeText(Date.UTC(2026, 11, 6, 1)))).toBe(Date.UTC(2026, 11, 6, 1));
    expect(timeText(null)).toBe('');
    expect(read.time('')).toBeNull();
    expect(() => read.requiredTime('')).toThrow(/test state has a malformed time: "the text"/);
  });

  it('escapes every separator a codec may use in a string', () => {
    expect(stringText(',;:|@=%')).not.toMatch(/[,;:|@=]/);
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        expect(read.string(stringText(s))).toBe(s);
      }),
    );
    expect(() => read.string('%E0%A4%A')).toThrow(/malformed text/);
  });
});
