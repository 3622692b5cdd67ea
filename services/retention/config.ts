import { env, envVariable, parseEnv } from '../../shared/config/env.js';
import { parseRuntimeConfig, type RuntimeConfig } from '../../shared/config/runtime-config.js';
import { ConfigError } from '../../shared/errors.js';
import { defaultLadderSettings, type LadderSettings } from './ladder/ladder-settings.js';
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
  return Object.freeze({ runtime, settings: Object.freeze(settings), policy, ladder: defaultLadderSettings });
}
