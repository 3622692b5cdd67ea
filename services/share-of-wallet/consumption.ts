// What a purchase adds to a customer's consumption (SEMANTICS.md, "Per-customer state"): food
// energy and the money paid for it, usage per unit and the money paid for it, by UTC day.

import type { Purchase } from '../../shared/contracts/generated.js';
import { DAY_MS, largestWindowMs, type ShareOfWalletSettings } from './settings.js';

/** Amount bought and money paid for it, minor units. */
export type Bought = readonly [amount: number, spendMinor: number];

/** One UTC day: food energy (kcal) and usage per unit, each with what was paid for it. */
export interface DayBucket {
  readonly day: number;
  readonly kcal: Bought;
  readonly usage: Readonly<Record<string, Bought>>;
}

export function dayOf(eventTime: number): number {
  return Math.floor(eventTime / DAY_MS) * DAY_MS;
}

/** The consumption of one purchase (negative for a return), or null when it holds none. */
export function consumptionOf(
  purchase: Pick<Purchase, 'kind' | 'lines' | 'occurredAt'>,
  settings: ShareOfWalletSettings,
): DayBucket | null {
  const sign = purchase.kind === 'RETURN' ? -1 : 1;
  let kcal = 0;
  let kcalSpend = 0;
  const usage: Record<string, [number, number]> = {};
  for (const line of purchase.lines) {
    const paid = line.quantity * line.unitPriceMinor;
    if (line.kcalPerUnit != null) {
      kcal += line.kcalPerUnit * line.quantity;
      kcalSpend += paid;
    }
    if (line.usage != null && settings.usageUnits.includes(line.usage.unit)) {
      const bought = usage[line.usage.unit] ?? [0, 0];
      bought[0] += line.usage.amountPerUnit * line.quantity;
      bought[1] += paid;
      usage[line.usage.unit] = bought;
    }
  }
  if (kcal === 0 && kcalSpend === 0 && Object.keys(usage).length === 0) return null;
  const signed: Record<string, Bought> = {};
  for (const [unit, [amount, spend]] of Object.entries(usage)) signed[unit] = [sign * amount, sign * spend];
  return { day: dayOf(purchase.occurredAt), kcal: [sign * kcal, sign * kcalSpend], usage: signed };
}

const add = (a: Bought | undefined, b: Bought | undefined): Bought => [
  (a?.[0] ?? 0) + (b?.[0] ?? 0),
  (a?.[1] ?? 0) + (b?.[1] ?? 0),
];

/** Adds a consumption to its day, keeping buckets sorted by day. */
export function addConsumption(buckets: readonly DayBucket[], added: DayBucket): DayBucket[] {
  const result = buckets.filter((b) => b.day !== added.day);
  const existing = buckets.find((b) => b.day === added.day);
  const usage: Record<string, Bought> = { ...(existing?.usage ?? {}) };
  for (const [unit, bought] of Object.entries(added.usage)) usage[unit] = add(usage[unit], bought);
  result.push({ day: added.day, kcal: add(existing?.kcal, added.kcal), usage });
  return result.sort((a, b) => a.day - b.day);
}

/** Drops days no evaluation at or after `streamTime` can use. */
export function pruneBuckets(
  buckets: readonly DayBucket[],
  streamTime: number,
  settings: ShareOfWalletSettings,
): readonly DayBucket[] {
  const oldest = streamTime - largestWindowMs(settings);
  // Evaluated daily for every customer: the same array when no day leaves (most days).
  if (buckets.every((b) => b.day >= oldest)) return buckets;
  return buckets.filter((b) => b.day >= oldest);
}

/** `kcal` or a usage unit. */
export type ConsumptionUnit = string;
export const KCAL: ConsumptionUnit = 'kcal';

function boughtIn(bucket: DayBucket, unit: ConsumptionUnit): Bought | undefined {
  return unit === KCAL ? bucket.kcal : bucket.usage[unit];
}

/** Amount and spend of a unit over the days in [from, to). */
export function boughtBetween(
  buckets: readonly DayBucket[],
  unit: ConsumptionUnit,
  from: number,
  to: number,
): Bought {
  // Summed as two numbers, not a pair per day: every business is evaluated daily per unit.
  let amount = 0;
  let spend = 0;
  for (const bucket of buckets) {
    if (bucket.day < from || bucket.day >= to) continue;
    const bought = boughtIn(bucket, unit);
    if (bought === undefined) continue;
    amount += bought[0];
    spend += bought[1];
  }
  return [amount, spend];
}

/** Amount of a unit bought over the days in [from, to). */
export function amountBetween(
  buckets: readonly DayBucket[],
  unit: ConsumptionUnit,
  from: number,
  to: number,
): number {
  return boughtBetween(buckets, unit, from, to)[0];
}

/** Price per unit: over the window's days, else over every kept day; null when nothing was bought. */
export function pricePerUnit(
  buckets: readonly DayBucket[],
  unit: ConsumptionUnit,
  from: number,
  to: number,
): number | null {
  const [amount, spend] = boughtBetween(buckets, unit, from, to);
  if (amount > 0) return spend / amount;
  const [allAmount, allSpend] = boughtBetween(
    buckets,
    unit,
    Number.NEGATIVE_INFINITY,
    Number.POSITIVE_INFINITY,
  );
  return allAmount > 0 ? allSpend / allAmount : null;
}
