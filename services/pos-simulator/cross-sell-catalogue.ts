// What goes together and what customers step up to, for the simulator's cross-sell option
// (off by default: none of this touches the default stream). Companions use the catalogue's own
// articles, so a rule the next-best-offer worker mines is about articles the shop already sells;
// the up-sell ladder brings its own service articles, sold only when the option is on, so no
// rung is ever bought by chance and every first purchase of a rung above the first is a step.

import { type Article, CATALOGUE } from './catalogue.js';

export interface Companion {
  readonly sku: string;
  /** Chance the companion joins a basket that holds the antecedent. */
  readonly probability: number;
}

/**
 * Antecedent sku → its companions, each added with its probability when a basket holds the
 * antecedent (before companions are added: companions do not bring their own companions).
 */
export const COMPANIONS: ReadonlyMap<string, readonly Companion[]> = new Map([
  [
    'G-BEER-6X330',
    [
      { sku: 'G-PIZZA-FROZEN', probability: 0.4 },
      { sku: 'G-BAKED-BEANS-415', probability: 0.3 },
    ],
  ],
  [
    'G-PASTA-500',
    [
      { sku: 'G-BEEF-MINCE-500', probability: 0.35 },
      { sku: 'G-CHEESE-400', probability: 0.25 },
    ],
  ],
  ['G-COFFEE-500', [{ sku: 'G-CROISSANT-4', probability: 0.3 }]],
  ['H-DETERGENT-3L', [{ sku: 'H-DISH-SOAP-500', probability: 0.3 }]],
  [
    'E-SMARTPHONE',
    [
      { sku: 'E-CHARGER-USB-C', probability: 0.5 },
      { sku: 'E-HEADPHONES', probability: 0.25 },
    ],
  ],
  ['E-TV-55', [{ sku: 'H-BATTERIES-AA-8', probability: 0.3 }]],
  ['A-JEANS', [{ sku: 'A-TSHIRT', probability: 0.4 }]],
]);

const ladderRung = (sku: string, sub: string, price: number, marginRate: number): Article => ({
  sku,
  category: `services/${sub}`,
  group: 'service',
  price,
  marginRate,
  kcalPerUnit: null,
  // No usage unit: the share-of-wallet worker's minutes and GB stay what the default stream has.
  usage: null,
  maxQuantity: 1,
});

export interface UpSellLadder {
  /** Lowest first: a customer's first purchase of a rung may lead to a first purchase of the next. */
  readonly rungs: readonly Article[];
  /** Chance that a sale of a customer who has no rung yet also holds the first rung. */
  readonly entryShare: number;
  /** Chance that a customer's first purchase of a rung is followed by a first purchase of the next. */
  readonly stepShare: number;
  /** The gap to the next rung is uniform in [minGapDays, maxGapDays] (customer time). */
  readonly minGapDays: number;
  readonly maxGapDays: number;
}

/** The mobile life cycle: a prepaid SIM, then a contract, then a family plan. */
export const MOBILE_LADDER: UpSellLadder = {
  rungs: [
    ladderRung('S-MOBILE-PREPAID', 'mobile-prepaid', 15.0, 0.5),
    ladderRung('S-MOBILE-CONTRACT', 'mobile-contract', 29.99, 0.55),
    ladderRung('S-FAMILY-PLAN', 'family-plan', 59.99, 0.5),
  ],
  entryShare: 0.04,
  stepShare: 0.4,
  minGapDays: 30,
  maxGapDays: 90,
};

const BY_SKU = new Map(CATALOGUE.map((a) => [a.sku, a]));

/** The catalogue article of a companion sku (the table only names catalogue articles). */
export function companionArticle(sku: string): Article {
  const article = BY_SKU.get(sku);
  if (!article) throw new Error(`companion ${sku} is not in the catalogue`);
  return article;
}
