import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { env, envVariable, parseEnv } from '../../shared/config/env.js';
import { parseRuntimeConfig, type RuntimeConfig } from '../../shared/config/runtime-config.js';
import { ConfigError } from '../../shared/errors.js';
import { type Ladder, parseLadders } from './ladders.js';
import {
  checkNextBestOfferSettings,
  defaultNextBestOfferSettings,
  ITEM_LEVELS,
  NextBestOfferSettingError,
  type NextBestOfferSettings,
} from './settings.js';

const defaults = defaultNextBestOfferSettings;
const days = (ms: number) => `${ms / 86_400_000}d`;

/** `top=0.1,middle=0.1` → { top: 0.1, middle: 0.1 }. */
const shareByTier = () =>
  z
    .string()
    .transform((v) =>
      Object.fromEntries(
        v.split(',').map((pair) => {
          const [tier, share] = pair.split('=').map((part) => part.trim());
          return [tier, Number(share)];
        }),
      ),
    )
    .pipe(z.record(z.string().min(1), z.number().min(0).lt(1)));

/** `kcal=groceries/,GB=services/mobile-data|services/roaming` → { kcal: [...], GB: [...] }. */
const walletGapCategories = () =>
  z
    .string()
    .transform((v) =>
      Object.fromEntries(
        v.split(',').map((pair) => {
          const [unit, prefixes] = pair.split('=').map((part) => part.trim());
          return [unit, (prefixes ?? '').split('|').map((p) => p.trim())];
        }),
      ),
    )
    .pipe(z.record(z.string().min(1), z.array(z.string().min(1)).min(1)));

