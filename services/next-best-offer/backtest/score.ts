// Scoring a suggester against what customers bought in the test month, and the two baselines it
// has to beat. Pure: the baskets come in, numbers go out. The baselines obey the worker's rule
// that an item the customer bought within the last recentDays is never suggested, so a suggester
// cannot win or lose by suggesting what the customer is already restocking.

import { compareItems } from '../basket-key.js';
import type { Item } from '../model.js';
import { DAY_MS } from '../settings.js';

/** What a customer bought, when: an invoice without its lines is enough to score. */
export interface CustomerBasket {
  readonly customerId: string;
  readonly at: number;
  readonly items: readonly Item[];
}

/** Suggestions for a customer, best first. The worker's own suggestions plug in here. */
export type Suggester = (customerId: string) => readonly Item[];

/** Customers with a basket in both parts, sorted: the only ones a backtest can judge. */
export function testCustomers(
  training: readonly CustomerBasket[],
  test: readonly CustomerBasket[],
): string[] {
  const trained = new Set(training.map((basket) => basket.customerId));
  return [...new Set(test.map((basket) => basket.customerId))]
    .filter((id) => trained.has(id))
    .sort(compareItems);
}

/** Every item each customer bought in the baskets. */
export function itemsByCustomer(baskets: readonly CustomerBasket[]): Map<string, Set<Item>> {
  const bought = new Map<string, Set<Item>>();
  for (const basket of baskets) {
    let items = bought.get(basket.customerId);
    if (items === undefined) {
      items = new Set();
      bought.set(basket.customerId, items);
    }
    for (const item of basket.items) items.add(item);
  }
  return bought;
}

/** Baskets in the `days` whole days before `boundary`: [boundary − days, boundary). */
export function basketsBefore(
  baskets: readonly CustomerBasket[],
  boundary: number,
  days: number,
): CustomerBasket[] {
  const from = boundary - days * DAY_MS;
  return baskets.filter((basket) => basket.at >= from && basket.at < boundary);
}

/** Items by the number of baskets holding them, most first, ties in item order. */
export function popularItems(baskets: readonly CustomerBasket[]): Item[] {
  const counts = new Map<Item, number>();
  for (const basket of baskets) {
    for (const item of new Set(basket.items)) counts.set(item, (counts.get(item) ?? 0) + 1);
  }
  return [...counts.keys()].sort((a, b) => counts.get(b)! - counts.get(a)! || compareItems(a, b));
}

const NOTHING: ReadonlySet<Item> = new Set();

/** The first k items of a ranking the customer did not buy recently. */
export function popularitySuggester(
  ranking: readonly Item[],
  recent: ReadonlyMap<string, ReadonlySet<Item>>,
  k: number,
): Suggester {
  return (customerId) => {
    const excluded = recent.get(customerId) ?? NOTHING;
    const out: Item[] = [];
    for (const item of ranking) {
      if (out.length >= k) break;
      if (!excluded.has(item)) out.push(item);
    }
    return out;
  };
}

/** mulberry32: small, seedable, uniform enough for drawing suggestions. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of the customer id, mixed with the seed: each customer's draw is the same in any order. */
function customerSeed(seed: number, customerId: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < customerId.length; i += 1)
    h = Math.imul(h ^ customerId.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** k items drawn uniformly without replacement from `items`, never one the customer bought recently. */
export function randomSuggester(
  items: readonly Item[],
  recent: ReadonlyMap<string, ReadonlySet<Item>>,
  k: number,
  seed: number,
): Suggester {
  const pool = [...new Set(items)].sort(compareItems);
  return (customerId) => {
    const excluded = recent.get(customerId) ?? NOTHING;
    const candidates = pool.filter((item) => !excluded.has(item));
    const random = mulberry32(customerSeed(seed, customerId));
    const count = Math.min(k, candidates.length);
    // Partial Fisher–Yates: the first `count` places are a uniform draw.
    for (let i = 0; i < count; i += 1) {
      const j = i + Math.floor(random() * (candidates.length - i));
      [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
    }
    return candidates.slice(0, count);
  };
}

export interface Score {
  readonly customers: number;
  /** Share of customers with at least one of their first k suggestions bought in the test part. */
  readonly hitAt: Readonly<Record<number, number>>;
  /** Mean over customers of (first k suggestions bought) ÷ k; fewer than k suggestions count as misses. */
  readonly precisionAt: Readonly<Record<number, number>>;
  /** Share of customers who got any suggestion. */
  readonly coverage: number;
}

export function scoreSuggester(
  customers: readonly string[],
  suggest: Suggester,
  boughtInTest: ReadonlyMap<string, ReadonlySet<Item>>,
  ks: readonly number[],
): Score {
  const hits = new Map(ks.map((k) => [k, 0]));
  const precision = new Map(ks.map((k) => [k, 0]));
  let covered = 0;
  for (const customerId of customers) {
    // Repeats would count one purchase twice; only the first mention of an item stands.
    const suggestions = [...new Set(suggest(customerId))];
    if (suggestions.length > 0) covered += 1;
    const bought = boughtInTest.get(customerId) ?? NOTHING;
    for (const k of ks) {
      const found = suggestions.slice(0, k).filter((item) => bought.has(item)).length;
      if (found > 0) hits.set(k, hits.get(k)! + 1);
      precision.set(k, precision.get(k)! + found / k);
    }
  }
  const share = (n: number) => (customers.length === 0 ? 0 : n / customers.length);
  return {
    customers: customers.length,
    hitAt: Object.fromEntries(ks.map((k) => [k, share(hits.get(k)!)])),
    precisionAt: Object.fromEntries(ks.map((k) => [k, share(precision.get(k)!)])),
    coverage: share(covered),
  };
}

/**
 * Customers one suggester hits (at k) and the other misses, both ways: McNemar's test of two
 * suggesters scored on the same customers, z = (onlyA − onlyB) / √(onlyA + onlyB).
 */
export function pairedHits(
  customers: readonly string[],
  a: Suggester,
  b: Suggester,
  boughtInTest: ReadonlyMap<string, ReadonlySet<Item>>,
  k: number,
): { readonly onlyA: number; readonly onlyB: number; readonly z: number } {
  let onlyA = 0;
  let onlyB = 0;
  for (const customerId of customers) {
    const bought = boughtInTest.get(customerId) ?? NOTHING;
    const hitA = a(customerId)
      .slice(0, k)
      .some((item) => bought.has(item));
    const hitB = b(customerId)
      .slice(0, k)
      .some((item) => bought.has(item));
    if (hitA && !hitB) onlyA += 1;
    if (hitB && !hitA) onlyB += 1;
  }
  const z = onlyA + onlyB === 0 ? 0 : (onlyA - onlyB) / Math.sqrt(onlyA + onlyB);
  return { onlyA, onlyB, z };
}
