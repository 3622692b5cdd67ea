// The knobs of the retention worker, checked once at start: a bad value names its setting.

export const DAY_MS = 86_400_000;

export interface RetentionSettings {
  /** Length of the models' time unit in days (7: weeks, as the published CDNOW figures use). */
  readonly timeUnitDays: number;
  /** A customer is at risk when P(alive) falls below this. */
  readonly riskThreshold: number;
  /**
   * The same for one-time buyers (x = 0, the fallback model): their P(alive) starts at b/(a+b)
   * (0.75 on CDNOW) and falls slowly, so the repeat buyers' threshold would flag them years late.
   */
  readonly oneTimeBuyerRiskThreshold: number;
  /** Population models are refitted at every multiple of this (whole days) of stream time. */
  readonly fitPeriodMs: number;
  /** A fit of boundary b is used from b + this (whole days). */
  readonly publishDelayMs: number;
  /** Fewest customers (with at least one repeat buyer) before a fit is made. */
  readonly minFitCustomers: number;
  readonly allowedLatenessMs: number;
  /** The one currency of spend and offers; purchases in another one are dead-lettered. */
  readonly currency: string;
  /** Risk an interaction adds at once, as a risk score (1 − P(alive) scale); 0 disables the rule. */
  readonly interactionRisk: Readonly<{
    complaint: number;
    cancellationRequest: number;
    detractorSurvey: number;
    offerDeclined: number;
  }>;
  /**
   * A steep fall in spend: at a purchase, the spend of the last `spendDeclineWindowDays` is
   * below `spendDeclineShare` of the window before (which held at least one purchase).
   */
  readonly spendDecline: Readonly<{ windowDays: number; share: number; risk: number }>;
  /** Surveys scoring at most this are detractors (NPS: 0–6). */
  readonly detractorMaxScore: number;
  /** Length of the periods of the retention rate and the repeat revenue share. */
  readonly ratePeriodMs: number;
  /** CLV: periods in the horizon, their length in days, discount rate per period, margin share. */
  readonly clv: Readonly<{
    periods: number;
    periodDays: number;
    discountRatePerPeriod: number;
    margin: number;
  }>;
}

export const defaultRetentionSettings: RetentionSettings = Object.freeze({
  timeUnitDays: 7,
  riskThreshold: 0.5,
  oneTimeBuyerRiskThreshold: 0.65,
  fitPeriodMs: 7 * DAY_MS,
  publishDelayMs: DAY_MS,
  minFitCustomers: 50,
  allowedLatenessMs: 3 * DAY_MS,
  currency: 'EUR',
  interactionRisk: Object.freeze({
    complaint: 0.6,
    cancellationRequest: 0.9,
    detractorSurvey: 0.5,
    offerDeclined: 0.5,
  }),
  detractorMaxScore: 6,
  spendDecline: Object.freeze({ windowDays: 90, share: 0.5, risk: 0.5 }),
  ratePeriodMs: 30 * DAY_MS,
  clv: Object.freeze({ periods: 12, periodDays: 30, discountRatePerPeriod: 0.008, margin: 0.3 }),
});

export class RetentionSettingError extends Error {
  constructor(
    readonly setting: keyof RetentionSettings,
    problem: string,
    value: unknown,
  ) {
    super(`retention setting ${setting} ${problem} (got ${JSON.stringify(value)})`);
  }
}

const isWholeDays = (n: number) => Number.isSafeInteger(n) && n >= 0 && n % DAY_MS === 0;
const isShare = (n: number) => Number.isFinite(n) && n >= 0 && n <= 1;

export function checkRetentionSettings(s: RetentionSettings): RetentionSettings {
  const fail = (setting: keyof RetentionSettings, problem: string): never => {
    throw new RetentionSettingError(setting, problem, s[setting]);
  };
  if (!(s.timeUnitDays > 0) || !Number.isFinite(s.timeUnitDays))
    fail('timeUnitDays', 'must be a positive number of days');
  if (!(s.riskThreshold > 0 && s.riskThreshold < 1)) fail('riskThreshold', 'must be in (0, 1)');
  if (!(s.oneTimeBuyerRiskThreshold > 0 && s.oneTimeBuyerRiskThreshold < 1))
    fail('oneTimeBuyerRiskThreshold', 'must be in (0, 1)');
  if (!isWholeDays(s.fitPeriodMs) || s.fitPeriodMs === 0)
    fail('fitPeriodMs', 'must be a positive whole number of days');
  if (!isWholeDays(s.publishDelayMs)) fail('publishDelayMs', 'must be a whole number of days');
  if (!Number.isSafeInteger(s.minFitCustomers) || s.minFitCustomers < 1)
    fail('minFitCustomers', 'must be a positive integer');
  if (!Number.isSafeInteger(s.allowedLatenessMs) || s.allowedLatenessMs < 0)
    fail('allowedLatenessMs', 'must be non-negative');
  if (!/^[A-Z]{3}$/.test(s.currency)) fail('currency', 'must be an ISO 4217 code such as EUR');
  if (!Object.values(s.interactionRisk).every(isShare)) fail('interactionRisk', 'must be shares in [0, 1]');
  if (!Number.isSafeInteger(s.ratePeriodMs) || s.ratePeriodMs < DAY_MS)
    fail('ratePeriodMs', 'must be at least a day');
  if (
    !Number.isInteger(s.spendDecline.windowDays) ||
    s.spendDecline.windowDays < 1 ||
    !isShare(s.spendDecline.share) ||
    !isShare(s.spendDecline.risk)
  )
    fail('spendDecline', 'needs windowDays >= 1 and share and risk in [0, 1]');
  if (!Number.isInteger(s.detractorMaxScore) || s.detractorMaxScore < 0 || s.detractorMaxScore > 10)
    fail('detractorMaxScore', 'must be a survey score 0-10');
  const { periods, periodDays, discountRatePerPeriod, margin } = s.clv;
  if (
    !Number.isInteger(periods) ||
    periods < 1 ||
    !(periodDays > 0) ||
    !(discountRatePerPeriod >= 0) ||
    !isShare(margin)
  )
    fail('clv', 'needs periods >= 1, periodDays > 0, a discount rate >= 0 and a margin share in [0, 1]');
  return s;
}

export function retentionSettings(overrides: Partial<RetentionSettings> = {}): RetentionSettings {
  return checkRetentionSettings({ ...defaultRetentionSettings, ...overrides });
}
