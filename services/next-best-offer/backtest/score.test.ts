import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  basketsBefore,
  itemsByCustomer,
  pairedHits,
  popularItems,
  popularitySuggester,
  randomSuggester,
  scoreSuggester,
  testCustomers,
} from './score.js';

const DAY = 86_400_000;
const basket = (customerId: string, day: number, ...items: string[]) => ({
  customerId,
  at: day * DAY,
  items,
});

describe('testCustomers', () => {
  it('keeps the customers with a basket in both parts, sorted', () => {
    const training = [basket('b', 1, 'x'), basket('a', 2, 'y'), basket('c', 3, 'z')];
    const test = [basket('c', 40, 'x'), basket('d', 41, 'x'), basket('a', 42, 'y'), basket('a', 43, 'x')];
    expect(testCustomers(training, test)).toEqual(['a', 'c']);
  });
});

describe('basketsBefore', () => {
  it('holds [boundary − days, boundary)', () => {
    const baskets = [basket('a', 9, 'x'), basket('a', 10, 'y'), basket('a', 14, 'z'), basket('a', 15, 'w')];
    expect(basketsBefore(baskets, 15 * DAY, 5).map((b) => b.items[0])).toEqual(['y', 'z']);
  });
});

describe('popularItems', () => {
  it('ranks by baskets holding the item (not units or lines), ties in item order', () => {
    const baskets = [
      basket('a', 1, 'mug', 'tea', 'mug'),
      basket('b', 1, 'tea'),
      basket('c', 1, 'card', 'bag'),
      basket('d', 1, 'bag'),
    ];
    expect(popularItems(baskets)).toEqual(['bag', 'tea', 'card', 'mug']);
  });
});

describe('popularitySuggester', () => {
  it('skips what the customer bought recently and stops at k', () => {
    const suggest = popularitySuggester(['bag', 'tea', 'card', 'mug'], new Map([['a', new Set(['tea'])]]), 2);
    expect(suggest('a')).toEqual(['bag', 'card']);
    expect(suggest('stranger')).toEqual(['bag', 'tea']);
  });
});

describe('randomSuggester', () => {
  const items = Array.from({ length: 20 }, (_, i) => `sku${i}`);

  it('draws k distinct items, never a recent one, the same for the same seed and customer', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.integer(),
        fc.integer({ min: 0, max: 25 }),
        fc.subarray(items),
        (customerId, seed, k, recent) => {
          const suggest = randomSuggester(items, new Map([[customerId, new Set(recent)]]), k, seed);
          const drawn = suggest(customerId);
          expect(drawn).toHaveLength(Math.min(k, items.length - recent.length));
          expect(new Set(drawn).size).toBe(drawn.length);
          for (const item of drawn) expect(items.includes(item) && !recent.includes(item)).toBe(true);
          expect(suggest(customerId)).toEqual(drawn);
        },
      ),
    );
  });

  it('draws each item about equally often over many customers', () => {
    const suggest = randomSuggester(items, new Map(), 3, 7);
    const counts = new Map<string, number>();
    const customers = 20_000;
    for (let c = 0; c < customers; c += 1) {
      for (const item of suggest(`customer-${c}`)) counts.set(item, (counts.get(item) ?? 0) + 1);
    }
    const expected = (customers * 3) / items.length; // 3,000; sd ≈ 52
    for (const item of items) expect(Math.abs((counts.get(item) ?? 0) - expected)).toBeLessThan(250);
  });

  it('gives different customers different draws', () => {
    const suggest = randomSuggester(items, new Map(), 5, 1);
    const draws = new Set(Array.from({ length: 50 }, (_, c) => suggest(`c${c}`).join(',')));
    expect(draws.size).toBeGreaterThan(45);
  });
});

describe('scoreSuggester', () => {
  const bought = itemsByCustomer([
    basket('a', 40, 'tea', 'mug'),
    basket('b', 41, 'bag'),
    basket('c', 42, 'card'),
  ]);
  const suggestions: Record<string, string[]> = {
    a: ['card', 'x1', 'mug', 'tea', 'x2'], // hits at ranks 3 and 4
    b: ['x1', 'x2', 'x3', 'bag'], // hit at rank 4
    c: [], // nothing to suggest
  };

  it('counts hits, precision and coverage over every test customer', () => {
    const score = scoreSuggester(['a', 'b', 'c'], (id) => suggestions[id] ?? [], bought, [3, 10]);
    expect(score.customers).toBe(3);
    expect(score.hitAt).toEqual({ 3: 1 / 3, 10: 2 / 3 });
    expect(score.precisionAt[3]).toBeCloseTo((1 / 3 + 0 + 0) / 3, 12);
    // Fewer than 10 suggestions: the empty places are misses, not left out of the denominator.
    expect(score.precisionAt[10]).toBeCloseTo((2 / 10 + 1 / 10 + 0) / 3, 12);
    expect(score.coverage).toBeCloseTo(2 / 3, 12);
  });

  it('does not count a repeated suggestion twice', () => {
    const score = scoreSuggester(['a'], () => ['tea', 'tea', 'tea'], bought, [3]);
    expect(score.precisionAt[3]).toBeCloseTo(1 / 3, 12);
  });

  it('is zero, not NaN, with no customers', () => {
    expect(scoreSuggester([], () => ['tea'], bought, [3])).toEqual({
      customers: 0,
      hitAt: { 3: 0 },
      precisionAt: { 3: 0 },
      coverage: 0,
    });
  });

  it('never has precision above hit rate, and hit@k grows with k', () => {
    const itemArb = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom('p', 'q', 'r'), fc.array(itemArb, { maxLength: 8 })),
        fc.dictionary(fc.constantFrom('p', 'q', 'r'), fc.array(itemArb, { maxLength: 4 })),
        (suggested, test) => {
          const score = scoreSuggester(
            ['p', 'q', 'r'],
            (id) => suggested[id] ?? [],
            new Map(Object.entries(test).map(([id, items]) => [id, new Set(items)])),
            [1, 3, 10],
          );
          expect(score.hitAt[1]!).toBeLessThanOrEqual(score.hitAt[3]!);
          expect(score.hitAt[3]!).toBeLessThanOrEqual(score.hitAt[10]!);
          for (const k of [1, 3, 10])
            expect(score.precisionAt[k]!).toBeLessThanOrEqual(score.hitAt[k]! + 1e-12);
          expect(score.hitAt[10]!).toBeLessThanOrEqual(score.coverage);
        },
      ),
    );
  });
});

describe('pairedHits', () => {
  it('counts the customers only one suggester hits, each way, and McNemar’s z', () => {
    const bought = new Map([
      ['p', new Set(['tea'])],
      ['q', new Set(['mug'])],
      ['r', new Set(['bag'])],
      ['s', new Set(['card'])],
    ]);
    const a = (id: string) => ({ p: ['tea'], q: ['mug'], r: ['bag'], s: ['x'] })[id] ?? [];
    const b = (id: string) => ({ p: ['tea'], q: ['x'], r: ['x', 'y', 'bag'], s: ['card'] })[id] ?? [];
    // p: both hit; q: only a; r: only a at k = 2 (b's hit is third); s: only b.
    expect(pairedHits(['p', 'q', 'r', 's'], a, b, bought, 2)).toEqual({
      onlyA: 2,
      onlyB: 1,
      z: 1 / Math.sqrt(3),
    });
    expect(pairedHits(['p', 'q', 'r', 's'], a, b, bought, 3)).toEqual({ onlyA: 1, onlyB: 1, z: 0 });
    expect(pairedHits(['p'], a, b, bought, 1).z).toBe(0);
  });
});
