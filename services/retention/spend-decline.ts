// "A steep fall in spend" (brief: churn shows in falling spend): at a purchase, the spend of the
// last window against the window before it.

import type { PurchaseDay } from './purchase-days.js';
import { DAY_MS, type RetentionSettings } from './settings.js';

/** The risk a purchase reveals by a steep fall in spend, or null (no fall, or rule disabled). */
export function spendDeclineAt(
  days: readonly PurchaseDay[],
  now: number,
  settings: RetentionSettings,
): { risk: number; recentMinor: number; previousMinor: number } | null {
  const { windowDays, share, risk } = settings.spendDecline;
  if (risk <= 0) return null;
  const window = windowDays * DAY_MS;
  let recentMinor = 0;
  let previousMinor = 0;
  let previousDays = 0;
  for (const [day, spend] of days) {
    if (day > now - window && day <= now) recentMinor += spend;
    else if (day > now - 2 * window && day <= now - window) {
      previousMinor += spend;
      previousDays += 1;
    }
  }
  if (previousDays === 0 || previousMinor <= 0 || recentMinor >= share * previousMinor) return null;
  return { risk, recentMinor, previousMinor };
}
