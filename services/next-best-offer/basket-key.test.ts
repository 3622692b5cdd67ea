// The basket counter field: canonical (order and repeats do not matter), injective (different
// baskets or days never share a field), and decoded back exactly, for any strings as items.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BASKET_FIELD_PREFIX,
  basketField,
  canonicalBasket,
  decodeBasketField,
  utcDayOf,
} from './basket-key.js';

// Items built from the characters the encoding must survive, plus arbitrary strings.
const itemArb = fc.oneof(
  fc.string({ unit: fc.constantFrom(',', '%', ':', '2', 'C', 'E', 'a', ' ', '/'), maxLength: 6 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
);
const basketArb = fc.array(itemArb, { maxLength: 8 });
const dayArb = fc.integer({ min: -30_000, max: 200_000 });

const sameSet = (a: readonly string[], b: readonly string[]) =>
  new Set(a).size === new Set(b).size && a.every((x) => b.includes(x));

describe('basketField', () => {
  it('decodes back to the day and the sorted, deduplicated items', () => {
    fc.assert(
      fc.property(dayArb, basketArb, (day, items) => {
        const field = basketField(day, items);
        expect(field.startsWith(`${BASKET_FIELD_PREFIX}${day}:`)).toBe(true);
        expect(decodeBasketField(field)).toEqual({ day, items: canonicalBasket(items) });
      }),
      { numRuns: 500 },
    );
  });

  it('gives two baskets the same field exactly when they are the same day and item set', () => {
    fc.assert(
      fc.property(dayArb, basketArb, dayArb, basketArb, (d1, b1, d2, b2) => {
        const same = d1 === d2 && sameSet(b1, b2);
        expect(basketField(d1, b1) === basketField(d2, b2)).toBe(same);
      }),
      { numRuns: 500 },
    );
    // Near misses the escaping must tell apart.
    const fields = [[], [''], ['', 'a'], ['a,b'], ['a', 'b'], ['%2C'], [','], ['%E'], ['%'], ['%25']].map(
      (b) => basketField(1, b),
    );
    expect(new Set(fields).size).toBe(fields.length);
  });

  it('does not depend on the order or repeats of the items', () => {
    const reorderedArb = basketArb.chain((items) =>
      fc.tuple(
        fc.constant(items),
        fc.shuffledSubarray([...items, ...items], {
          minLength: 2 * items.length,
          maxLength: 2 * items.length,
        }),
      ),
    );
    fc.assert(
      fc.property(dayArb, reorderedArb, (day, [items, reordered]) => {
        expect(basketField(day, reordered)).toBe(basketField(day, items));
      }),
    );
  });

  it('reads like the design: nbo:b:<day>:<items>', () => {
    expect(basketField(20_423, ['whole milk', 'bottled beer', 'groceries/dairy'])).toBe(
      'nbo:b:20423:bottled beer,groceries/dairy,whole milk',
    );
    expect(basketField(3, ['a,b', '50%'])).toBe('nbo:b:3:50%25,a%2Cb');
    expect(() => basketField(1.5, ['a'])).toThrow(RangeError);
  });
});

describe('decodeBasketField', () => {
  it('accepts only fields basketField writes, so each basket has one field', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('n', 'b', 'o', ':', '1', '0', '-', ',', '%', '2', 'C', 'E', 'a') }),
        (text) => {
          const field = `${BASKET_FIELD_PREFIX}${text}`;
          const decoded = decodeBasketField(field);
          if (decoded !== undefined) expect(basketField(decoded.day, decoded.items)).toBe(field);
        },
      ),
      { numRuns: 2000 },
    );
    for (const bad of [
      'nbo:x:1:a',
      'nbo:b:1',
      'nbo:b:01:a',
      'nbo:b:-0:a',
      'nbo:b:1.5:a',
      'nbo:b:1:b,a',
      'nbo:b:1:a,a',
      'nbo:b:1:a,,b',
      'nbo:b:1:a%2c',
      'nbo:b:1:%',
      'nbo:b:1:%E,%E',
    ]) {
      expect(decodeBasketField(bad), bad).toBeUndefined();
    }
  });
});

describe('utcDayOf', () => {
  it('is the UTC day number, floor(ms / 86 400 000)', () => {
    expect(utcDayOf(Date.UTC(2026, 11, 5, 23, 59, 59, 999))).toBe(Date.UTC(2026, 11, 5) / 86_400_000);
    expect(utcDayOf(Date.UTC(2026, 11, 6))).toBe(Date.UTC(2026, 11, 6) / 86_400_000);
    expect(utcDayOf(-1)).toBe(-1);
  });
});
