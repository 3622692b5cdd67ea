// The day gap of an up-sell step, counted in buckets so a pair has a bounded number of gap counters
// (26 for a 366-day horizon) whatever the horizon's length. Day by day for the first week (where
// a gap of 2 versus 5 days matters for "when"), weekly to eight weeks, then by 28 days. Each
// bucket is named by its lower bound. The median over customers is then exact to the bucket: the
// customer in the middle is in exactly one bucket, so the true median gap lies in
// [lower bound, lower bound + width - 1] — exact up to 7 days, at most 6 days over up to 56, at most
// 27 days over beyond.

const DAILY_UNTIL = 7;
const WEEKLY_UNTIL = 56;
const WEEK = 7;
const MONTH = 28;

/** The lower bound of the bucket holding a gap of `gapDays` (an integer ≥ 1). */
export function gapBucket(gapDays: number): number {
  if (!Number.isSafeInteger(gapDays) || gapDays < 1)
    throw new RangeError(`gap must be an integer ≥ 1 (got ${gapDays})`);
  if (gapDays <= DAILY_UNTIL) return gapDays;
  if (gapDays <= WEEKLY_UNTIL) return DAILY_UNTIL + 1 + WEEK * Math.floor((gapDays - DAILY_UNTIL - 1) / WEEK);
  return WEEKLY_UNTIL + 1 + MONTH * Math.floor((gapDays - WEEKLY_UNTIL - 1) / MONTH);
}

/** Days a bucket spans (1, 7 or 28), from its lower bound. */
export function gapBucketWidth(lowerBound: number): number {
  if (lowerBound <= DAILY_UNTIL) return 1;
  return lowerBound <= WEEKLY_UNTIL ? WEEK : MONTH;
}

/**
 * The bucket of the lower median (the ⌈n/2⌉-th smallest gap) of counts by bucket lower bound;
 * buckets with a count ≤ 0 are ignored; null when nothing is left.
 */
export function medianGapBucket(countsByBucket: ReadonlyMap<number, number>): number | null {
  const buckets = [...countsByBucket].filter(([, n]) => n > 0).sort(([a], [b]) => a - b);
  const total = buckets.reduce((sum, [, n]) => sum + n, 0);
  if (total === 0) return null;
  const middle = Math.ceil(total / 2);
  let seen = 0;
  for (const [bucket, n] of buckets) {
    seen += n;
    if (seen >= middle) return bucket;
  }
  return null;
}
