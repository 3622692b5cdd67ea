import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { economicsDeltas, type ItemLineTotals, mergeItemEconomics } from './item-economics.js';

function apply(counters: Record<string, number>, deltas: ReadonlyArray<{ field: string; delta: number }>) {
  for (const { field, delta } of deltas) {
    counters[field] = (counters[field] ?? 0) + delta;
    if (counters[field] === 0) delete counters[field];
  }
  return counters;
}

const wine: ItemLineTotals = {
  item: 'red/blush wine',
  valueMinor: 1200,
  units: 2,
  marginMinor: 300,
  marginUnits: 2,
};
const beer: ItemLineTotals = {
  item: 'bottled beer',
  valueMinor: 500,
  units: 5,
  marginMinor: 0,
  marginUnits: 0,
};

describe('item economics', () => {
  it('gives the window mean price and margin over partitions, by item', () => {
    const p0 = apply({}, economicsDeltas(10, [wine, beer], 1));
    const p1 = apply(
      {},
      economicsDeltas(11, [{ ...wine, valueMinor: 900, units: 1, marginMinor: 100, marginUnits: 1 }], 1),
    );
    const merged = mergeItemEconomics([p0, p1], 10, 12, (item) => (item === 'bottled beer' ? 1 : 2));
    expect(merged).toEqual([
      { item: 'bottled beer', unitPriceMinor: 100, unitMarginMinor: null, baskets: 1 },
      { item: 'red/blush wine', unitPriceMinor: 700, unitMarginMinor: 400 / 3, baskets: 2 },
    ]);
  });

  it('leaves out the days outside the window and foreign counters', () => {
    const counters = apply({ 'nbo:b:10:x': 3, 'peer:1': 4 }, economicsDeltas(9, [wine], 1));
    apply(counters, economicsDeltas(12, [beer], 1));
    expect(mergeItemEconomics([counters], 10, 12, () => 0)).toEqual([]);
  });

  it('takes a basket back out exactly (a day leaving the window, an erasure)', () => {
    const line = fc.record({
      item: fc.string({ maxLength: 6 }),
      valueMinor: fc.nat(10_000),
      units: fc.integer({ min: 1, max: 20 }),
      marginMinor: fc.nat(1000),
      marginUnits: fc.nat(20),
    });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(5), fc.array(line, { maxLength: 4 })), { maxLength: 8 }),
        (baskets) => {
          const counters: Record<string, number> = {};
          for (const [day, lines] of baskets) apply(counters, economicsDeltas(day, lines, 1));
          for (const [day, lines] of baskets) apply(counters, economicsDeltas(day, lines, -1));
          expect(counters).toEqual({});
        },
      ),
    );
  });

  it('keeps items with separators in their names apart', () => {
    const tricky = ['a:b', 'a', 'b:mu', 'x:1:v'];
    const counters = apply(
      {},
      economicsDeltas(
        1,
        tricky.map((item, i) => ({
          item,
          valueMinor: (i + 1) * 10,
          units: 1,
          marginMinor: 0,
          marginUnits: 0,
        })),
        1,
      ),
    );
    const merged = mergeItemEconomics([counters], 1, 2, () => 1);
    expect(Object.fromEntries(merged.map((e) => [e.item, e.unitPriceMinor]))).toEqual({
      'a:b': 10,
      a: 20,
      'b:mu': 30,
      'x:1:v': 40,
    });
  });
});
