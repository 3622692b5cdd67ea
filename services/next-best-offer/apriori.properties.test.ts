// The miner against the brute-force oracle (test/oracle/association-rules.ts, which shares no code
// with it) on small random baskets and random thresholds: the same rules with the same counts,
// and support, confidence and lift equal to 1e-12. Items include separators and the empty string,
// and one case goes the worker's whole way (partition counters → window → miner).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bruteForceRules, type OracleRule } from '../../test/oracle/association-rules.js';
import { type MiningOptions, mineAssociationRules, type WeightedBasket } from './apriori.js';
import { basketField } from './basket-key.js';
import { basketsInWindow } from './basket-window.js';
import type { AssociationRule } from './model.js';

const ITEMS = ['whole milk', 'bottled beer', 'groceries/dairy', 'a,b', '%2C', 'x:y', '', 'Ω'];

const basketArb = fc.record({
  items: fc.array(fc.constantFrom(...ITEMS), { maxLength: 8 }),
  count: fc.integer({ min: 1, max: 4 }),
});

const shareArb = fc.oneof(
  fc.integer({ min: 0, max: 100 }).map((k) => k / 100),
  fc.double({ min: 0, max: 1, noNaN: true }),
);

// Mostly low supports, so most cases have rules to compare.
const supportArb = fc.oneof(
  fc.integer({ min: 0, max: 40 }).map((k) => k / 100),
  fc.double({ min: 0, max: 1, noNaN: true }),
);

const optionsArb: fc.Arbitrary<MiningOptions> = fc
  .record({
    minSupport: supportArb,
    minConfidence: shareArb,
    minLen: fc.integer({ min: 1, max: 5 }),
    span: fc.nat(6),
  })
  .map(({ span, ...o }) => ({ ...o, maxLen: Math.max(1, o.minLen + span - 2) }));

const key = (lhs: readonly string[], rhs: string) => JSON.stringify([lhs, rhs]);

function expectSameRules(got: readonly AssociationRule[], expected: readonly OracleRule[]): void {
  const oracle = new Map(expected.map((r) => [key(r.lhs, r.rhs), r]));
  expect(got.map((r) => key(r.antecedent, r.consequent)).sort()).toEqual([...oracle.keys()].sort());
  for (const r of got) {
    const o = oracle.get(key(r.antecedent, r.consequent))!;
    expect(r.count).toBe(o.count);
    expect(Math.abs(r.support - o.support)).toBeLessThanOrEqual(1e-12);
    expect(Math.abs(r.confidence - o.confidence)).toBeLessThanOrEqual(1e-12);
    expect(Math.abs(r.lift - o.lift)).toBeLessThanOrEqual(1e-12);
  }
}

const asOracle = (baskets: readonly WeightedBasket[]) =>
  baskets.map((b) => ({ items: b.items, weight: b.count }));

describe('mineAssociationRules against brute force', () => {
  it('gives exactly the oracle rules and frequent itemsets', () => {
    fc.assert(
      fc.property(fc.array(basketArb, { maxLength: 25 }), optionsArb, (baskets, options) => {
        const result = mineAssociationRules(baskets, options);
        const oracle = bruteForceRules(asOracle(baskets), options);
        expect(result.baskets).toBe(oracle.n);
        expect(result.frequentItemsetsByLength).toEqual(oracle.frequentBySize);
        expectSameRules(result.rules, oracle.rules);
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same rules from the partitions’ day counters of the window', () => {
    const day = 20_000;
    const filedArb = fc.record({
      basket: basketArb,
      partition: fc.nat(3),
      daysBack: fc.integer({ min: 0, max: 9 }),
    });
    fc.assert(
      fc.property(fc.array(filedArb, { maxLength: 25 }), optionsArb, (filed, options) => {
        const partitions = Array.from({ length: 4 }, () => ({}) as Record<string, number>);
        for (const { basket, partition, daysBack } of filed) {
          const field = basketField(day - daysBack, basket.items);
          partitions[partition]![field] = (partitions[partition]![field] ?? 0) + basket.count;
        }
        // Window of 7 days before `day + 1`: days day-6 … day.
        const { baskets } = basketsInWindow(partitions, { fromDay: day - 6, toDay: day + 1 });
        const inWindow = filed.filter((f) => f.daysBack <= 6).map((f) => f.basket);
        expectSameRules(
          mineAssociationRules(baskets, options).rules,
          bruteForceRules(asOracle(inWindow), options).rules,
        );
      }),
      { numRuns: 200 },
    );
  });
});
