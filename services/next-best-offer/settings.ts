// The knobs of the next-best-offer worker (SEMANTICS.md). Checked once, at start: a bad value
// names itself instead of surfacing later as suggestions nobody can explain.

import type { Ladder } from './ladders.js';

export const DAY_MS = 86_400_000;

/** What an item is: a purchase line's category or its SKU. */
export type ItemLevel = 'category' | 'sku';

export const ITEM_LEVELS: readonly ItemLevel[] = ['category', 'sku'];

export interface NextBestOfferSettings {
  readonly itemLevel: ItemLevel;
  /** The one currency prices are kept in; purchases in another one are dead-lettered. */
  readonly currency: string;
  readonly allowedLatenessMs: number;
  /**
   * Models are mined at every multiple of this (whole days). Weekly by default: a month's baskets
   * move little in a day, and each refresh mines the whole window.
   */
  readonly refreshPeriodMs: number;
  /** A model mined at boundary b is used from b + this on. */
  readonly publishDelayMs: number;
  /** Baskets of the last this many days (before the boundary) are mined. */
  readonly basketWindowDays: number;
  /** Association rules: arules' supp, conf, minlen, maxlen. */
  readonly minSupport: number;
  readonly minConfidence: number;
  readonly minRuleLength: number;
  readonly maxRuleLength: number;
  /** Most rules a view keeps (the best by lift): bounds the view's size, not the mining. */
  readonly maxRules: number;
  /**
   * Learn up-sell steps (per-customer first purchases and the partition's sequence counters). Off:
   * no sequence counters and no steps in the view, for SKU-level items by the thousand, where the
   * counters grow with the pairs of items each customer bought.
   */
  readonly learnSteps: boolean;
  /** Up-sell steps: B first bought within this many days after A's first purchase. */
  readonly stepHorizonDays: number;
  /** A learned step needs this many customers and this share of A's buyers. */
  readonly minStepCustomers: number;
  readonly minStepShare: number;
  /** ... and this lift over the share of all customers who buy B at all (bread after milk is no step). */
  readonly minStepLift: number;
  /** Items bought within this many days are not suggested (and are the rules' antecedents). */
  readonly recentDays: number;
  /** Most items remembered per customer (first purchase and last purchase day). */
  readonly maxItemsPerCustomer: number;
  /** Suggestions per decision. */
  readonly topK: number;
  /** No suggestion within this long after the last one. */
  readonly cooldownMs: number;
  /** Share of each value tier's customers held out (no suggestions), for uplift. */
  readonly holdoutShareByTier: Readonly<Record<string, number>>;
  /** Margin share assumed for an item whose purchase lines carried no margin. */
  readonly defaultMarginShare: number;
  /**
   * Expected value multiplier of a wallet-gap category: one the customer's peers buy (it is a
   * candidate: rules, steps and ladders are the population's) and the customer buys elsewhere
   * (share of wallet alerted on the unit the category supplies within walletGapDays).
   */
  readonly walletGapBoost: number;
  /** Category prefixes by share-of-wallet unit: kcal → groceries/, GB → services/mobile-data. */
  readonly walletGapCategories: Readonly<Record<string, readonly string[]>>;
  /** An under-consumption alert marks its unit as bought elsewhere for this many days. */
  readonly walletGapDays: number;
  /** Fill the suggestions rules, steps and ladders leave empty with the window's most-bought items. */
  readonly popularFill: boolean;
  /** Configured life-cycle ladders (NBO_LADDERS_FILE). */
  readonly ladders: readonly Ladder[];
}

export const defaultNextBestOfferSettings: NextBestOfferSettings = Object.freeze({
  itemLevel: 'category',
  currency: 'EUR',
  allowedLatenessMs: 3 * DAY_MS,
  refreshPeriodMs: 7 * DAY_MS,
  publishDelayMs: DAY_MS,
  basketWindowDays: 28,
  minSupport: 0.01,
  minConfidence: 0.3,
  minRuleLength: 2,
  maxRuleLength: 4,
  maxRules: 10_000,
  learnSteps: true,
  stepHorizonDays: 90,
  minStepCustomers: 5,
  minStepShare: 0.05,
  minStepLift: 1.5,
  recentDays: 28,
  maxItemsPerCustomer: 64,
  topK: 3,
  cooldownMs: 7 * DAY_MS,
  holdoutShareByTier: Object.freeze({ top: 0.1, middle: 0.1, bottom: 0.1, unknown: 0.1 }),
  defaultMarginShare: 0.25,
  walletGapBoost: 1.5,
  walletGapCategories: Object.freeze({
    kcal: Object.freeze(['groceries/']),
    GB: Object.freeze(['services/mobile-data']),
    minutes: Object.freeze(['services/mobile-minutes']),
  }),
  walletGapDays: 28,
  popularFill: true,
  ladders: Object.freeze([]),
});

export class NextBestOfferSettingError extends Error {
  readonly reasonCode = 'INVALID_SETTING';
  constructor(
    readonly setting: keyof NextBestOfferSettings,
    message: string,
  ) {
    super(message);
    this.name = 'NextBestOfferSettingError';
  }
}

function wholeDays(setting: keyof NextBestOfferSettings, ms: number): void {
  if (!Number.isInteger(ms / DAY_MS) || ms <= 0)
    throw new NextBestOfferSettingError(setting, `${setting} must be a positive whole number of days`);
}

function share(setting: keyof NextBestOfferSettings, value: number, allowZero: boolean): void {
  if (!(value <= 1) || !(allowZero ? value >= 0 : value > 0))
    throw new NextBestOfferSettingError(setting, `${setting} must be in ${allowZero ? '[0, 1]' : '(0, 1]'}`);
}

export function checkNextBestOfferSettings(s: NextBestOfferSettings): void {
  wholeDays('refreshPeriodMs', s.refreshPeriodMs);
  wholeDays('publishDelayMs', s.publishDelayMs);
  wholeDays('cooldownMs', s.cooldownMs);
  share('minSupport', s.minSupport, false);
  share('minConfidence', s.minConfidence, true);
  share('minStepShare', s.minStepShare, true);
  share('defaultMarginShare', s.defaultMarginShare, true);
  if (!Number.isInteger(s.minRuleLength) || s.minRuleLength < 1)
    throw new NextBestOfferSettingError('minRuleLength', 'minRuleLength must be a whole number >= 1');
  if (
    !Number.isInteger(s.maxRuleLength) ||
    s.maxRuleLength < Math.max(2, s.minRuleLength) ||
    s.maxRuleLength > 10
  )
    throw new NextBestOfferSettingError(
      'maxRuleLength',
      `maxRuleLength must be a whole number from max(2, minRuleLength) = ${Math.max(2, s.minRuleLength)} to 10`,
    );
  if (!(s.minStepLift >= 0)) throw new NextBestOfferSettingError('minStepLift', 'minStepLift must be >= 0');
  if (!Number.isInteger(s.maxRules) || s.maxRules < 1)
    throw new NextBestOfferSettingError('maxRules', 'maxRules must be a whole number >= 1');
  for (const [tier, holdout] of Object.entries(s.holdoutShareByTier)) {
    if (!(holdout >= 0 && holdout < 1))
      throw new NextBestOfferSettingError('holdoutShareByTier', `holdout of tier ${tier} must be in [0, 1)`);
  }
  if (!(s.walletGapBoost >= 1))
    throw new NextBestOfferSettingError(
      'walletGapBoost',
      'walletGapBoost must be >= 1 (a boost, never a penalty)',
    );
}
