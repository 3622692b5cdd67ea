// The knobs of share of wallet (SEMANTICS.md). Checked once, at start: a bad value names itself
// instead of surfacing later as an alert nobody can explain.

import type { AgeBand } from '../../shared/contracts/generated.js';

export const DAY_MS = 86_400_000;

export const AGE_BANDS: readonly AgeBand[] = [
  'INFANT_0_3',
  'CHILD_4_8',
  'CHILD_9_13',
  'TEEN_14_18',
  'ADULT_19_64',
  'SENIOR_65_PLUS',
];

export interface ShareOfWalletSettings {
  /** Windows compared, in days, in evaluation (and event id) order. */
  readonly windowsDays: readonly number[];
  readonly allowedLatenessMs: number;
  /** The one currency money is kept in; purchases in another one are dead-lettered. */
  readonly currency: string;
  /** Customers are evaluated at every multiple of this (whole days) plus the publish delay. */
  readonly evaluationPeriodMs: number;
  /** Peer counters snapshotted at b are used by the evaluations at b + this (whole days). */
  readonly publishDelayMs: number;
  /** Alert below this share of wallet. */
  readonly threshold: number;
  /** Re-arm once the share is back at or above threshold + band. */
  readonly recoveryBand: number;
  /**
   * The share must have stayed below the threshold at every evaluation for this long: a
   * window's edge falling between two shopping trips dips the share of a lumpy shopper for
   * up to one trip interval.
   */
  readonly confirmationMs: number;
  /** At most one alert per window and unit per cooldown. */
  readonly cooldownMs: number;
  /** Enough history = this many windows since the first purchase or profile. */
  readonly minHistoryWindows: number;
  /** Daily energy need per person by age band, kcal. */
  readonly kcalPerDay: Readonly<Record<AgeBand, number>>;
  /** Share of a household's energy need it is expected to buy from a grocer. */
  readonly grocerShare: number;
  /** Usage units compared for business customers, in evaluation order. */
  readonly usageUnits: readonly string[];
  /** Fewest peers (the customer excluded) for a peer benchmark. */
  readonly minPeers: number;
  /** Headcount band edges: [10, 50, 250] gives 1-9, 10-49, 50-249, 250+. */
  readonly sizeBandEdges: readonly number[];
}

/** DGA 2020–2025 Appendix 2, moderately active, female/male average, rounded (SEMANTICS.md). */
export const DEFAULT_KCAL_PER_DAY: Readonly<Record<AgeBand, number>> = Object.freeze({
  INFANT_0_3: 1100,
  CHILD_4_8: 1500,
  CHILD_9_13: 1900,
  TEEN_14_18: 2300,
  ADULT_19_64: 2300,
  SENIOR_65_PLUS: 2000,
});

export const defaultShareOfWalletSettings: ShareOfWalletSettings = Object.freeze({
  windowsDays: Object.freeze([28, 91]),
  allowedLatenessMs: 3 * DAY_MS,
  currency: 'EUR',
  evaluationPeriodMs: DAY_MS,
  publishDelayMs: DAY_MS,
  threshold: 0.6,
  recoveryBand: 0.1,
  cooldownMs: 28 * DAY_MS,
  confirmationMs: 14 * DAY_MS,
  minHistoryWindows: 2,
  kcalPerDay: DEFAULT_KCAL_PER_DAY,
  grocerShare: 0.65,
  usageUnits: Object.freeze(['minutes', 'GB']),
  minPeers: 5,
  sizeBandEdges: Object.freeze([10, 50, 250]),
});

export class ShareOfWalletSettingError extends Error {
  constructor(
    readonly setting: keyof ShareOfWalletSettings,
    problem: string,
    value: unknown,
  ) {
    super(`share-of-wallet setting ${setting} ${problem} (got ${JSON.stringify(value)})`);
  }
}

const isPositiveInteger = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) > 0;
const isWholeDays = (n: unknown): n is number =>
  Number.isSafeInteger(n) && (n as number) >= 0 && (n as number) % DAY_MS === 0;
const isFinitePositive = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n > 0;

/** Throws a ShareOfWalletSettingError naming the first bad setting. */
export function checkShareOfWalletSettings(s: ShareOfWalletSettings): ShareOfWalletSettings {
  const fail = (setting: keyof ShareOfWalletSettings, problem: string): never => {
    throw new ShareOfWalletSettingError(setting, problem, s[setting]);
  };
  if (s.windowsDays.length === 0 || !s.windowsDays.every(isPositiveInteger))
    fail('windowsDays', 'must be a non-empty list of whole days');
  if (new Set(s.windowsDays).size !== s.windowsDays.length) fail('windowsDays', 'must not repeat a window');
  if (!Number.isSafeInteger(s.allowedLatenessMs) || s.allowedLatenessMs < 0)
    fail('allowedLatenessMs', 'must be a non-negative integer');
  if (!/^[A-Z]{3}$/.test(s.currency)) fail('currency', 'must be an ISO 4217 code such as EUR');
  // Evaluations at whole days keep every window made of whole day buckets.
  if (!isWholeDays(s.evaluationPeriodMs) || s.evaluationPeriodMs === 0)
    fail('evaluationPeriodMs', 'must be a positive whole number of days');
  if (!isWholeDays(s.publishDelayMs)) fail('publishDelayMs', 'must be a whole number of days');
  if (!isFinitePositive(s.threshold)) fail('threshold', 'must be a positive number');
  if (typeof s.recoveryBand !== 'number' || !(s.recoveryBand >= 0) || !Number.isFinite(s.recoveryBand))
    fail('recoveryBand', 'must be a non-negative number');
  if (!Number.isSafeInteger(s.cooldownMs) || s.cooldownMs < 0) fail('cooldownMs', 'must be non-negative');
  if (!Number.isSafeInteger(s.confirmationMs) || s.confirmationMs < 0)
    fail('confirmationMs', 'must be non-negative');
  if (!(s.minHistoryWindows >= 0) || !Number.isFinite(s.minHistoryWindows))
    fail('minHistoryWindows', 'must be a non-negative number');
  for (const band of AGE_BANDS) {
    const kcal = s.kcalPerDay[band];
    if (!isFinitePositive(kcal) || kcal > 20_000) fail('kcalPerDay', `needs ${band} in (0, 20000] kcal`);
  }
  if (!isFinitePositive(s.grocerShare) || s.grocerShare > 1) fail('grocerShare', 'must be in (0, 1]');
  if (s.usageUnits.some((u) => !/^[A-Za-z][\w./-]{0,31}$/.test(u)))
    fail('usageUnits', 'must be short unit names such as minutes or GB');
  if (new Set(s.usageUnits).size !== s.usageUnits.length) fail('usageUnits', 'must not repeat a unit');
  if (!isPositiveInteger(s.minPeers)) fail('minPeers', 'must be a positive integer');
  const edges = s.sizeBandEdges;
  if (
    !edges.every(isPositiveInteger) ||
    edges.some((edge, i) => i > 0 && edge <= edges[i - 1]!) ||
    edges[0] === 1
  )
    fail('sizeBandEdges', 'must be increasing headcounts above 1');
  return s;
}

export function shareOfWalletSettings(overrides: Partial<ShareOfWalletSettings> = {}): ShareOfWalletSettings {
  return checkShareOfWalletSettings({ ...defaultShareOfWalletSettings, ...overrides });
}

export function largestWindowMs(s: ShareOfWalletSettings): number {
  return Math.max(...s.windowsDays) * DAY_MS;
}