/** Variables of the next-best-offer worker (the runtime's are in shared/config). */
export const nextBestOfferEnvSpec = {
  NBO_ITEM_LEVEL: envVariable(
    "What an item is in baskets, steps and suggestions: a line's category or its SKU",
    env.oneOf(ITEM_LEVELS as [string, ...string[]]),
    defaults.itemLevel,
  ),
  NBO_CURRENCY: envVariable(
    'Currency prices are kept in; purchases in another go to the dead letters',
    env.string(),
    defaults.currency,
  ),
  NBO_ALLOWED_LATENESS: envVariable(
    'Purchases older than stream time minus this go to the dead letters',
    env.duration(),
    days(defaults.allowedLatenessMs),
  ),
  NBO_REFRESH_PERIOD: envVariable(
    'Rules, steps and prices are mined at each multiple of this (whole days)',
    env.duration(),
    days(defaults.refreshPeriodMs),
  ),
  NBO_PUBLISH_DELAY: envVariable(
    'A model mined at boundary b is used from b + this on (whole days)',
    env.duration(),
    days(defaults.publishDelayMs),
  ),
  NBO_BASKET_WINDOW_DAYS: envVariable(
    'Baskets of this many days before the boundary are mined',
    env.int(1, 366),
    String(defaults.basketWindowDays),
  ),
  NBO_MIN_SUPPORT: envVariable(
    "Least support of a rule (share of the window's baskets holding all its items)",
    env.number(0, 1),
    String(defaults.minSupport),
  ),
  NBO_MIN_CONFIDENCE: envVariable(
    'Least confidence of a rule',
    env.number(0, 1),
    String(defaults.minConfidence),
  ),
  NBO_MIN_RULE_LENGTH: envVariable(
    'Fewest items in a rule, consequent included (arules minlen)',
    env.int(1, 10),
    String(defaults.minRuleLength),
  ),
  NBO_MAX_RULE_LENGTH: envVariable(
    'Most items in a rule, consequent included (arules maxlen)',
    env.int(2, 10),
    String(defaults.maxRuleLength),
  ),
  NBO_MAX_RULES: envVariable(
    'Most rules a model keeps (the best by lift); bounds the view, not the mining',
    env.int(1, 1_000_000),
    String(defaults.maxRules),
  ),
  NBO_LEARN_STEPS: envVariable(
    'Learn up-sell steps (sequence counters per pair of items a customer bought); false: none, for items by the thousand',
    env.bool(),
    String(defaults.learnSteps),
  ),
  NBO_STEP_HORIZON_DAYS: envVariable(
    'An up-sell step A→B counts when B is first bought within this many days after A',
    env.int(1, 3660),
    String(defaults.stepHorizonDays),
  ),
  NBO_MIN_STEP_CUSTOMERS: envVariable(
    'Fewest customers behind a learned up-sell step',
    env.int(1, 1_000_000_000),
    String(defaults.minStepCustomers),
  ),
  NBO_MIN_STEP_SHARE: envVariable(
    "Least share of A's buyers who went on to B for a learned step",
    env.number(0, 1),
    String(defaults.minStepShare),
  ),
  NBO_MIN_STEP_LIFT: envVariable(
    'Least lift of a learned step: its share over the share of all customers who buy B at all',
    env.number(0, 1_000_000),
    String(defaults.minStepLift),
  ),
  NBO_RECENT_DAYS: envVariable(
    "Items bought within this many days are not suggested and are the rules' antecedents",
    env.int(1, 3660),
    String(defaults.recentDays),
  ),
  NBO_MAX_ITEMS_PER_CUSTOMER: envVariable(
    'Most items remembered per customer (the least recently bought is forgotten)',
    env.int(1, 10_000),
    String(defaults.maxItemsPerCustomer),
  ),
  NBO_TOP_K: envVariable('Suggestions per decision', env.int(1, 100), String(defaults.topK)),
  NBO_COOLDOWN: envVariable(
    'No suggestion to a customer within this long after the last one',
    env.duration(),
    days(defaults.cooldownMs),
  ),
  NBO_HOLDOUT_BY_TIER: envVariable(
    'Share of each value tier held out from suggestions (uplift control group)',
    shareByTier(),
    Object.entries(defaults.holdoutShareByTier)
      .map(([tier, share]) => `${tier}=${share}`)
      .join(','),
  ),
  NBO_DEFAULT_MARGIN_SHARE: envVariable(
    'Margin share assumed for an item whose purchase lines carry no margin',
    env.number(0, 1),
    String(defaults.defaultMarginShare),
  ),
  NBO_WALLET_GAP_BOOST: envVariable(
    "Expected value multiplier of a category the customer's peers buy and they do not",
    env.number(1, 100),
    String(defaults.walletGapBoost),
  ),
  NBO_WALLET_GAP_CATEGORIES: envVariable(
    'Category prefixes a share-of-wallet unit stands for (unit=prefix|prefix,...): an alert on the unit boosts them',
    walletGapCategories(),
    Object.entries(defaults.walletGapCategories)
      .map(([unit, prefixes]) => `${unit}=${prefixes.join('|')}`)
      .join(','),
  ),
  NBO_WALLET_GAP_DAYS: envVariable(
    'Days an under-consumption alert marks its unit as bought elsewhere',
    env.int(1, 3660),
    String(defaults.walletGapDays),
  ),
  NBO_POPULAR_FILL: envVariable(
    "Fill the places rules, steps and ladders leave empty with the window's most-bought items",
    env.bool(),
    String(defaults.popularFill),
  ),
  NBO_LADDERS_FILE: envVariable(
    'JSON file of life-cycle ladders (ordered items and the probability of the next step); empty: none',
    env.text(),
    '',
  ),
} as const;

