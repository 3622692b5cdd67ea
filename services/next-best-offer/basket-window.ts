// From the partitions' basket counters to the baskets the miner sees: the fields of the days in
// the sliding window, summed over days and partitions into one weighted basket per distinct item
// set. Baskets bought on different days or partitions with the same items merge, so the miner
// works on distinct baskets (a few thousand) rather than on every purchase.

import type { WeightedBasket } from './apriori.js';
import { BASKET_FIELD_PREFIX, decodeBasketField, encodeItems, utcDayOf } from './basket-key.js';
import { memoizedReader } from './memoized-reader.js';

/** Whole UTC days [fromDay, toDay): the days a view mines. */
export interface DayWindow {
  readonly fromDay: number;
  readonly toDay: number;
}

/** The window of a refresh boundary: the windowDays whole days before the boundary's day. */
export function windowAt(boundaryEpochMs: number, windowDays: number): DayWindow {
  if (!Number.isSafeInteger(windowDays) || windowDays < 0) {
    throw new RangeError(`windowDays must be a non-negative integer, got ${windowDays}`);
  }
  const toDay = utcDayOf(boundaryEpochMs);
  return { fromDay: toDay - windowDays, toDay };
}

export interface WindowBaskets {
  /** One entry per distinct item set, ordered by its encoded items (deterministic). */
  readonly baskets: readonly WeightedBasket[];
  /** Fields with the basket prefix that basketField never writes: left out, reported for alerting. */
  readonly malformedFields: number;
}

/** A basket field read: its day and the canonical key and items of its basket; or why it is none. */
type ReadField =
  | { readonly day: number; readonly key: string; readonly items: readonly string[] }
  | 'other'
  | 'malformed';

/** A basket field read once (memoized-reader.ts): its window's daily merges read it again. */
const readField = memoizedReader((field: string): ReadField => {
  const decoded = decodeBasketField(field);
  if (decoded !== undefined)
    return { day: decoded.day, key: encodeItems(decoded.items), items: decoded.items };
  return field.startsWith(BASKET_FIELD_PREFIX) ? 'malformed' : 'other';
});

/**
 * The weighted baskets of a window over every partition's snapshot. Fields of other prefixes are
 * not baskets and are skipped; counts that are zero or negative (a counter decremented to nothing)
 * hold no basket; non-integer counts are malformed.
 */
export function basketsInWindow(
  snapshots: readonly Readonly<Record<string, number>>[],
  window: DayWindow,
): WindowBaskets {
  const byItems = new Map<string, { items: readonly string[]; count: number }>();
  let malformedFields = 0;
  for (const snapshot of snapshots) {
    for (const [field, count] of Object.entries(snapshot)) {
      const read = readField(field);
      if (read === 'other') continue;
      if (read === 'malformed' || !Number.isSafeInteger(count)) {
        malformedFields += 1;
        continue;
      }
      if (count <= 0 || read.day < window.fromDay || read.day >= window.toDay) continue;
      const entry = byItems.get(read.key);
      if (entry === undefined) byItems.set(read.key, { items: read.items, count });
      else entry.count += count;
    }
  }
  const keys = [...byItems.keys()].sort();
  return {
    baskets: keys.map((key) => {
      const { items, count } = byItems.get(key)!;
      return { items, count };
    }),
    malformedFields,
  };
}
