import { z } from 'zod';
import { env, envVariable, parseEnv } from '../../shared/config/env.js';
import { parseRuntimeConfig, type RuntimeConfig } from '../../shared/config/runtime-config.js';
import type { AgeBand } from '../../shared/contracts/generated.js';
import { ConfigError } from '../../shared/errors.js';
import {
  AGE_BANDS,
  checkShareOfWalletSettings,
  defaultShareOfWalletSettings,
  ShareOfWalletSettingError,
  type ShareOfWalletSettings,
} from './settings.js';

const kcalTable = () =>
  z
    .string()
    .transform((v) =>
      Object.fromEntries(
        v.split(',').map((pair) => {
          const [band, kcal] = pair.split('=').map((part) => part.trim());
          return [band, Number(kcal)];
        }),
      ),
    )
    .pipe(
      z
        .object(Object.fromEntries(AGE_BANDS.map((band) => [band, z.number().positive().max(20_000)])))
        .strict(),
    ) as unknown as z.ZodType<Record<AgeBand, number>>;

const defaults = defaultShareOfWalletSettings;
const days = (ms: number) => `${ms / 86_400_000}d`;

/** Variables of the share-of-wallet worker (the runtime's are in shared/config). */
export const shareOfWalletEnvSpec = {
  SOW_WINDOWS_DAYS: envVariable(
    'Windows compared, in days',
    env.intList(1, 3660),
    defaults.windowsDays.join(','),
  ),
  SOW_ALLOWED_LATENESS: envVariable(
    'Purchases older than stream time minus this go to the dead letters',
    env.duration(),
    days(defaults.allowedLatenessMs),
  ),
  SOW_CURRENCY: envVariable(
    'Currency gaps are valued in; purchases in another go to the dead letters',
    env.string(),
    defaults.currency,
  ),
  SOW_EVALUATION_PERIOD: envVariable(
    'Every customer is evaluated at each multiple of this (whole days) plus SOW_PUBLISH_DELAY',
    env.duration(),
    days(defaults.evaluationPeriodMs),
  ),
  SOW_PUBLISH_DELAY: envVariable(
    'Peer benchmarks counted at boundary b are used at b + this (whole days)',
    env.duration(),
    days(defaults.publishDelayMs),
  ),
  SOW_THRESHOLD: envVariable(
    'Alert when the share of wallet is below this',
    env.number(0, 100),
    String(defaults.threshold),
  ),
  SOW_RECOVERY_BAND: envVariable(
    'Alert again only after the share was back at threshold + this',
    env.number(0, 100),
    String(defaults.recoveryBand),
  ),
  SOW_CONFIRMATION: envVariable(
    'The share must stay below the threshold this long before an alert (lumpy shopping)',
    env.duration(),
    days(defaults.confirmationMs),
  ),
  SOW_COOLDOWN: envVariable(
    'At most one alert per window and unit within this',
    env.duration(),
    days(defaults.cooldownMs),
  ),
  SOW_MIN_HISTORY_WINDOWS: envVariable(
    'Windows of history (since the first purchase or profile) before a window is judged',
    env.number(0, 100),
    String(defaults.minHistoryWindows),
  ),
  SOW_KCAL_PER_DAY: envVariable(
    'Energy need per person per day by age band, kcal (DGA 2020-2025, see SEMANTICS.md)',
    kcalTable(),
    AGE_BANDS.map((band) => `${band}=${defaults.kcalPerDay[band]}`).join(','),
  ),
  SOW_GROCER_SHARE: envVariable(
    'Share of the energy need a household buys from a grocer (USDA ERS: ~1/3 eaten away from home)',
    env.number(0, 1),
    String(defaults.grocerShare),
  ),
  SOW_USAGE_UNITS: envVariable(
    'Usage units compared for business customers',
    env.list(),
    defaults.usageUnits.join(','),
  ),
  SOW_MIN_PEERS: envVariable(
    'Fewest peers (the customer excluded) behind a peer benchmark',
    env.int(1, 1_000_000),
    String(defaults.minPeers),
  ),
  SOW_SIZE_BANDS: envVariable(
    'Headcount band edges of peer segments (10,50,250 gives 1-9, 10-49, 50-249, 250+)',
    env.intList(2, 10_000_000),
    defaults.sizeBandEdges.join(','),
  ),
} as const;

const settingToVariable: Record<keyof ShareOfWalletSettings, keyof typeof shareOfWalletEnvSpec> = {
  windowsDays: 'SOW_WINDOWS_DAYS',
  allowedLatenessMs: 'SOW_ALLOWED_LATENESS',
  currency: 'SOW_CURRENCY',
  evaluationPeriodMs: 'SOW_EVALUATION_PERIOD',
  publishDelayMs: 'SOW_PUBLISH_DELAY',
  threshold: 'SOW_THRESHOLD',
  recoveryBand: 'SOW_RECOVERY_BAND',
  cooldownMs: 'SOW_COOLDOWN',
  confirmationMs: 'SOW_CONFIRMATION',
  minHistoryWindows: 'SOW_MIN_HISTORY_WINDOWS',
  kcalPerDay: 'SOW_KCAL_PER_DAY',
  grocerShare: 'SOW_GROCER_SHARE',
  usageUnits: 'SOW_USAGE_UNITS',
  minPeers: 'SOW_MIN_PEERS',
  sizeBandEdges: 'SOW_SIZE_BANDS',
};

export interface ShareOfWalletConfig {
  readonly runtime: RuntimeConfig;
  readonly settings: ShareOfWalletSettings;
}

export function loadShareOfWalletConfig(
  environment: Readonly<Record<string, string | undefined>>,
): ShareOfWalletConfig {
  const runtime = parseRuntimeConfig(environment);
  const v = parseEnv(shareOfWalletEnvSpec, environment);
  const settings: ShareOfWalletSettings = {
    windowsDays: v.SOW_WINDOWS_DAYS,
    allowedLatenessMs: v.SOW_ALLOWED_LATENESS,
    currency: v.SOW_CURRENCY,
    evaluationPeriodMs: v.SOW_EVALUATION_PERIOD,
    publishDelayMs: v.SOW_PUBLISH_DELAY,
    threshold: v.SOW_THRESHOLD,
    recoveryBand: v.SOW_RECOVERY_BAND,
    cooldownMs: v.SOW_COOLDOWN,
    confirmationMs: v.SOW_CONFIRMATION,
    minHistoryWindows: v.SOW_MIN_HISTORY_WINDOWS,
    kcalPerDay: v.SOW_KCAL_PER_DAY,
    grocerShare: v.SOW_GROCER_SHARE,
    usageUnits: v.SOW_USAGE_UNITS,
    minPeers: v.SOW_MIN_PEERS,
    sizeBandEdges: v.SOW_SIZE_BANDS,
  };
  try {
    checkShareOfWalletSettings(settings);
  } catch (error) {
    if (error instanceof ShareOfWalletSettingError) {
      throw new ConfigError(settingToVariable[error.setting], error.message);
    }
    throw error;
  }
  return Object.freeze({ runtime, settings: Object.freeze(settings) });
}
