// Learned up-sell steps: which item customers tend to buy for the first time after a first purchase
// of another, and how many days later. Each customer keeps the first-purchase day of the items
// they bought (JSON in the customer's state); each partition keeps counters (sequence-fields.ts)
// that the population view sums over partitions and turns into SequenceStep[].
//
// The one rule everything follows: a partition's counters always equal the counting of the first
// days its customers' states hold now (sequenceCounters). Every change to a state emits the
// difference, so
// - events in any order (a late purchase with an earlier day moves a first day back) end at the
//   counting of the final state;
// - eviction (a state keeps at most maxItemsPerCustomer items) takes the evicted item's counts
//   back with it, so the counters never count what no state holds;
// - forgetting a customer (erasure) is the negated counting of their state, which cancels every
//   delta they ever emitted.
//
// Eviction keeps the items with the latest first days (ties: the smaller item, string order): old
// first purchases are the least useful antecedents (they fall out of the horizon first). The
// price: an evicted item bought again counts as a first purchase again (its first day is gone).

import type { CounterDelta } from '../../shared/runtime/worker-definition.js';
import { gapBucket, medianGapBucket } from './gap-buckets.js';
import type { Item, SequenceStep } from './model.js';
import {
  CUSTOMERS_FIELD,
  fromField,
  gapField,
  isSequenceField,
  parseSequenceField,
  stepField,
} from './sequence-fields.js';

export interface SequenceSettings {
  /** A first purchase of B counts as a step from A when A's first day is 1 to horizonDays days before it. */
  readonly horizonDays: number;
  /** Most items a customer's state keeps (the eviction rule is in the header). */
  readonly maxItemsPerCustomer: number;
}

/** A customer's first-purchase days: [item, utcDay] pairs sorted by item (JSON-safe for any item). */
export interface SequenceState {
  readonly firstDays: readonly (readonly [Item, number])[];
}

export const emptySequenceState: SequenceState = { firstDays: [] };

export const MAX_HORIZON_DAYS = 3660;

export function checkSequenceSettings(settings: SequenceSettings): SequenceSettings {
  const { horizonDays, maxItemsPerCustomer } = settings;
  if (!Number.isSafeInteger(horizonDays) || horizonDays < 1 || horizonDays > MAX_HORIZON_DAYS)
    throw new RangeError(`horizonDays must be an integer in [1, ${MAX_HORIZON_DAYS}] (got ${horizonDays})`);
  if (!Number.isSafeInteger(maxItemsPerCustomer) || maxItemsPerCustomer < 1)
    throw new RangeError(`maxItemsPerCustomer must be a positive integer (got ${maxItemsPerCustomer})`);
  return settings;
}

type Counts = Map<string, number>;

function add(counts: Counts, field: string, delta: number): void {
  counts.set(field, (counts.get(field) ?? 0) + delta);
}

/** The counts involving `item` first bought on `day`, against the customer's other items. */
function countItem(
  counts: Counts,
  item: Item,
  day: number,
  others: ReadonlyMap<Item, number>,
  horizonDays: number,
  sign: 1 | -1,
): void {
  add(counts, fromField(item), sign);
  for (const [other, otherDay] of others) {
    if (other === item) continue;
    const gap = day - otherDay;
    if (gap >= 1 && gap <= horizonDays) {
      add(counts, stepField(other, item), sign);
      add(counts, gapField(other, item, gapBucket(gap)), sign);
    } else if (-gap >= 1 && -gap <= horizonDays) {
      add(counts, stepField(item, other), sign);
      add(counts, gapField(item, other, gapBucket(-gap)), sign);
    }
  }
}

function toDeltas(counts: Counts): CounterDelta[] {
  return [...counts]
    .filter(([, delta]) => delta !== 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([field, delta]) => ({ field, delta }));
}

function toState(days: ReadonlyMap<Item, number>): SequenceState {
  return { firstDays: [...days].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) };
}

/** The item to evict: the earliest first day; among those, the larger item. */
function victimOf(days: ReadonlyMap<Item, number>): Item {
  let victim: Item | null = null;
  let victimDay = 0;
  for (const [item, day] of days) {
    if (victim === null || day < victimDay || (day === victimDay && item > victim)) {
      victim = item;
      victimDay = day;
    }
  }
  return victim!;
}

/**
 * A purchase of `items` on UTC day `day`: the customer's new state and the counter deltas. Items
 * already held with a first day ≤ `day` change nothing; one held with a later day moves back.
 */
