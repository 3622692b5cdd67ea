// A brute-force association-rule miner, the oracle for services/next-best-offer/apriori.ts. It
// shares no code or types with the worker: every subset (up to maxLen items) of every basket is
// counted, an itemset is frequent when its count reaches minSupport · N (up to float noise), and
// every item of a frequent itemset is tried as the consequent. Exponential in basket size: for
// small random baskets only.

export interface OracleBasket {
  readonly items: readonly string[];
  /** How many identical baskets this stands for. */
  readonly weight: number;
}

export interface OracleThresholds {
  readonly minSupport: number;
  readonly minConfidence: number;
  readonly minLen: number;
  readonly maxLen: number;
}

export interface OracleRule {
  readonly lhs: readonly string[];
  readonly rhs: string;
  readonly count: number;
  readonly support: number;
  readonly confidence: number;
  readonly lift: number;
}

export interface OracleResult {
  readonly n: number;
  /** Frequent itemsets per size (sizes with none left out). */
  readonly frequentBySize: Readonly<Record<number, number>>;
  readonly rules: readonly OracleRule[];
}

const keyOf = (items: readonly string[]): string => JSON.stringify(items);

function sorted(items: Iterable<string>): string[] {
  return [...new Set(items)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Every non-empty subset of `items` with at most `maxSize` elements, each in the order of `items`. */
function subsets(items: readonly string[], maxSize: number): string[][] {
  const out: string[][] = [];
  for (let mask = 1; mask < 1 << items.length; mask += 1) {
    const subset = items.filter((_, i) => (mask >> i) & 1);
    if (subset.length <= maxSize) out.push(subset);
  }
  return out;
}

export function bruteForceRules(baskets: readonly OracleBasket[], t: OracleThresholds): OracleResult {
  let n = 0;
  const counts = new Map<string, { items: string[]; count: number }>();
  for (const basket of baskets) {
    n += basket.weight;
    for (const subset of subsets(sorted(basket.items), t.maxLen)) {
      const entry = counts.get(keyOf(subset)) ?? { items: subset, count: 0 };
      entry.count += basket.weight;
      counts.set(keyOf(subset), entry);
    }
  }
  const frequent = [...counts.values()].filter(({ count }) => count >= t.minSupport * n - 1e-9);
  const frequentBySize: Record<number, number> = {};
  for (const { items } of frequent) frequentBySize[items.length] = (frequentBySize[items.length] ?? 0) + 1;

  const countOf = (items: readonly string[]): number =>
    items.length === 0 ? n : (counts.get(keyOf(items))?.count ?? 0);
  const rules: OracleRule[] = [];
  for (const { items, count } of frequent) {
    if (items.length < t.minLen) continue;
    for (const rhs of items) {
      const lhs = items.filter((item) => item !== rhs);
      const confidence = count / countOf(lhs);
      if (confidence < t.minConfidence) continue;
      rules.push({
        lhs,
        rhs,
        count,
        support: count / n,
        confidence,
        lift: confidence / (countOf([rhs]) / n),
      });
    }
  }
  return { n, frequentBySize, rules };
}
