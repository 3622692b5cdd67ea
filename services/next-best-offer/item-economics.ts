// What an item sells for, from the purchase lines of the basket window: per day and item the
// partition counts money, units and (where the seller knew it) margin, so that the mean price of
// the window is exact and a day leaving the window takes its lines with it.

import type { CounterDelta } from '../../shared/runtime/worker-definition.js';
import { memoizedReader } from './memoized-reader.js';
import type { Item, ItemEconomics } from './model.js';

const PREFIX = 'nbo:e:';

/** One item's lines in one basket: money and units, margin and the units that carried one. */
export interface ItemLineTotals {
  readonly item: Item;
  readonly valueMinor: number;
  readonly units: number;
  readonly marginMinor: number;
  readonly marginUnits: number;
}

type Measure = 'v' | 'u' | 'm' | 'mu';

function field(day: number, item: Item, measure: Measure): string {
  // encodeURIComponent escapes ':' so the item can never run into the measure.
  return `${PREFIX}${day}:${encodeURIComponent(item)}:${measure}`;
}

/** The counter deltas of a basket's lines on `day`; sign -1 takes them back out. */
export function economicsDeltas(day: number, lines: readonly ItemLineTotals[], sign: 1 | -1): CounterDelta[] {
  const deltas: CounterDelta[] = [];
  for (const line of lines) {
    const measures: Array<[Measure, number]> = [
      ['v', line.valueMinor],
      ['u', line.units],
      ['m', line.marginMinor],
      ['mu', line.marginUnits],
    ];
    for (const [measure, amount] of measures) {
      if (amount !== 0) deltas.push({ field: field(day, line.item, measure), delta: sign * amount });
    }
  }
  return deltas;
}

/** A field's day, measure and item (URI-decoded when first needed); null without an item. */
type ReadField = {
  readonly day: number;
  readonly encoded: string;
  readonly measure: string | undefined;
  item?: Item;
} | null;

/** An economics field read once (memoized-reader.ts): its window's daily merges read it again. */
const readField = memoizedReader((name: string): ReadField => {
  const [dayText, encoded, measure] = name.slice(PREFIX.length).split(':');
  return encoded === undefined ? null : { day: Number(dayText), encoded, measure };
});

interface Totals {
  v: number;
  u: number;
  m: number;
  mu: number;
}

/**
 * Mean unit price and margin of every item sold in days [fromDay, toDay), summed over every
 * partition's counters. `basketsOf` gives the item's basket count in the same window.
 */
export function mergeItemEconomics(
  snapshots: ReadonlyArray<Readonly<Record<string, number>>>,
  fromDay: number,
  toDay: number,
  basketsOf: (item: Item) => number,
): ItemEconomics[] {
  const totals = new Map<Item, Totals>();
  for (const snapshot of snapshots) {
    for (const [name, value] of Object.entries(snapshot)) {
      if (!name.startsWith(PREFIX) || !(value > 0)) continue;
      const read = readField(name);
      if (read === null || !(read.day >= fromDay && read.day < toDay)) continue;
      // Decoded only in the window, as before the memo: an undecodable item elsewhere is not read.
      read.item ??= decodeURIComponent(read.encoded);
      const { item, measure } = read;
      let total = totals.get(item);
      if (!total) {
        total = { v: 0, u: 0, m: 0, mu: 0 };
        totals.set(item, total);
      }
      if (measure === 'v' || measure === 'u' || measure === 'm' || measure === 'mu') total[measure] += value;
    }
  }
  return [...totals.entries()]
    .filter(([, total]) => total.u > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([item, total]) => ({
      item,
      unitPriceMinor: total.v / total.u,
      unitMarginMinor: total.mu > 0 ? total.m / total.mu : null,
      baskets: basketsOf(item),
    }));
}
