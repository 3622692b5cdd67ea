import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { holdoutFraction, isHoldout } from './holdout.js';

const ids = Array.from({ length: 10_000 }, (_, i) => `customer-${i}`);

describe('holdout', () => {
  it('holds out close to the configured share of 10k customers in every tier', () => {
    for (const tier of ['top2', 'top', 'middle', 'bottom', 'lapsed', 'unknown']) {
      for (const share of [0.05, 0.1, 0.3]) {
        const held = ids.filter((id) => isHoldout(id, tier, share)).length / ids.length;
        // Binomial standard deviation at 10k is at most 0.005: allow about 4 of them.
        expect(Math.abs(held - share), `${tier} at ${share}`).toBeLessThan(0.02);
      }
    }
  });

  it('is stable: the same customer and tier always give the same answer', () => {
    const first = ids.map((id) => isHoldout(id, 'top', 0.1));
    const second = ids.map((id) => isHoldout(id, 'top', 0.1));
    expect(second).toEqual(first);
    expect(holdoutFraction('customer-42', 'top')).toBe(holdoutFraction('customer-42', 'top'));
  });

  it('is the documented hash: sha256 of tier|customerId, first 8 bytes as a fraction', () => {
    const digest = createHash('sha256').update('middle|customer-7').digest();
    const expected = Number(digest.readBigUInt64BE(0)) / 2 ** 64;
    expect(holdoutFraction('customer-7', 'middle')).toBeCloseTo(expected, 12);
  });

  it('draws independently in each tier', () => {
    const share = 0.1;
    const inTop = ids.filter((id) => isHoldout(id, 'top', share));
    const inBoth = inTop.filter((id) => isHoldout(id, 'middle', share)).length / ids.length;
    // Independent draws: about s² in both (0.01), not s (0.1) as with a hash of the id alone.
    expect(inBoth).toBeGreaterThan(0.005);
    expect(inBoth).toBeLessThan(0.017);
  });

  it('only adds customers as the share grows, and holds out nobody at 0', () => {
    for (const id of ids.slice(0, 2_000)) {
      if (isHoldout(id, 'top', 0.1)) expect(isHoldout(id, 'top', 0.2)).toBe(true);
      expect(isHoldout(id, 'top', 0)).toBe(false);
    }
  });

  it('keeps fractions in [0, 1) and rejects shares outside [0, 1)', () => {
    for (const id of ids.slice(0, 1_000)) {
      const f = holdoutFraction(id, 'top');
      expect(f).toBeGreaterThanOrEqual(0);
      expect(f).toBeLessThan(1);
    }
    expect(() => isHoldout('c', 'top', 1)).toThrow(RangeError);
    expect(() => isHoldout('c', 'top', -0.1)).toThrow(RangeError);
    expect(() => isHoldout('c', 'top', Number.NaN)).toThrow(RangeError);
  });
});
