// Exact association-rule mining with arules' semantics (apriori with a single-item right-hand
// side), over a weighted multiset of distinct baskets. The frequent itemsets are found depth-first
// with tid-lists (Eclat): the same itemsets a level-wise Apriori finds, because both keep exactly
// the itemsets whose count reaches the threshold, but each count is one merge of two sorted lists
// of distinct-basket ids instead of a pass over every basket.

import { canonicalBasket, compareItems } from './basket-key.js';
import type { AssociationRule, Item } from './model.js';

/** A distinct item set and the number of baskets that held exactly it. */
export interface WeightedBasket {
  readonly items: readonly Item[];
  readonly count: number;
}

export interface MiningOptions {
  /** Share of baskets an itemset must be in: count ≥ ⌈minSupport · N⌉ (at least 1). */
  readonly minSupport: number;
  /** Least confidence of a rule. */
  readonly minConfidence: number;
  /** Least items in a rule (antecedent + consequent); 1 allows {} ⇒ {i}. arules default 1. */
  readonly minLen: number;
  /** Most items in a rule, and in a mined itemset. arules default 10. */
  readonly maxLen: number;
}

/** arules' defaults for the lengths. */
export const ARULES_LENGTHS = { minLen: 1, maxLen: 10 } as const;

export interface MiningResult {
  /** N: baskets in the multiset (weights summed). */
  readonly baskets: number;
  /** The least count of a frequent itemset. */
  readonly minCount: number;
  /** Frequent itemsets per length (up to maxLen), only lengths that have some. */
  readonly frequentItemsetsByLength: Readonly<Record<number, number>>;
  /** Rules per length (|antecedent| + 1), only lengths that have some. */
  readonly rulesByLength: Readonly<Record<number, number>>;
  /** Ordered by compareRules. */
  readonly rules: readonly AssociationRule[];
}

/**
 * ⌈minSupport · N⌉, at least 1, with minSupport taken as the decimal it is written as, in integer
 * arithmetic: in binary floating point 0.07 × 100 is 7.000000000000001, whose ceiling would
 * wrongly ask for 8 baskets. An itemset no basket holds is never frequent (arules agrees).
 */
export function minSupportCount(minSupport: number, baskets: number): number {
  if (!(minSupport >= 0 && minSupport <= 1))
    throw new RangeError(`minSupport must be in [0, 1], got ${minSupport}`);
  if (!Number.isSafeInteger(baskets) || baskets < 0) throw new RangeError(`bad basket total ${baskets}`);
  const match = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(minSupport));
  if (match === null) throw new RangeError(`cannot read minSupport ${minSupport}`);
  const fraction = match[2] ?? '';
  const scale = fraction.length - Number(match[3] ?? '0');
  const digits = BigInt(match[1]! + fraction);
  const numerator = digits * BigInt(baskets) * 10n ** BigInt(Math.max(0, -scale));
  const denominator = 10n ** BigInt(Math.max(0, scale));
  const ceiling = (numerator + denominator - 1n) / denominator;
  return Math.max(1, Number(ceiling));
}

/** Lift descending, then support, then confidence, then antecedent and consequent in string order. */
export function compareRules(a: AssociationRule, b: AssociationRule): number {
  return (
    b.lift - a.lift ||
    b.count - a.count ||
    b.confidence - a.confidence ||
    compareItemLists(a.antecedent, b.antecedent) ||
    compareItems(a.consequent, b.consequent)
  );
}

function compareItemLists(a: readonly Item[], b: readonly Item[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
    const order = compareItems(a[i]!, b[i]!);
    if (order !== 0) return order;
  }
  return a.length - b.length;
}

function validate(options: MiningOptions): void {
  const { minConfidence, minLen, maxLen } = options;
  if (!(minConfidence >= 0 && minConfidence <= 1)) {
    throw new RangeError(`minConfidence must be in [0, 1], got ${minConfidence}`);
  }
  if (!Number.isSafeInteger(minLen) || minLen < 1) throw new RangeError(`minLen must be ≥ 1, got ${minLen}`);
  if (!Number.isSafeInteger(maxLen) || maxLen < 1) throw new RangeError(`maxLen must be ≥ 1, got ${maxLen}`);
}

