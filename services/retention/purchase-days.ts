// A customer's purchase days for the BG/NBD and Gamma-Gamma summaries: purchases on the same
// calendar day merge into one transaction (the CDNOW convention the published figures use).

import { utcDayStart } from './ladder/ladder-evidence.js';

/** `[dayStartMs, spendMinor]`, sorted by day, one entry per calendar (UTC) day. */
export type PurchaseDay = readonly [day: number, spendMinor: number];

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

export function summaryOfDays(days: readonly PurchaseDay[]): DaySummary | null {
  if (days.length === 0) return null;
  let repeatSpendMinor = 0;
  for (let i = 1; i < days.length; i += 1) repeatSpendMinor += days[i]![1];
  return { x: days.length - 1, firstDay: days[0]![0], lastDay: days.at(-1)![0], repeatSpendMinor };
}
