import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cellOf, lowerEdgeOf, upperEdgeOf } from './histogram.js';

const MAX = Number.MAX_SAFE_INTEGER;
const anyValue = fc.oneof(
  fc.integer({ min: -300, max: 300 }),
  fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }),
  fc.integer({ min: -MAX, max: MAX }),
  fc.integer({ min: 0, max: 60 }).map((k) => 2 ** Math.min(k, 52) - 1),
  fc.integer({ min: 0, max: 52 }).map((k) => -(2 ** k)),
);

describe('histogram cells', () => {
  it('gives values below 128 a cell each', () => {
    for (let v = 0; v < 128; v += 1) {
      expect(cellOf(v)).toBe(v);
      expect(lowerEdgeOf(v)).toBe(v);
      expect(upperEdgeOf(v)).toBe(v);
    }
  });

  it('follows the 7-significant-bit layout above 128', () => {
    // bitLength(128) = 8 → e = 1, m = 64: cell 128, values 128..129.
    expect(cellOf(128)).toBe(128);
    expect(cellOf(129)).toBe(128);
    expect(cellOf(130)).toBe(129);
    expect(cellOf(255)).toBe(191);
    // e = 2 starts at 256 with cell 192, 4 values wide.
    expect(cellOf(256)).toBe(192);
    expect([lowerEdgeOf(192), upperEdgeOf(192)]).toEqual([256, 259]);
    expect([lowerEdgeOf(128), upperEdgeOf(128)]).toEqual([128, 129]);
  });

  it('mirrors negative values: cell(v) = -1 - cell(-v - 1)', () => {
    expect(cellOf(-1)).toBe(-1);
    expect(cellOf(-128)).toBe(-128);
    expect(cellOf(-129)).toBe(-129);
    expect(cellOf(-130)).toBe(-129);
    expect(cellOf(-131)).toBe(-130);
    expect([lowerEdgeOf(-129), upperEdgeOf(-129)]).toEqual([-130, -129]);
  });

  it('is exact at the ends of the safe integer range', () => {
    expect(upperEdgeOf(cellOf(MAX))).toBe(MAX);
    expect(lowerEdgeOf(cellOf(-MAX))).toBe(-(2 ** 53));
    expect(lowerEdgeOf(cellOf(2 ** 52))).toBe(2 ** 52);
    expect(upperEdgeOf(cellOf(2 ** 52 - 1))).toBe(2 ** 52 - 1);
    expect(cellOf(2 ** 52)).toBe(cellOf(2 ** 52 - 1) + 1);
  });

  it('refuses values that are not safe integers', () => {
    expect(() => cellOf(1.5)).toThrow(RangeError);
    expect(() => cellOf(2 ** 53)).toThrow(RangeError);
    expect(() => cellOf(Number.NaN)).toThrow(RangeError);
  });

  it('puts every integer within [lowerEdge, upperEdge] of its cell', () => {
    fc.assert(
      fc.property(anyValue, (v) => {
        const cell = cellOf(v);
        expect(lowerEdgeOf(cell)).toBeLessThanOrEqual(v);
        expect(upperEdgeOf(cell)).toBeGreaterThanOrEqual(v);
        // The lowest cell's edge, -2^53, is exact but outside the safe range cellOf accepts.
        if (Number.isSafeInteger(lowerEdgeOf(cell))) expect(cellOf(lowerEdgeOf(cell))).toBe(cell);
        expect(cellOf(upperEdgeOf(cell))).toBe(cell);
      }),
      { numRuns: 2_000 },
    );
  });

  it('is monotone in the value, and adjacent cells touch', () => {
    fc.assert(
      fc.property(anyValue, anyValue, (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(cellOf(lo)).toBeLessThanOrEqual(cellOf(hi));
        const cell = cellOf(lo);
        if (upperEdgeOf(cell) < MAX) expect(lowerEdgeOf(cell + 1)).toBe(upperEdgeOf(cell) + 1);
      }),
      { numRuns: 2_000 },
    );
  });

  it('keeps the relative width of a cell at most 1/64 for |v| >= 128', () => {
    fc.assert(
      fc.property(anyValue, (v) => {
        fc.pre(Math.abs(v) >= 128);
        const cell = cellOf(v);
        const width = upperEdgeOf(cell) - lowerEdgeOf(cell) + 1;
        expect(width / Math.abs(v)).toBeLessThanOrEqual(1 / 64);
      }),
      { numRuns: 2_000 },
    );
  });
});
