// A customer's baskets still counted in the partition's counters. The merge only mines the days of
// its window, so what is kept here is not what makes the rules exact; it is what lets the counters
// forget: a day that has left every future window is taken out by the customer's expiry timer,
// and an erasure takes out all of it.

import type { CounterDelta } from '../../shared/runtime/worker-definition.js';
import { economicsDeltas, type ItemLineTotals } from './item-economics.js';
import { DAY_MS } from './settings.js';

/** One basket as counted: its day, its basket counter field and its lines' economics. */
export interface CountedBasket {
  readonly day: number;
  readonly field: string;
  readonly lines: readonly ItemLineTotals[];
}

export const EXPIRE_BASKETS = 'nbo-expire-baskets';

/** The deltas that count a basket (sign 1) or take it back out (sign -1). */
export function basketDeltas(basket: CountedBasket, sign: 1 | -1): CounterDelta[] {
  return [{ field: basket.field, delta: sign }, ...economicsDeltas(basket.day, basket.lines, sign)];
}

/**
 * The first moment no future window holds `day`: the window of boundary b is the days
 * [day(b) − windowDays, day(b)), so the last boundary that needs it is (day + windowDays) days.
 */
export function leavesEveryWindowAt(day: number, windowDays: number): number {
  return (day + windowDays + 1) * DAY_MS;
}

/** When the customer's oldest counted basket can go; null when none is counted. */
export function nextExpiry(baskets: readonly CountedBasket[], windowDays: number): number | null {
  if (baskets.length === 0) return null;
  let oldest = baskets[0]!.day;
  for (const basket of baskets) oldest = Math.min(oldest, basket.day);
  return leavesEveryWindowAt(oldest, windowDays);
}

/** Takes out every basket no window from `now` on holds. */
export function expireBaskets(
  baskets: readonly CountedBasket[],
  now: number,
  windowDays: number,
): { readonly kept: CountedBasket[]; readonly deltas: CounterDelta[] } {
  const kept: CountedBasket[] = [];
  const deltas: CounterDelta[] = [];
  for (const basket of baskets) {
    if (leavesEveryWindowAt(basket.day, windowDays) <= now) deltas.push(...basketDeltas(basket, -1));
    else kept.push(basket);
  }
  return { kept, deltas };
}
