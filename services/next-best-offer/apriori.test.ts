// The miner on baskets small enough to work out by hand, the support threshold's rounding and the
// arules length rules; apriori.properties.test.ts compares it with a brute-force oracle.

import { describe, expect, it } from 'vitest';
import { compareRules, mineAssociationRules, minSupportCount, type WeightedBasket } from './apriori.js';
import type { AssociationRule } from './model.js';

// 10 baskets. Counts by hand: milk 7, bread 6, beer 5; milk+bread 6, milk+beer 2, bread+beer 2,
// all three 2.
const baskets: WeightedBasket[] = [
  { items: ['bread', 'milk'], count: 4 },
  { items: ['beer', 'bread', 'milk'], count: 2 },
  { items: ['milk'], count: 1 },
  { items: ['beer'], count: 3 },
];

const rule = (antecedent: string[], consequent: string, r: AssociationRule[]) =>
  r.find((x) => x.consequent === consequent && x.antecedent.join('|') === antecedent.join('|'));

describe('mineAssociationRules', () => {
  it('finds the rules a hand count gives, with arules support, confidence and lift', () => {
    const result = mineAssociationRules(baskets, {
      minSupport: 0.5,
      minConfidence: 0.8,
      minLen: 2,
      maxLen: 10,
    });
    expect(result.baskets).toBe(10);
    expect(result.minCount).toBe(5);
    // Frequent (≥ 5): milk, bread, beer, bread+milk.
    expect(result.frequentItemsetsByLength).toEqual({ 1: 3, 2: 1 });
    // bread ⇒ milk: 6/6; milk ⇒ bread: 6/7 ≈ 0.857.
    expect(result.rules).toEqual([
      { antecedent: ['bread'], consequent: 'milk', count: 6, support: 0.6, confidence: 1, lift: 1 / 0.7 },
      {
        antecedent: ['milk'],
        consequent: 'bread',
        count: 6,
        support: 0.6,
        confidence: 6 / 7,
        lift: 6 / 7 / 0.6,
      },
    ]);
    expect(result.rulesByLength).toEqual({ 2: 2 });
  });

  it('mines longer itemsets and rules down to the confidence threshold', () => {
    const result = mineAssociationRules(baskets, {
      minSupport: 0.2,
      minConfidence: 1,
      minLen: 1,
      maxLen: 10,
    });
    expect(result.frequentItemsetsByLength).toEqual({ 1: 3, 2: 3, 3: 1 });
    // Confidence 1: bread ⇒ milk (6/6), beer+bread ⇒ milk (2/2), beer+milk ⇒ bread (2/2).
    expect(result.rules.map((r) => [r.antecedent, r.consequent, r.count])).toEqual([
      [['beer', 'milk'], 'bread', 2],
      [['bread'], 'milk', 6],
      [['beer', 'bread'], 'milk', 2],
    ]);
    expect(rule(['beer', 'milk'], 'bread', [...result.rules])?.lift).toBeCloseTo(1 / 0.6, 12);
  });

  it('gives {} ⇒ {i} at minLen 1 when supp(i) reaches the confidence, with lift 1 (as arules)', () => {
    const result = mineAssociationRules(baskets, {
      minSupport: 0.1,
      minConfidence: 0.65,
      minLen: 1,
      maxLen: 1,
    });
    expect(result.rules).toEqual([
      { antecedent: [], consequent: 'milk', count: 7, support: 0.7, confidence: 0.7, lift: 1 },
    ]);
    expect(result.frequentItemsetsByLength).toEqual({ 1: 3 });
  });

  it('honours minLen and maxLen on the rule length |antecedent| + 1', () => {
    const options = { minSupport: 0.2, minConfidence: 0 };
    const lengths = (minLen: number, maxLen: number) =>
      mineAssociationRules(baskets, { ...options, minLen, maxLen }).rulesByLength;
    // Every frequent itemset of size k gives k rules at confidence 0: 3 of size 1, 3×2, 1×3.
    expect(lengths(1, 10)).toEqual({ 1: 3, 2: 6, 3: 3 });
    expect(lengths(2, 10)).toEqual({ 2: 6, 3: 3 });
    expect(lengths(3, 3)).toEqual({ 3: 3 });
    expect(lengths(1, 2)).toEqual({ 1: 3, 2: 6 });
    expect(lengths(3, 2)).toEqual({});
    expect(
      mineAssociationRules(baskets, { ...options, minLen: 1, maxLen: 2 }).frequentItemsetsByLength,
    ).toEqual({
      1: 3,
      2: 3,
    });
  });

  it('returns nothing for no baskets, and counts empty baskets in N', () => {
    const none = mineAssociationRules([], { minSupport: 0, minConfidence: 0, minLen: 1, maxLen: 10 });
    expect(none).toEqual({
      baskets: 0,
      minCount: 1,
      frequentItemsetsByLength: {},
      rulesByLength: {},
      rules: [],
    });
    const withEmpty = mineAssociationRules([...baskets, { items: [], count: 10 }], {
      minSupport: 0.3,
      minConfidence: 0.5,
      minLen: 1,
      maxLen: 10,
    });
    expect(withEmpty.baskets).toBe(20);
    expect(withEmpty.minCount).toBe(6);
    expect(withEmpty.rules.map((r) => r.support)).toEqual([0.3, 0.3]);
  });

  it('treats a basket listing an item twice as holding it once', () => {
    const twice = mineAssociationRules([{ items: ['milk', 'milk', 'bread'], count: 3 }], {
      minSupport: 1,
      minConfidence: 1,
      minLen: 2,
      maxLen: 10,
    });
    expect(twice.rules.map((r) => r.count)).toEqual([3, 3]);
  });

  it('rejects thresholds and counts outside their ranges', () => {
    const ok = { minSupport: 0.1, minConfidence: 0.5, minLen: 1, maxLen: 10 };
    expect(() => mineAssociationRules(baskets, { ...ok, minSupport: 1.5 })).toThrow(RangeError);
    expect(() => mineAssociationRules(baskets, { ...ok, minConfidence: Number.NaN })).toThrow(RangeError);
    expect(() => mineAssociationRules(baskets, { ...ok, minLen: 0 })).toThrow(RangeError);
    expect(() => mineAssociationRules(baskets, { ...ok, maxLen: 1.5 })).toThrow(RangeError);
    expect(() => mineAssociationRules([{ items: ['a'], count: 0 }], ok)).toThrow(RangeError);
  });
});

