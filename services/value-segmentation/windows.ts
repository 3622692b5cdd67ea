// Rolling windows in event time, built from fixed-width buckets (SEMANTICS.md, "Buckets and
// windows"). A customer's state is the list of buckets that can still count in some window, so
// it stays bounded however long the customer lives, and old purchases age out one bucket at a time.

import type { Contribution } from './purchase-value.js';
import { DAY_MS, largestWindowMs, rankingWindowMs, type ValueSegmentationSettings } from './settings.js';

/** One bucket: `[bucketStart, valueMinor, orders, items]`, a tuple to keep the state compact. */
export type Bucket = readonly [bucketStart: number, valueMinor: number, orders: number, items: number];

export interface WindowTotals {
  readonly windowDays: number;
  readonly valueMinor: number;
  readonly orders: number;
  readonly items: number;
}

export function bucketStartOf(eventTime: number, settings: ValueSegmentationSettings): number {
  return Math.floor(eventTime / settings.bucketWidthMs) * settings.bucketWidthMs;
}

/** A bucket counts in a window of `windowMs` at stream time `s` until it ages out at `start + windowMs`. */
export function countsIn(bucketStart: number, streamTime: number, windowMs: number): boolean {
  return bucketStart > streamTime - windowMs;
}

/** Adds a record's contribution to the bucket of `bucketStart`, keeping buckets sorted by start. */
export function addContribution(
  buckets: readonly Bucket[],
  bucketStart: number,
  contribution: Contribution,
): Bucket[] {
  // The first bucket at or after bucketStart takes the contribution (same start) or has the new
  // bucket inserted before it; copied with slice, since a frequent buyer keeps hundreds.
  let at = 0;
  while (at < buckets.length && buckets[at]![0] < bucketStart) at += 1;
  const result = buckets.slice();
  const found = buckets[at];
  if (found !== undefined && found[0] === bucketStart) {
    result[at] = [
      bucketStart,
      found[1] + contribution.valueMinor,
      found[2] + contribution.orders,
      found[3] + contribution.items,
    ];
  } else {
    result.splice(at, 0, [bucketStart, contribution.valueMinor, contribution.orders, contribution.items]);
  }
  return result;
}

/**
 * Drops buckets that no longer count in the largest window: no window can use them again. The
 * same list when none goes (states are never written to).
 */
export function pruneBuckets(
  buckets: readonly Bucket[],
  streamTime: number,
  settings: ValueSegmentationSettings,
): readonly Bucket[] {
  const largest = largestWindowMs(settings);
  for (let i = 0; i < buckets.length; i += 1)
    if (!countsIn(buckets[i]![0], streamTime, largest))
      return buckets.filter((bucket) => countsIn(bucket[0], streamTime, largest));
  return buckets;
}

export function windowTotals(
  buckets: readonly Bucket[],
  streamTime: number,
  windowDays: number,
): WindowTotals {
  let valueMinor = 0;
  let orders = 0;
  let items = 0;
  const windowMs = windowDays * DAY_MS;
  for (let i = 0; i < buckets.length; i += 1) {
    const bucket = buckets[i]!;
    if (!countsIn(bucket[0], streamTime, windowMs)) continue;
    valueMinor += bucket[1];
    orders += bucket[2];
    items += bucket[3];
  }
  return { windowDays, valueMinor, orders, items };
}

/** Every configured window at stream time `s`, in the order of `windowsDays`. */
export function rollingValues(
  buckets: readonly Bucket[],
  streamTime: number,
  settings: ValueSegmentationSettings,
): WindowTotals[] {
  return settings.windowsDays.map((days) => windowTotals(buckets, streamTime, days));
}

export function rankingValueAt(
  buckets: readonly Bucket[],
  streamTime: number,
  settings: ValueSegmentationSettings,
): number {
  return windowTotals(buckets, streamTime, settings.rankingWindowDays).valueMinor;
}

/** Active = in the population: at least one bucket counts in the ranking window. */
export function isActiveAt(
  buckets: readonly Bucket[],
  streamTime: number,
  settings: ValueSegmentationSettings,
): boolean {
  const ranking = rankingWindowMs(settings);
  for (let i = 0; i < buckets.length; i += 1) if (countsIn(buckets[i]![0], streamTime, ranking)) return true;
  return false;
}

/**
 * When the ranking value (or membership) can next change without a purchase: the earliest
 * `start + Wrank` over buckets counting in the ranking window, or null when none counts. Every
 * bucket holds at least one applied record, so even a bucket whose value nets to zero is
 * included: its ageing can end the customer's membership.
 */
export function nextAgeOutAt(
  buckets: readonly Bucket[],
  streamTime: number,
  settings: ValueSegmentationSettings,
): number | null {
  const ranking = rankingWindowMs(settings);
  let next: number | null = null;
  for (let i = 0; i < buckets.length; i += 1) {
    const start = buckets[i]![0];
    if (!countsIn(start, streamTime, ranking)) continue;
    const agesOutAt = start + ranking;
    if (next === null || agesOutAt < next) next = agesOutAt;
  }
  return next;
}

/**
 * The most buckets a customer's state can hold: those of the largest window, plus those a late
 * record can reopen behind stream time, plus one for a bucket cut by a window's edge.
 */
export function maxBucketCount(settings: ValueSegmentationSettings): number {
  const w = settings.bucketWidthMs;
  return Math.ceil(largestWindowMs(settings) / w) + Math.ceil(settings.allowedLatenessMs / w) + 1;
}