/** A frequent item's extension candidate below a prefix: the distinct baskets holding both. */
interface Branch {
  readonly item: number;
  readonly tids: Int32Array;
  readonly count: number;
}

export function mineAssociationRules(
  baskets: readonly WeightedBasket[],
  options: MiningOptions,
): MiningResult {
  validate(options);
  let total = 0;
  for (const basket of baskets) {
    if (!Number.isSafeInteger(basket.count) || basket.count <= 0) {
      throw new RangeError(`a basket's count must be a positive integer, got ${basket.count}`);
    }
    total += basket.count;
  }
  const minCount = minSupportCount(options.minSupport, total);
  const { minConfidence, minLen, maxLen } = options;

  // Items numbered in string order, so an itemset of ascending numbers lists its items sorted.
  const names = canonicalBasket(baskets.flatMap((b) => b.items));
  const number = new Map(names.map((name, i) => [name, i]));
  const weights = Float64Array.from(baskets, (b) => b.count);
  const tidLists: number[][] = names.map(() => []);
  baskets.forEach((basket, tid) => {
    for (const item of new Set(basket.items)) tidLists[number.get(item)!]!.push(tid);
  });
  const itemCounts = tidLists.map((tids) => weightOf(tids, weights));

  // Every frequent itemset's count, keyed by its item numbers (rules look their antecedents up).
  const counts = new Map<string, number>();
  const byLength = new Map<number, number>();
  const found: number[][] = [];
  const roots: Branch[] = [];
  tidLists.forEach((tids, item) => {
    if (itemCounts[item]! >= minCount)
      roots.push({ item, tids: Int32Array.from(tids), count: itemCounts[item]! });
  });

  const extend = (prefix: number[], branches: readonly Branch[]): void => {
    branches.forEach((branch, i) => {
      const itemset = [...prefix, branch.item];
      counts.set(itemset.join(','), branch.count);
      byLength.set(itemset.length, (byLength.get(itemset.length) ?? 0) + 1);
      found.push(itemset);
      if (itemset.length >= maxLen) return;
      const children: Branch[] = [];
      for (let j = i + 1; j < branches.length; j += 1) {
        const other = branches[j]!;
        const tids = intersect(branch.tids, other.tids);
        const count = weightOf(tids, weights);
        if (count >= minCount) children.push({ item: other.item, tids, count });
      }
      if (children.length > 0) extend(itemset, children);
    });
  };
  extend([], roots);

  const rules: AssociationRule[] = [];
  const rulesByLength = new Map<number, number>();
  for (const itemset of found) {
    if (itemset.length < minLen) continue;
    const count = counts.get(itemset.join(','))!;
    for (let p = 0; p < itemset.length; p += 1) {
      const antecedent = itemset.filter((_, q) => q !== p);
      const antecedentCount = antecedent.length === 0 ? total : counts.get(antecedent.join(','))!;
      const confidence = count / antecedentCount;
      if (confidence < minConfidence) continue;
      const consequent = itemset[p]!;
      rules.push({
        antecedent: antecedent.map((i) => names[i]!),
        consequent: names[consequent]!,
        count,
        support: count / total,
        confidence,
        lift: confidence / (itemCounts[consequent]! / total),
      });
      rulesByLength.set(itemset.length, (rulesByLength.get(itemset.length) ?? 0) + 1);
    }
  }
  rules.sort(compareRules);
  return {
    baskets: total,
    minCount,
    frequentItemsetsByLength: lengthRecord(byLength),
    rulesByLength: lengthRecord(rulesByLength),
    rules,
  };
}

function weightOf(tids: ArrayLike<number>, weights: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < tids.length; i += 1) sum += weights[tids[i]!]!;
  return sum;
}

/** The ids in both ascending lists, ascending. */
function intersect(a: Int32Array, b: Int32Array): Int32Array {
  const out = new Int32Array(Math.min(a.length, b.length));
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x === y) {
      out[n++] = x;
      i += 1;
      j += 1;
    } else if (x < y) i += 1;
    else j += 1;
  }
  return out.subarray(0, n);
}

function lengthRecord(byLength: ReadonlyMap<number, number>): Record<number, number> {
  return Object.fromEntries([...byLength].sort(([a], [b]) => a - b));
}