describe('minSupportCount', () => {
  it('is ⌈minSupport · N⌉ for the published Groceries thresholds', () => {
    expect(minSupportCount(0.001, 9835)).toBe(10);
    expect(minSupportCount(0.006, 9835)).toBe(60);
  });

  it('reads the threshold as the decimal written, where floating point lands just above', () => {
    expect(0.07 * 100).toBeGreaterThan(7); // the trap
    expect(minSupportCount(0.07, 100)).toBe(7);
    expect(0.1 * 3).toBeGreaterThan(0.3);
    expect(minSupportCount(0.1, 30)).toBe(3);
    expect(minSupportCount(0.57, 100)).toBe(57); // and just below: 0.57 × 100 = 56.99999999999999
  });

  it('rounds up fractional counts and never asks for fewer than one basket', () => {
    expect(minSupportCount(0.5, 3)).toBe(2);
    expect(minSupportCount(1e-7, 10)).toBe(1);
    expect(minSupportCount(2.5e-7, 8_000_000)).toBe(2);
    expect(minSupportCount(0, 100)).toBe(1);
    expect(minSupportCount(1, 9835)).toBe(9835);
  });

  it('is the least count whose support reaches the threshold, for thresholds k/1000', () => {
    for (let k = 1; k <= 1000; k += 1) {
      for (const n of [1, 7, 100, 999, 9835]) {
        const need = minSupportCount(k / 1000, n);
        // need/n ≥ k/1000 > (need−1)/n, in integers.
        expect(need * 1000 >= k * n && ((need - 1) * 1000 < k * n || need === 1), `${k} ${n}`).toBe(true);
      }
    }
  });
});

describe('compareRules', () => {
  it('orders by lift, then support, then confidence, then items', () => {
    const base = { antecedent: ['a'], consequent: 'b', count: 5, support: 0.5, confidence: 0.5, lift: 1 };
    const ordered: AssociationRule[] = [
      { ...base, lift: 2 },
      { ...base, count: 6, support: 0.6 },
      { ...base, confidence: 0.9 },
      { ...base, antecedent: [] },
      base,
      { ...base, consequent: 'c' },
      { ...base, antecedent: ['a', 'c'] },
    ];
    expect([...ordered].reverse().sort(compareRules)).toEqual(ordered);
  });
});
