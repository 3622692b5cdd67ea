// The Groceries checks of a worker's basket counters, whoever holds them (encoded here for the pure
// check, or read back from a running worker's Redis): the counters' window holds every basket and
// item, and mining it at each published setting gives arules' rules. Also timed, as the view does it.

import { type MiningResult, mineAssociationRules, type WeightedBasket } from './apriori.js';
import { decodeBasketField } from './basket-key.js';
import { basketsInWindow, windowAt } from './basket-window.js';
import { GROCERIES_ITEMS, GROCERIES_SETTINGS, GROCERIES_TRANSACTIONS } from './groceries-published.js';
import { type Check, numberCheck, settingChecks } from './published-checks.js';
import { DAY_MS } from './settings.js';

export interface WindowCheck {
  readonly checks: Check[];
  /** The window's weighted baskets, to be mined. */
  readonly baskets: readonly WeightedBasket[];
}

/**
 * The counters of the baskets filed under `basketDay` as the view of the next day's boundary sees
 * them (its window holds that day): every transaction, every item, nothing malformed; and none of
 * the day's baskets left once the day has gone out of the window.
 */
export function windowChecks(
  partitions: readonly Readonly<Record<string, number>>[],
  basketDay: number,
  windowDays: number,
): WindowCheck {
  const window = windowAt((basketDay + 1) * DAY_MS, windowDays);
  const { baskets, malformedFields } = basketsInWindow(partitions, window);
  // Only the day's own baskets: a worker's counters may hold later days (its stream went on).
  const ofTheDay = partitions.map((counters) =>
    Object.fromEntries(
      Object.entries(counters).filter(([field]) => decodeBasketField(field)?.day === basketDay),
    ),
  );
  const expired = basketsInWindow(ofTheDay, windowAt((basketDay + 1 + windowDays) * DAY_MS, windowDays));
  return {
    baskets,
    checks: [
      numberCheck(
        'baskets in the window (N)',
        GROCERIES_TRANSACTIONS,
        baskets.reduce((n, b) => n + b.count, 0),
        0,
      ),
      numberCheck('items', GROCERIES_ITEMS, new Set(baskets.flatMap((b) => b.items)).size, 0),
      numberCheck('malformed fields', 0, malformedFields, 0),
      numberCheck("the day's baskets once it has left the window", 0, expired.baskets.length, 0),
    ],
  };
}

export interface MiningCheck {
  readonly checks: Check[];
  /** One line per setting: mining time, least count, frequent itemsets by length. */
  readonly timings: string[];
}

/** The window's baskets mined at each published setting, checked and timed. */
export function miningChecks(baskets: readonly WeightedBasket[], label = ''): MiningCheck {
  const checks: Check[] = [];
  const timings: string[] = [];
  for (const setting of GROCERIES_SETTINGS) {
    const started = performance.now();
    const result: MiningResult = mineAssociationRules(baskets, setting.options);
    const ms = performance.now() - started;
    timings.push(
      `${label}${setting.name}: mined in ${ms.toFixed(0)} ms (min count ${result.minCount}, frequent itemsets ` +
        `${Object.entries(result.frequentItemsetsByLength)
          .map(([k, v]) => `${k}:${v}`)
          .join(' ')})`,
    );
    checks.push(...settingChecks(setting, result, `${label}${setting.name}`));
  }
  return { checks, timings };
}