function laddersFrom(path: string): readonly Ladder[] {
  if (path === '') return Object.freeze([]);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError('NBO_LADDERS_FILE', `cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    return parseLadders(text, path);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError('NBO_LADDERS_FILE', error.message);
    throw error;
  }
}

const settingToVariable: Record<keyof NextBestOfferSettings, keyof typeof nextBestOfferEnvSpec> = {
  itemLevel: 'NBO_ITEM_LEVEL',
  currency: 'NBO_CURRENCY',
  allowedLatenessMs: 'NBO_ALLOWED_LATENESS',
  refreshPeriodMs: 'NBO_REFRESH_PERIOD',
  publishDelayMs: 'NBO_PUBLISH_DELAY',
  basketWindowDays: 'NBO_BASKET_WINDOW_DAYS',
  minSupport: 'NBO_MIN_SUPPORT',
  minConfidence: 'NBO_MIN_CONFIDENCE',
  minRuleLength: 'NBO_MIN_RULE_LENGTH',
  maxRuleLength: 'NBO_MAX_RULE_LENGTH',
  maxRules: 'NBO_MAX_RULES',
  learnSteps: 'NBO_LEARN_STEPS',
  stepHorizonDays: 'NBO_STEP_HORIZON_DAYS',
  minStepCustomers: 'NBO_MIN_STEP_CUSTOMERS',
  minStepShare: 'NBO_MIN_STEP_SHARE',
  minStepLift: 'NBO_MIN_STEP_LIFT',
  recentDays: 'NBO_RECENT_DAYS',
  maxItemsPerCustomer: 'NBO_MAX_ITEMS_PER_CUSTOMER',
  topK: 'NBO_TOP_K',
  cooldownMs: 'NBO_COOLDOWN',
  holdoutShareByTier: 'NBO_HOLDOUT_BY_TIER',
  defaultMarginShare: 'NBO_DEFAULT_MARGIN_SHARE',
  walletGapBoost: 'NBO_WALLET_GAP_BOOST',
  walletGapCategories: 'NBO_WALLET_GAP_CATEGORIES',
  walletGapDays: 'NBO_WALLET_GAP_DAYS',
  popularFill: 'NBO_POPULAR_FILL',
  ladders: 'NBO_LADDERS_FILE',
};

export interface NextBestOfferConfig {
  readonly runtime: RuntimeConfig;
  readonly settings: NextBestOfferSettings;
}

export function loadNextBestOfferConfig(
  environment: Readonly<Record<string, string | undefined>>,
): NextBestOfferConfig {
  const runtime = parseRuntimeConfig(environment);
  const v = parseEnv(nextBestOfferEnvSpec, environment);
  const settings: NextBestOfferSettings = {
    itemLevel: v.NBO_ITEM_LEVEL as NextBestOfferSettings['itemLevel'],
    currency: v.NBO_CURRENCY,
    allowedLatenessMs: v.NBO_ALLOWED_LATENESS,
    refreshPeriodMs: v.NBO_REFRESH_PERIOD,
    publishDelayMs: v.NBO_PUBLISH_DELAY,
    basketWindowDays: v.NBO_BASKET_WINDOW_DAYS,
    minSupport: v.NBO_MIN_SUPPORT,
    minConfidence: v.NBO_MIN_CONFIDENCE,
    minRuleLength: v.NBO_MIN_RULE_LENGTH,
    maxRuleLength: v.NBO_MAX_RULE_LENGTH,
    maxRules: v.NBO_MAX_RULES,
    learnSteps: v.NBO_LEARN_STEPS,
    stepHorizonDays: v.NBO_STEP_HORIZON_DAYS,
    minStepCustomers: v.NBO_MIN_STEP_CUSTOMERS,
    minStepShare: v.NBO_MIN_STEP_SHARE,
    minStepLift: v.NBO_MIN_STEP_LIFT,
    recentDays: v.NBO_RECENT_DAYS,
    maxItemsPerCustomer: v.NBO_MAX_ITEMS_PER_CUSTOMER,
    topK: v.NBO_TOP_K,
    cooldownMs: v.NBO_COOLDOWN,
    holdoutShareByTier: Object.freeze(v.NBO_HOLDOUT_BY_TIER),
    defaultMarginShare: v.NBO_DEFAULT_MARGIN_SHARE,
    walletGapBoost: v.NBO_WALLET_GAP_BOOST,
    walletGapCategories: Object.freeze(v.NBO_WALLET_GAP_CATEGORIES),
    walletGapDays: v.NBO_WALLET_GAP_DAYS,
    popularFill: v.NBO_POPULAR_FILL,
    ladders: laddersFrom(v.NBO_LADDERS_FILE),
  };
  try {
    checkNextBestOfferSettings(settings);
  } catch (error) {
    if (error instanceof NextBestOfferSettingError) {
      throw new ConfigError(settingToVariable[error.setting], error.message);
    }
    throw error;
  }
  return Object.freeze({ runtime, settings: Object.freeze(settings) });
}
