import { env, envVariable, parseEnv } from '../../shared/config/env.js';
import { parseRuntimeConfig, type RuntimeConfig } from '../../shared/config/runtime-config.js';
import { ConfigError } from '../../shared/errors.js';
import { defaultLadderSettings, type LadderSettings, ladderSettings } from './ladder/ladder-settings.js';
import { checkPolicyFitsPartitions } from './offers/offer-gates.js';
import { loadOfferPolicy, type OfferPolicy } from './offers/offer-policy.js';
import {
  checkRetentionSettings,
  defaultRetentionSettings as defaults,
  RetentionSettingError,
  type RetentionSettings,
} from './settings.js';

const days = (ms: number) => `${ms / 86_400_000}d`;

/** Variables of the retention worker (the runtime's are in shared/config). */
export const retentionEnvSpec = {
  RETENTION_OFFER_POLICY: envVariable(
    'Offer policy file (JSON, see services/retention/offers/README.md)',
    env.string(),
    'deploy/retention-offer-policy.json',
  ),
  RETENTION_TIME_UNIT_DAYS: envVariable(
    'Time unit of the BG/NBD model, in days',
    env.number(0.001, 3660),
    String(defaults.timeUnitDays),
  ),
  RETENTION_RISK_THRESHOLD: envVariable(
    'At risk when P(alive) falls below this',
    env.number(0, 1),
    String(defaults.riskThreshold),
  ),
  RETENTION_ONE_TIME_BUYER_THRESHOLD: envVariable(
    'The same for one-time buyers (fallback model)',
    env.number(0, 1),
    String(defaults.oneTimeBuyerRiskThreshold),
  ),
  RETENTION_FIT_PERIOD: envVariable(
    'Models are refitted every period of stream time (whole days)',
    env.duration(),
    days(defaults.fitPeriodMs),
  ),
  RETENTION_PUBLISH_DELAY: envVariable(
    'A fit of boundary b is used from b + this (whole days)',
    env.duration(),
    days(defaults.publishDelayMs),
  ),
  RETENTION_MIN_FIT_CUSTOMERS: envVariable(
    'Fewest customers before a first fit',
    env.int(1, 1_000_000_000),
    String(defaults.minFitCustomers),
  ),
  RETENTION_STALE_FIT_PERIODS: envVariable(
    'Fit periods of stream time with no accepted BG/NBD fit before the stale-model alert fires',
    env.int(1, 100_000),
    '4',
  ),
  RETENTION_ALLOWED_LATENESS: envVariable(
    'Purchases older than stream time minus this go to the dead letters',
    env.duration(),
    days(defaults.allowedLatenessMs),
  ),
  RETENTION_CURRENCY: envVariable('Currency of spend, CLV and offers', env.string(), defaults.currency),
  RETENTION_RATE_PERIOD: envVariable(
    'Period of the retention rate and the repeat revenue share',
    env.duration(),
    days(defaults.ratePeriodMs),
  ),
  RETENTION_RISK_COMPLAINT: envVariable(
    'Risk a complaint adds at once (0 disables)',
    env.number(0, 1),
    String(defaults.interactionRisk.complaint),
  ),
  RETENTION_RISK_CANCELLATION_REQUEST: envVariable(
    'Risk a cancellation request adds at once',
    env.number(0, 1),
    String(defaults.interactionRisk.cancellationRequest),
  ),
  RETENTION_RISK_DETRACTOR_SURVEY: envVariable(
    'Risk a detractor survey adds at once',
    env.number(0, 1),
    String(defaults.interactionRisk.detractorSurvey),
  ),
  RETENTION_RISK_OFFER_DECLINED: envVariable(
    'Risk a declined offer adds at once',
    env.number(0, 1),
    String(defaults.interactionRisk.offerDeclined),
  ),
  RETENTION_DETRACTOR_MAX_SCORE: envVariable(
    'Surveys scoring at most this are detractors',
    env.int(0, 10),
    String(defaults.detractorMaxScore),
  ),
  RETENTION_SPEND_DECLINE_WINDOW_DAYS: envVariable(
    'Spend of the last this many days is compared with the same span before',
    env.int(1, 3660),
    String(defaults.spendDecline.windowDays),
  ),
  RETENTION_SPEND_DECLINE_SHARE: envVariable(
    'A steep fall: recent spend below this share of the span before',
    env.number(0, 1),
    String(defaults.spendDecline.share),
  ),
  RETENTION_RISK_SPEND_DECLINE: envVariable(
    'Risk a steep fall in spend adds (0 disables)',
    env.number(0, 1),
    String(defaults.spendDecline.risk),
  ),
  RETENTION_LADDER_WINDOW_DAYS: envVariable(
    'Window of every loyalty-ladder rule, days (evidence older than this no longer counts)',
    env.int(1, 3660),
    String(defaultLadderSettings.clientWindowDays),
  ),
  RETENTION_LADDER_CLIENT_MIN_PURCHASE_DAYS: envVariable(
    'Purchase days in the window that make a client',
    env.int(2, 1000),
    String(defaultLadderSettings.clientMinPurchaseDays),
  ),
  RETENTION_LADDER_SUPPORTER_MIN_SURVEY: envVariable(
    'Survey score (0-10) that makes a client a supporter',
    env.int(0, 10),
    String(defaultLadderSettings.supporterMinSurveyScore),
  ),
  RETENTION_LADDER_SUPPORTER_MIN_REVIEW: envVariable(
    'Review rating (1-5) that makes a client a supporter',
    env.int(1, 5),
    String(defaultLadderSettings.supporterMinReviewRating),
  ),
  RETENTION_CLV_PERIODS: envVariable(
    'CLV horizon, in periods',
    env.int(1, 1200),
    String(defaults.clv.periods),
  ),
  RETENTION_CLV_PERIOD_DAYS: envVariable(
    'Length of a CLV period, days',
    env.number(1, 3660),
    String(defaults.clv.periodDays),
  ),
  RETENTION_CLV_DISCOUNT_RATE: envVariable(
    'CLV discount rate per period',
    env.number(0, 10),
    String(defaults.clv.discountRatePerPeriod),
  ),
  RETENTION_MARGIN: envVariable(
    'Margin as a share of spend, for CLV',
    env.number(0, 1),
    String(defaults.clv.margin),
  ),
} as const;

