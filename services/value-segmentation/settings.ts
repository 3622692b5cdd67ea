// The knobs of value segmentation. Every decision reads them, so they are checked once, at
// start, and a bad value names itself instead of surfacing later as a strange tier.

export const DAY_MS = 86_400_000;

/** What a purchase is worth to the business (see SEMANTICS.md, "Buckets and windows"). */
export type ValueBasis = 'net-revenue' | 'margin';

export interface ValueSegmentationSettings {
  /** Rolling windows kept per customer, in days (evidence shows all of them). */
  readonly windowsDays: readonly number[];
  /** The window whose value ranks customers; must be one of `windowsDays`. */
  readonly rankingWindowDays: number;
  /** Width of the time buckets windows are built from; a window ages out one bucket at a time. */
  readonly bucketWidthMs: number;
  /** How far behind stream time a purchase may arrive and still count; older ones are dead letters. */
  readonly allowedLatenessMs: number;
  readonly valueBasis: ValueBasis;
  /** Fixed cost of serving one order, subtracted per SALE: small baskets can be worth less than nothing. */
  readonly costToServeMinor: number;
  /** The one currency values are kept in; purchases in another currency are rejected, not converted. */
  readonly valueCurrency: string;
  /** Share of customers in the `top` tier (0.2: the classic top 20%). */
  readonly topShare: number;
  /** Share of customers in the `top2` tier; 0 disables the tier, 0.02 is the usual top 2%. */
  readonly top2Share: number;
  /** Share of customers in the `bottom` tier. */
  readonly bottomShare: number;
  /** Hysteresis band as a share of each threshold, so a customer on a threshold does not flap. */
  readonly hysteresisShare: number;
  /** Thresholds are recomputed from the population every period (stream time). */
  readonly refreshPeriodMs: number;
  /** A view computed at boundary b takes effect at b + publishDelayMs, giving every partition time to snapshot b. */
  readonly publishDelayMs: number;
}

export const defaultValueSegmentationSettings: ValueSegmentationSettings = Object.freeze({
  windowsDays: Object.freeze([30, 90, 365]),
  rankingWindowDays: 365,
  bucketWidthMs: DAY_MS,
  allowedLatenessMs: 3 * DAY_MS,
  valueBasis: 'net-revenue',
  costToServeMinor: 0,
  valueCurrency: 'EUR',
  topShare: 0.2,
  top2Share: 0,
  bottomShare: 0.2,
  hysteresisShare: 0.05,
  refreshPeriodMs: DAY_MS,
  publishDelayMs: DAY_MS,
});

function fail(setting: keyof ValueSegmentationSettings, problem: string, value: unknown): never {
  throw new Error(`value segmentation setting ${setting} ${problem} (got ${JSON.stringify(value)})`);
}

function isPositiveInteger(n: unknown): n is number {
  return Number.isSafeInteger(n) && (n as number) > 0;
}

function isNonNegativeInteger(n: unknown): n is number {
  return Number.isSafeInteger(n) && (n as number) >= 0;
}

function isShare(n: unknown): n is number {
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 && n <= 1;
}

/** Throws an error naming the first bad setting; returns the settings unchanged when they hold. */
export function checkSettings(s: ValueSegmentationSettings): ValueSegmentationSettings {
  if (!Array.isArray(s.windowsDays) || s.windowsDays.length === 0) {
    fail('windowsDays', 'must be a non-empty list of days', s.windowsDays);
  }
  for (const days of s.windowsDays) {
    if (!isPositiveInteger(days)) fail('windowsDays', 'must hold positive whole days', s.windowsDays);
  }
  if (new Set(s.windowsDays).size !== s.windowsDays.length) {
    fail('windowsDays', 'must not repeat a window', s.windowsDays);
  }
  if (!s.windowsDays.includes(s.rankingWindowDays)) {
    fail('rankingWindowDays', 'must be one of windowsDays', s.rankingWindowDays);
  }
  if (!isPositiveInteger(s.bucketWidthMs))
    fail('bucketWidthMs', 'must be a positive integer', s.bucketWidthMs);
  if (!isNonNegativeInteger(s.allowedLatenessMs)) {
    fail('allowedLatenessMs', 'must be a non-negative integer', s.allowedLatenessMs);
  }
  if (s.valueBasis !== 'net-revenue' && s.valueBasis !== 'margin') {
    fail('valueBasis', "must be 'net-revenue' or 'margin'", s.valueBasis);
  }
  if (!isNonNegativeInteger(s.costToServeMinor)) {
    fail('costToServeMinor', 'must be a non-negative integer in minor units', s.costToServeMinor);
  }
  if (typeof s.valueCurrency !== 'string' || !/^[A-Z]{3}$/.test(s.valueCurrency)) {
    fail('valueCurrency', 'must be an ISO 4217 code such as EUR', s.valueCurrency);
  }
  if (!isShare(s.topShare) || s.topShare === 0) fail('topShare', 'must be in (0, 1]', s.topShare);
  if (!isShare(s.top2Share) || s.top2Share > s.topShare) {
    fail('top2Share', 'must be 0 (tier disabled) or in (0, topShare]', s.top2Share);
  }
  if (!isShare(s.bottomShare) || s.bottomShare === 1) fail('bottomShare', 'must be in [0, 1)', s.bottomShare);
  // Shares that overlap would put the bottom threshold above the top one.
  if (s.topShare + s.bottomShare > 1 + 1e-9) {
    fail('bottomShare', 'plus topShare must not exceed 1', s.bottomShare);
  }
  // A band of 100% or more would make the thresholds' bands cross each other's ordering.
  if (!isShare(s.hysteresisShare) || s.hysteresisShare === 1) {
    fail('hysteresisShare', 'must be in [0, 1)', s.hysteresisShare);
  }
  if (!isPositiveInteger(s.refreshPeriodMs)) {
    fail('refreshPeriodMs', 'must be a positive integer', s.refreshPeriodMs);
  }
  if (!isNonNegativeInteger(s.publishDelayMs)) {
    fail('publishDelayMs', 'must be a non-negative integer', s.publishDelayMs);
  }
  return s;
}

/** Settings with overrides, checked. */
export function valueSegmentationSettings(
  overrides: Partial<ValueSegmentationSettings> = {},
): ValueSegmentationSettings {
  return checkSettings({ ...defaultValueSegmentationSettings, ...overrides });
}

/** The largest window, in ms: buckets older than it are of no use to any window. */
export function largestWindowMs(s: ValueSegmentationSettings): number {
  return Math.max(...s.windowsDays) * DAY_MS;
}

export function rankingWindowMs(s: ValueSegmentationSettings): number {
  return s.rankingWindowDays * DAY_MS;
}

/**
 * How many customers a share of a population of `populationSize` is: `ceil` (rounding 'up') or
 * `floor` ('down') of share × size. Shares are decimal fractions (0.2, 0.02) that binary floating
 * point cannot hold exactly — 0.07 × 100 is 7.000000000000001 — so a product within a millionth of
 * a whole number counts as that number, and a threshold never moves by one customer on
 * representation noise. The streaming worker and the oracle both use this one definition.
 */
export function customersInShare(share: number, populationSize: number, rounding: 'up' | 'down'): number {
  const exact = share * populationSize;
  const nearest = Math.round(exact);
  if (Math.abs(exact - nearest) < 1e-6) return nearest;
  return rounding === 'up' ? Math.ceil(exact) : Math.floor(exact);
}
