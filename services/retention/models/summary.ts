// A customer's purchase history reduced to what BG/NBD and Gamma-Gamma need, with the conventions
// that reproduce the published CDNOW summaries exactly (shared/data/cdnow/SOURCE.md):
//
// 1. Purchases on the same calendar day are one transaction (amounts summed): the models count
//    purchase occasions, and a basket split over several orders in a day is one occasion.
// 2. Times are whole calendar days from the first purchase day, divided by the time unit
//    (default a week of 7 days): t_x for the last purchase day, T for the end of the observation.
// 3. x = number of purchase days − 1 (the first purchase starts the clock and is not a repeat).
// 4. The spend for Gamma-Gamma is the mean of the daily totals of the repeat days (the first day
//    excluded, as its amount often differs: a first order, a welcome offer).

import type { CustomerSummary } from './bgnbd.js';

export const DAY_MS = 86_400_000;

export interface DailyPurchase {
  /** Calendar-day index (days since 1970-01-01 in the business's calendar). */
  readonly day: number;
  readonly amount: number;
}

export interface Purchase {
  /** Event time, epoch milliseconds. */
  readonly occurredAt: number;
  readonly amount: number;
}

export interface PurchaseSummary extends CustomerSummary {
  /** Calendar-day index of the first purchase: time 0 of t_x and T. */
  readonly firstDay: number;
  /** Mean daily total over the repeat days (0 when x = 0). */
  readonly meanRepeatSpend: number;
  /** How many repeat days the mean is over (= x). */
  readonly repeatSpendCount: number;
}

export interface SummaryOptions {
  /** The end of the observation: purchases on later calendar days are ignored; T counts to this day. */
  readonly asOf: number;
  /** Length of the model's time unit in days (default 7: weeks, as in the published CDNOW figures). */
  readonly unitDays?: number;
  /** The business calendar's offset from UTC, minutes (default 0); decides where a day starts. */
  readonly utcOffsetMinutes?: number;
}

/** The calendar-day index of an instant, in a calendar `utcOffsetMinutes` ahead of UTC. */
export function calendarDay(epochMs: number, utcOffsetMinutes = 0): number {
  return Math.floor((epochMs + utcOffsetMinutes * 60_000) / DAY_MS);
}

/**
 * Summarises purchases given by calendar day, observed up to and including `endDay`. Null when
 * the customer has no purchase by then (not yet a customer at that date).
 */
export function summarizeDailyPurchases(
  purchases: readonly DailyPurchase[],
  endDay: number,
  unitDays = 7,
): PurchaseSummary | null {
  if (!(unitDays > 0)) throw new RangeError(`unitDays must be positive, got ${unitDays}`);
  const byDay = new Map<number, number>();
  for (const { day, amount } of purchases) {
    if (!Number.isInteger(day)) throw new RangeError(`day must be an integer day index, got ${day}`);
    if (day > endDay) continue;
    byDay.set(day, (byDay.get(day) ?? 0) + amount);
  }
  if (byDay.size === 0) return null;
  const days = [...byDay.keys()].sort((p, q) => p - q);
  const firstDay = days[0]!;
  const lastDay = days[days.length - 1]!;
  const x = days.length - 1;
  let repeatTotal = 0;
  for (let i = 1; i < days.length; i += 1) repeatTotal += byDay.get(days[i]!)!;
  return {
    x,
    tx: (lastDay - firstDay) / unitDays,
    T: (endDay - firstDay) / unitDays,
    firstDay,
    meanRepeatSpend: x > 0 ? repeatTotal / x : 0,
    repeatSpendCount: x,
  };
}

/** Summarises timestamped purchases observed up to the calendar day of `options.asOf`. */
export function summarizePurchases(
  purchases: readonly Purchase[],
  options: SummaryOptions,
): PurchaseSummary | null {
  const offset = options.utcOffsetMinutes ?? 0;
  return summarizeDailyPurchases(
    purchases.map((p) => ({ day: calendarDay(p.occurredAt, offset), amount: p.amount })),
    calendarDay(options.asOf, offset),
    options.unitDays ?? 7,
  );
}