export interface RetentionConfig {
  readonly runtime: RuntimeConfig;
  readonly settings: RetentionSettings;
  readonly policy: OfferPolicy;
  readonly ladder: LadderSettings;
  /** Stream time with no accepted BG/NBD fit after which ValuestreamRetentionModelStale fires. */
  readonly staleModelAfterMs: number;
}

const settingToVariable: Partial<Record<keyof RetentionSettings, keyof typeof retentionEnvSpec>> = {
  timeUnitDays: 'RETENTION_TIME_UNIT_DAYS',
  riskThreshold: 'RETENTION_RISK_THRESHOLD',
  oneTimeBuyerRiskThreshold: 'RETENTION_ONE_TIME_BUYER_THRESHOLD',
  fitPeriodMs: 'RETENTION_FIT_PERIOD',
  publishDelayMs: 'RETENTION_PUBLISH_DELAY',
  minFitCustomers: 'RETENTION_MIN_FIT_CUSTOMERS',
  allowedLatenessMs: 'RETENTION_ALLOWED_LATENESS',
  currency: 'RETENTION_CURRENCY',
  ratePeriodMs: 'RETENTION_RATE_PERIOD',
  clv: 'RETENTION_CLV_PERIODS',
  interactionRisk: 'RETENTION_RISK_COMPLAINT',
  detractorMaxScore: 'RETENTION_DETRACTOR_MAX_SCORE',
  spendDecline: 'RETENTION_SPEND_DECLINE_SHARE',
};

export function loadRetentionConfig(
  environment: Readonly<Record<string, string | undefined>>,
): RetentionConfig {
  const runtime = parseRuntimeConfig(environment);
  const v = parseEnv(retentionEnvSpec, environment);
  const settings: RetentionSettings = {
    ...defaults,
    timeUnitDays: v.RETENTION_TIME_UNIT_DAYS,
    riskThreshold: v.RETENTION_RISK_THRESHOLD,
    oneTimeBuyerRiskThreshold: v.RETENTION_ONE_TIME_BUYER_THRESHOLD,
    fitPeriodMs: v.RETENTION_FIT_PERIOD,
    publishDelayMs: v.RETENTION_PUBLISH_DELAY,
    minFitCustomers: v.RETENTION_MIN_FIT_CUSTOMERS,
    allowedLatenessMs: v.RETENTION_ALLOWED_LATENESS,
    currency: v.RETENTION_CURRENCY,
    ratePeriodMs: v.RETENTION_RATE_PERIOD,
    interactionRisk: {
      complaint: v.RETENTION_RISK_COMPLAINT,
      cancellationRequest: v.RETENTION_RISK_CANCELLATION_REQUEST,
      detractorSurvey: v.RETENTION_RISK_DETRACTOR_SURVEY,
      offerDeclined: v.RETENTION_RISK_OFFER_DECLINED,
    },
    detractorMaxScore: v.RETENTION_DETRACTOR_MAX_SCORE,
    spendDecline: {
      windowDays: v.RETENTION_SPEND_DECLINE_WINDOW_DAYS,
      share: v.RETENTION_SPEND_DECLINE_SHARE,
      risk: v.RETENTION_RISK_SPEND_DECLINE,
    },
    clv: {
      periods: v.RETENTION_CLV_PERIODS,
      periodDays: v.RETENTION_CLV_PERIOD_DAYS,
      discountRatePerPeriod: v.RETENTION_CLV_DISCOUNT_RATE,
      margin: v.RETENTION_MARGIN,
    },
  };
  try {
    checkRetentionSettings(settings);
  } catch (error) {
    if (error instanceof RetentionSettingError)
      throw new ConfigError(settingToVariable[error.setting] ?? 'RETENTION_*', error.message);
    throw error;
  }
  const policy = loadOfferPolicy(v.RETENTION_OFFER_POLICY);
  if (policy.currency !== settings.currency) {
    throw new ConfigError(
      'RETENTION_OFFER_POLICY',
      `the policy's currency ${policy.currency} is not RETENTION_CURRENCY ${settings.currency}`,
    );
  }
  checkPolicyFitsPartitions(policy, runtime.TOPIC_PARTITIONS, v.RETENTION_OFFER_POLICY);
  const window = v.RETENTION_LADDER_WINDOW_DAYS;
  let ladder: LadderSettings;
  try {
    ladder = ladderSettings({
      customerWindowDays: window,
      clientWindowDays: window,
      supporterWindowDays: window,
      advocateWindowDays: window,
      partnerWindowDays: window,
      clientMinPurchaseDays: v.RETENTION_LADDER_CLIENT_MIN_PURCHASE_DAYS,
      supporterMinSurveyScore: v.RETENTION_LADDER_SUPPORTER_MIN_SURVEY,
      supporterMinReviewRating: v.RETENTION_LADDER_SUPPORTER_MIN_REVIEW,
    });
  } catch (error) {
    throw new ConfigError('RETENTION_LADDER_*', (error as Error).message);
  }
  return Object.freeze({
    runtime,
    settings: Object.freeze(settings),
    policy,
    ladder,
    staleModelAfterMs: v.RETENTION_STALE_FIT_PERIODS * settings.fitPeriodMs,
  });
}