export function recordPurchase(
  state: SequenceState,
  items: readonly Item[],
  day: number,
  settings: SequenceSettings,
): { readonly state: SequenceState; readonly deltas: CounterDelta[] } {
  if (!Number.isSafeInteger(day)) throw new RangeError(`day must be an integer (got ${day})`);
  const { horizonDays, maxItemsPerCustomer } = settings;
  const days = new Map(state.firstDays);
  const counts: Counts = new Map();
  for (const item of [...new Set(items)].sort()) {
    const held = days.get(item);
    if (held !== undefined && held <= day) continue;
    if (held !== undefined) {
      countItem(counts, item, held, days, horizonDays, -1);
      days.delete(item);
    } else if (days.size >= maxItemsPerCustomer) {
      days.set(item, day);
      const victim = victimOf(days);
      days.delete(item);
      if (victim === item) continue;
      countItem(counts, victim, days.get(victim)!, days, horizonDays, -1);
      days.delete(victim);
    }
    days.set(item, day);
    countItem(counts, item, day, days, horizonDays, 1);
  }
  if (state.firstDays.length === 0 && days.size > 0) add(counts, CUSTOMERS_FIELD, 1);
  return { state: toState(days), deltas: toDeltas(counts) };
}

/** The counters a customer's state accounts for: what its deltas have summed to. */
export function sequenceCounters(state: SequenceState, settings: SequenceSettings): CounterDelta[] {
  const counts: Counts = new Map();
  const days = new Map<Item, number>();
  for (const [item, day] of state.firstDays) {
    countItem(counts, item, day, days, settings.horizonDays, 1);
    days.set(item, day);
  }
  if (state.firstDays.length > 0) add(counts, CUSTOMERS_FIELD, 1);
  return toDeltas(counts);
}

/** The deltas that take a customer's whole contribution out of the counters (erasure). */
export function forgetSequences(state: SequenceState, settings: SequenceSettings): CounterDelta[] {
  return sequenceCounters(state, settings).map(({ field, delta }) => ({ field, delta: -delta }));
}

// --- the population view -------------------------------------------------------------------------

/** Sums the partitions' snapshots, keeping the fields of the up-sell steps (`nbo:a:`, `nbo:s:`, `nbo:g:`). */
export function sumCounters(snapshots: readonly Readonly<Record<string, number>>[]): Map<string, number> {
  const sums = new Map<string, number>();
  for (const snapshot of snapshots) {
    for (const [field, value] of Object.entries(snapshot)) {
      if (isSequenceField(field)) sums.set(field, (sums.get(field) ?? 0) + value);
    }
  }
  return sums;
}

export interface StepThresholds {
  /** Fewest customers who made the step for it to be learned (small counts are noise, and identify people). */
  readonly minCustomers: number;
  /** Smallest share of the customers who bought `from` that went on to `to`, in [0, 1]. */
  readonly minShare: number;
  /** Smallest lift: share ÷ the share of all customers (`nbo:c`) who bought `to`; 0 keeps every step. */
  readonly minLift: number;
}

/**
 * The learned steps from summed counters, sorted by from then to. A step needs at least
 * minCustomers customers and a share of at least minShare; its typical gap is the lower bound
 * of the median's gap bucket (gap-buckets.ts says how close that is).
 */
export function sequenceStepsFrom(
  summed: ReadonlyMap<string, number>,
  thresholds: StepThresholds,
): SequenceStep[] {
  const withFrom = new Map<Item, number>();
  let population = 0;
  const steps = new Map<string, { from: Item; to: Item; customers: number; gaps: Map<number, number> }>();
  const pairOf = (from: Item, to: Item) => {
    const key = stepField(from, to);
    let pair = steps.get(key);
    if (pair === undefined) {
      pair = { from, to, customers: 0, gaps: new Map() };
      steps.set(key, pair);
    }
    return pair;
  };
  for (const [field, value] of summed) {
    const parsed = parseSequenceField(field);
    if (parsed === null) continue;
    if (parsed.kind === 'customers') population = value;
    else if (parsed.kind === 'from') withFrom.set(parsed.item, value);
    else if (parsed.kind === 'step') pairOf(parsed.from, parsed.to).customers = value;
    else pairOf(parsed.from, parsed.to).gaps.set(parsed.gapBucket, value);
  }
  const learned: SequenceStep[] = [];
  for (const { from, to, customers, gaps } of steps.values()) {
    const customersWithFrom = withFrom.get(from) ?? 0;
    if (customers < thresholds.minCustomers || customers <= 0 || customersWithFrom <= 0) continue;
    const share = Math.min(1, customers / customersWithFrom);
    if (share < thresholds.minShare) continue;
    // Against how many customers buy `to` at all: a step to what nearly everyone buys anyway
    // (bread after milk) is no up-sell.
    const penetration = population > 0 ? (withFrom.get(to) ?? 0) / population : 0;
    const lift = penetration > 0 ? share / penetration : 0;
    if (lift < thresholds.minLift) continue;
    const typicalGapDays = medianGapBucket(gaps);
    if (typicalGapDays === null) continue;
    learned.push({ from, to, customers, customersWithFrom, share, lift, typicalGapDays });
  }
  return learned.sort((a, b) => compareText(a.from, b.from) || compareText(a.to, b.to));
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
