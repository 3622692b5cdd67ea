// The oracle's own figures on baskets small enough to count by hand, so the property test of the
// miner compares against something that is itself checked.

import { describe, expect, it } from 'vitest';
import { bruteForceRules } from './association-rules.js';

// 10 baskets: {a,b} ×4, {a,b,c} ×2, {a} ×1, {c} ×3.
// Counts: a 7, b 6, c 5, ab 6, ac 2, bc 2, abc 2.
const baskets = [
  { items: ['b', 'a'], weight: 4 },
  { items: ['a', 'b', 'c', 'a'], weight: 2 },
  { items: ['a'], weight: 1 },
  { items: ['c'], weight: 3 },
];

describe('the brute-force rule oracle', () => {
  it('counts every subset and keeps those reaching minSupport · N', () => {
    const result = bruteForceRules(baskets, { minSupport: 0.2, minConfidence: 1, minLen: 1, maxLen: 10 });
    expect(result.n).toBe(10);
    // ≥ 2 baskets: a b c, ab ac bc, abc.
    expect(result.frequentBySize).toEqual({ 1: 3, 2: 3, 3: 1 });
  });

  it('derives rules with confidence count(X∪Y)/count(X) and lift conf/supp(Y)', () => {
    const result = bruteForceRules(baskets, { minSupport: 0.5, minConfidence: 0.8, minLen: 2, maxLen: 10 });
    // Frequent (≥ 5): a, b, c, ab. Rules: a⇒b 6/7, b⇒a 6/6.
    const rules = [...result.rules].sort((p, q) => (p.rhs < q.rhs ? -1 : 1));
    expect(rules).toEqual([
      { lhs: ['b'], rhs: 'a', count: 6, support: 0.6, confidence: 1, lift: 1 / 0.7 },
      { lhs: ['a'], rhs: 'b', count: 6, support: 0.6, confidence: 6 / 7, lift: 6 / 7 / 0.6 },
    ]);
  });

  it('gives {} ⇒ {y} with confidence supp(y) at minLen 1', () => {
    const result = bruteForceRules(baskets, { minSupport: 0.5, minConfidence: 0.65, minLen: 1, maxLen: 1 });
    expect(result.rules).toEqual([{ lhs: [], rhs: 'a', count: 7, support: 0.7, confidence: 0.7, lift: 1 }]);
  });
});
