import { env, envVariable, parseEnv } from '../../shared/config/env.js';
import { parseRuntimeConfig, type RuntimeConfig } from '../../shared/config/runtime-config.js';
import { ConfigError } from '../../shared/errors.js';
import { checkSettings, type ValueSegmentationSettings } from './settings.js';

/** Variables of the value-segmentation worker (the runtime's are in shared/config). */
export const valueSegmentationEnvSpec = {
  VALUE_WINDOWS_DAYS: envVariable(
    'Rolling windows kept per customer, in days',
    env.intList(1, 3660),
    '30,90,365',
  ),
  VALUE_RANKING_WINDOW_DAYS: envVariable(
    'Window whose value ranks customers into tiers (one of VALUE_WINDOWS_DAYS)',
    env.int(1, 3660),
    '365',
  ),
  VALUE_BUCKET_WIDTH: envVariable('Width of the time buckets windows are built from', env.duration(), '1d'),
  VALUE_ALLOWED_LATENESS: envVariable(
    'Purchases older than stream time minus this go to the dead letters',
    env.duration(),
    '3d',
  ),
  VALUE_BASIS: envVariable(
    'net-revenue (sales minus returns) or margin (line margins where given)',
    env.oneOf(['net-revenue', 'margin'] as const),
    'net-revenue',
  ),
  VALUE_COST_TO_SERVE_MINOR: envVariable(
    'Cost to serve subtracted per order, minor units',
    env.int(0, 1_000_000_000),
    '0',
  ),
  VALUE_CURRENCY: envVariable(
    'Currency values are kept in; other currencies are dead-lettered',
    env.string(),
    'EUR',
  ),
  VALUE_TOP_SHARE: envVariable('Share of customers in the top tier', env.number(0, 1), '0.2'),
  VALUE_TOP2_SHARE: envVariable(
    'Share in the extra top2 tier (0 disables it; 0.02 = top 2%)',
    env.number(0, 1),
    '0',
  ),
  VALUE_BOTTOM_SHARE: envVariable('Share of customers in the bottom tier', env.number(0, 1), '0.2'),
  VALUE_HYSTERESIS_SHARE: envVariable(
    'Band around each threshold, as a share of it, that a customer must cross to move',
    env.number(0, 0.99),
    '0.05',
  ),
  VALUE_REFRESH_PERIOD: envVariable(
    'Thresholds are recomputed from the population every period of stream time',
    env.duration(),
    '1d',
  ),
  VALUE_PUBLISH_DELAY: envVariable(
    'Thresholds computed at boundary b take effect at b + this delay',
    env.duration(),
    '1d',
  ),
} as const;

export interface ValueSegmentationConfig {
  readonly runtime: RuntimeConfig;
  readonly settings: ValueSegmentationSettings;
}

export function loadValueSegmentationConfig(
  environment: Readonly<Record<string, string | undefined>>,
): ValueSegmentationConfig {
  const runtime = parseRuntimeConfig(environment);
  const v = parseEnv(valueSegmentationEnvSpec, environment);
  const settings: ValueSegmentationSettings = {
    windowsDays: v.VALUE_WINDOWS_DAYS,
    rankingWindowDays: v.VALUE_RANKING_WINDOW_DAYS,
    bucketWidthMs: v.VALUE_BUCKET_WIDTH,
    allowedLatenessMs: v.VALUE_ALLOWED_LATENESS,
    valueBasis: v.VALUE_BASIS,
    costToServeMinor: v.VALUE_COST_TO_SERVE_MINOR,
    valueCurrency: v.VALUE_CURRENCY,
    topShare: v.VALUE_TOP_SHARE,
    top2Share: v.VALUE_TOP2_SHARE,
    bottomShare: v.VALUE_BOTTOM_SHARE,
    hysteresisShare: v.VALUE_HYSTERESIS_SHARE,
    refreshPeriodMs: v.VALUE_REFRESH_PERIOD,
    publishDelayMs: v.VALUE_PUBLISH_DELAY,
  };
  try {
    checkSettings(settings);
  } catch (error) {
    throw new ConfigError(variableOf((error as Error).message), (error as Error).message);
  }
  return Object.freeze({ runtime, settings: Object.freeze(settings) });
}

const settingToVariable: Record<string, string> = {
  windowsDays: 'VALUE_WINDOWS_DAYS',
  rankingWindowDays: 'VALUE_RANKING_WINDOW_DAYS',
  bucketWidthMs: 'VALUE_BUCKET_WIDTH',
  allowedLatenessMs: 'VALUE_ALLOWED_LATENESS',
  valueBasis: 'VALUE_BASIS',
  costToServeMinor: 'VALUE_COST_TO_SERVE_MINOR',
  valueCurrency: 'VALUE_CURRENCY',
  topShare: 'VALUE_TOP_SHARE',
  top2Share: 'VALUE_TOP2_SHARE',
  bottomShare: 'VALUE_BOTTOM_SHARE',
  hysteresisShare: 'VALUE_HYSTERESIS_SHARE',
  refreshPeriodMs: 'VALUE_REFRESH_PERIOD',
  publishDelayMs: 'VALUE_PUBLISH_DELAY',
};

function variableOf(message: string): string {
  const setting = /setting (\w+)/.exec(message)?.[1];
  return (setting && settingToVariable[setting]) ?? 'VALUE_*';
}
