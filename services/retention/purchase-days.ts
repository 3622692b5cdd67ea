// A customer's purchase days for the BG/NBD and Gamma-Gamma summaries: purchases on the same
// calendar day merge into one transaction (the CDNOW convention the published figures use).
//
// Only the recent days are kept one by one: those a decision can still read (the spend-decline
// windows, the spend in the loyalty-ladder move's window) or a late purchase can still land on
// (same-day merge). Older days are folded into `EarlierDays`, the little the summaries need of
// them: how many, the first and last, and their repeat spend. So the state is bounded by the
// retained window, never by the length of the history.

import { utcDayStart } from './ladder/ladder-evidence.js';
import type { LadderSettings } from './ladder/ladder-settings.js';
import { DAY_MS, type RetentionSettings } from './settings.js';

/** `[dayStartMs, spendMinor]`, sorted by day, one entry per calendar (UTC) day. */
export type PurchaseDay = readonly [day: number, spendMinor: number];

/** The purchase days folded out of the list: all before the first day still listed. */
export interface EarlierDays {
  /** How many purchase days were folded (≥ 1). */
  readonly days: number;
  /** The customer's first purchase day (start, ms). */
  readonly firstDay: number;
  /** The last folded purchase day (start, ms). */
  readonly lastDay: number;
  /** Spend of the folded days except the first, summed in day order. */
  readonly repeatSpendMinor: number;
}

export function addPurchaseDay(
  days: readonly PurchaseDay[],
  eventTime: number,
  spendMinor: number,
): PurchaseDay[] {
  const day = utcDayStart(eventTime);
  const existing = days.find(([d]) => d === day);
  const rest = days.filter(([d]) => d !== day);
  rest.push([day, (existing?.[1] ?? 0) + spendMinor]);
  return rest.sort((a, b) => a[0] - b[0]);
}

/** x, first and last purchase day, and the total spend of the repeat days. */
export interface DaySummary {
  readonly x: number;
  readonly firstDay: number;
  readonly lastDay: number;
  readonly repeatSpendMinor: number;
}

/**
 * The summary of the folded days and the listed ones after them; null before the first
 * purchase. The repeat spend is summed in day order, as over the whole list.
 */
export function summaryOfDays(
  days: readonly PurchaseDay[],
  earlier: EarlierDays | null = null,
): DaySummary | null {
  if (earlier === null) {
    if (days.length === 0) return null;
    let repeatSpendMinor = 0;
    for (let i = 1; i < days.length; i += 1) repeatSpendMinor += days[i]![1];
    return { x: days.length - 1, firstDay: days[0]![0], lastDay: days.at(-1)![0], repeatSpendMinor };
  }
  let repeatSpendMinor = earlier.repeatSpendMinor;
  for (const [, spend] of days) repeatSpendMinor += spend;
  return {
    x: earlier.days + days.length - 1,
    firstDay: earlier.firstDay,
    lastDay: days.length > 0 ? days.at(-1)![0] : earlier.lastDay,
    repeatSpendMinor,
  };
}

/**
 * How far back (ms before stream time) purchase days stay listed: the longest of
 * - 2 × the spend-decline window: at a purchase the rule reads (now − 2w, now];
 * - the ladder's client window: a ladder move reports the spend and purchase days of
 *   (now − window, now];
 * - the allowed lateness + 1 day: a purchase accepted at stream time s has t ≥ s − lateness, so
 *   its day starts after s − lateness − 1 day, and merges with a listed day if there is one.
 * Every decision reads at a stream time no earlier than the one the days were folded at
 * (stream time never goes back), so folding changes no decision.
 */
export function retainedDaysMs(settings: RetentionSettings, ladder: LadderSettings): number {
  return Math.max(
    2 * settings.spendDecline.windowDays * DAY_MS,
    ladder.clientWindowDays * DAY_MS,
    settings.allowedLatenessMs + DAY_MS,
  );
}

/**
 * Folds the listed days that start at or before `foldThrough` into `earlier`. Returns the same
 * objects when nothing is folded.
 */
export function foldDays(
  days: readonly PurchaseDay[],
  earlier: EarlierDays | null,
  foldThrough: number,
): { days: readonly PurchaseDay[]; earlier: EarlierDays | null } {
  let n = 0;
  while (n < days.length && days[n]![0] <= foldThrough) n += 1;
  if (n === 0) return { days, earlier };
  let folded: EarlierDays = earlier ?? {
    days: 1,
    firstDay: days[0]![0],
    lastDay: days[0]![0],
    repeatSpendMinor: 0,
  };
  for (let i = earlier === null ? 1 : 0; i < n; i += 1) {
    const [day, spend] = days[i]!;
    folded = {
      days: folded.days + 1,
      firstDay: folded.firstDay,
      lastDay: day,
      repeatSpendMinor: folded.repeatSpendMinor + spend,
    };
  }
  return { days: days.slice(n), earlier: folded };
}
