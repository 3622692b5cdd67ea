// The retention rate and the share of revenue from repeat customers, as per-partition counters
// summed at scrape time (brief: "Retention pays", "Repeat business"). Periods are fixed windows
// of stream time (RETENTION_RATE_PERIOD, default 30 days) numbered k = floor(t / period).
//
// - Retention rate of period k, per value tier: of the customers who bought in k (their tier
//   then), the share who bought again in k + 1. Counters `ra:<k>:<tier>` (active in k) and
//   `rr:<k>:<tier>` (of those, active in k + 1).
// - Repeat revenue share of period k: revenue of purchases made on a repeat purchase day (not
//   the customer's first) over all revenue. Counters `rv:<k>:all` and `rv:<k>:repeat`.

import type { CounterDelta } from '../../shared/runtime/worker-definition.js';

export interface ActivePeriod {
  readonly period: number;
  readonly tier: string;
}

export function periodOf(eventTime: number, periodMs: number): number {
  return Math.floor(eventTime / periodMs);
}

/** Counter changes of one purchase, and the customer's active period afterwards. */
export function retentionCounters(
  last: ActivePeriod | null,
  eventTime: number,
  periodMs: number,
  tier: string,
  revenueMinor: number,
  repeatDay: boolean,
): { counters: CounterDelta[]; active: ActivePeriod | null } {
  const k = periodOf(eventTime, periodMs);
  const counters: CounterDelta[] = [{ field: `rv:${k}:all`, delta: revenueMinor }];
  if (repeatDay) counters.push({ field: `rv:${k}:repeat`, delta: revenueMinor });
  // Late purchases of an earlier period than the last counted one add revenue only.
  if (last !== null && k <= last.period) return { counters, active: last };
  counters.push({ field: `ra:${k}:${tier}`, delta: 1 });
  if (last !== null && last.period === k - 1)
    counters.push({ field: `rr:${last.period}:${last.tier}`, delta: 1 });
  return { counters, active: { period: k, tier } };
}

export interface RetentionRates {
  /** Period whose cohort the rates are about (the last one whose next period has ended). */
  readonly period: number | null;
  readonly byTier: ReadonlyMap<string, { active: number; retained: number; rate: number }>;
  readonly repeatRevenueShare: number | null;
  readonly repeatRevenueShareAllTime: number | null;
}

/**
 * Rates from summed counters, given the newest period with activity (in progress): the cohort
 * of newest − 2 is the last whose following period (newest − 1) is complete.
 */
export function ratesFrom(totals: ReadonlyMap<string, number>): RetentionRates {
  let newest: number | null = null;
  for (const field of totals.keys()) {
    const [kind, k] = field.split(':');
    if (kind === 'ra' || kind === 'rv') newest = Math.max(newest ?? Number.NEGATIVE_INFINITY, Number(k));
  }
  const byTier = new Map<string, { active: number; retained: number; rate: number }>();
  let all = 0;
  let repeat = 0;
  for (const [field, value] of totals) {
    const [kind, , what] = field.split(':');
    if (kind === 'rv' && what === 'all') all += value;
    if (kind === 'rv' && what === 'repeat') repeat += value;
  }
  if (newest === null)
    return { period: null, byTier, repeatRevenueShare: null, repeatRevenueShareAllTime: null };
  const cohort = newest - 2;
  for (const [field, active] of totals) {
    const [kind, k, tier] = field.split(':');
    if (kind !== 'ra' || Number(k) !== cohort || active <= 0) continue;
    const retained = totals.get(`rr:${cohort}:${tier}`) ?? 0;
    byTier.set(tier!, { active, retained, rate: retained / active });
  }
  const complete = newest - 1;
  const periodAll = totals.get(`rv:${complete}:all`) ?? 0;
  return {
    period: cohort,
    byTier,
    repeatRevenueShare: periodAll > 0 ? (totals.get(`rv:${complete}:repeat`) ?? 0) / periodAll : null,
    repeatRevenueShareAllTime: all > 0 ? repeat / all : null,
  };
}
