// The articles of consumption-driven traffic (consumption.ts): foods with their energy per unit,
// a few non-food household goods, and telecom service bundles with usage in minutes and GB, each
// with a weight (how often it is picked). Articles shared with catalogue.ts keep its sku, price and
// kcal, so both streams describe the same shop.

import type { Article } from './catalogue.js';

export interface WeightedArticle {
  readonly article: Article;
  /** Relative frequency of the article in baskets. */
  readonly weight: number;
}

const food = (
  sku: string,
  sub: string,
  price: number,
  kcal: number,
  weight: number,
  margin = 0.22,
  maxQuantity = 4,
): WeightedArticle => ({
  article: {
    sku,
    category: `groceries/${sub}`,
    group: 'grocery',
    price,
    marginRate: margin,
    kcalPerUnit: kcal,
    usage: null,
    maxQuantity,
  },
  weight,
});

const nonFood = (sku: string, category: string, price: number, margin: number, weight: number) => ({
  article: {
    sku,
    category,
    group: 'household' as const,
    price,
    marginRate: margin,
    kcalPerUnit: null,
    usage: null,
    maxQuantity: 2,
  },
  weight,
});

/** Foods that feed a household: every one has a positive kcalPerUnit. */
export const FOODS: readonly WeightedArticle[] = [
  food('G-MILK-1L', 'dairy', 1.19, 640, 10),
  food('G-YOGURT-500', 'dairy', 1.79, 350, 5),
  food('G-CHEESE-400', 'dairy', 4.99, 1600, 4),
  food('G-EGGS-10', 'dairy', 3.29, 720, 4),
  food('G-BUTTER-250', 'dairy', 2.29, 1840, 3),
  food('G-BREAD-750', 'bakery', 2.49, 1900, 10, 0.3),
  food('G-BREAD-RYE-1KG', 'bakery', 3.19, 2500, 4, 0.3),
  food('G-CROISSANT-4', 'bakery', 2.99, 1000, 2, 0.35),
  food('G-APPLES-1KG', 'produce', 2.99, 520, 6, 0.28),
  food('G-BANANAS-1KG', 'produce', 1.89, 890, 5, 0.25),
  food('G-POTATOES-2KG', 'produce', 2.49, 1540, 5, 0.25),
  food('G-CARROTS-1KG', 'produce', 1.29, 410, 3, 0.25),
  food('G-PASTA-500', 'pantry', 1.29, 1780, 7),
  food('G-RICE-1KG', 'pantry', 2.19, 3600, 3),
  food('G-FLOUR-1KG', 'pantry', 0.99, 3400, 2),
  food('G-CEREAL-500', 'pantry', 3.49, 1900, 4),
  food('G-MUESLI-750', 'pantry', 3.29, 2800, 3),
  food('G-OLIVE-OIL-1L', 'pantry', 8.99, 8240, 1, 0.18, 1),
  food('G-BAKED-BEANS-415', 'pantry', 0.99, 330, 3),
  food('G-CHICKEN-1KG', 'meat', 8.99, 2150, 3, 0.15),
  food('G-BEEF-MINCE-500', 'meat', 6.49, 1250, 3, 0.15),
  food('G-SAUSAGES-400', 'meat', 3.99, 1200, 3, 0.2),
  food('G-SALMON-250', 'fish', 5.99, 520, 2, 0.18),
  food('G-PIZZA-FROZEN', 'frozen', 3.99, 950, 4, 0.3),
  food('G-CHOCOLATE-100', 'sweets', 1.49, 540, 4, 0.35),
  food('G-JUICE-1L', 'beverages', 1.79, 450, 4, 0.25),
  food('G-BEER-6X330', 'beverages', 5.99, 850, 2, 0.25, 2),
];

/** A food line with no energy (kcalPerUnit 0): it counts in food spend but feeds nobody. */
export const ZERO_KCAL_FOODS: readonly WeightedArticle[] = [
  food('G-WATER-6X1500', 'beverages', 2.49, 0, 3, 0.3, 2),
  food('G-COFFEE-500', 'beverages', 6.99, 10, 1, 0.3, 1),
];

/** Household goods now and then in a grocery basket (no kcal). */
export const NON_FOODS: readonly WeightedArticle[] = [
  nonFood('H-DETERGENT-3L', 'household/cleaning', 9.99, 0.3, 2),
  nonFood('H-TOILET-PAPER-9', 'household/paper', 4.99, 0.25, 3),
  nonFood('H-DISH-SOAP-500', 'household/cleaning', 1.99, 0.3, 2),
  nonFood('H-BATTERIES-AA-8', 'household/electrical', 6.99, 0.4, 1),
];

const bundle = (
  sku: string,
  sub: string,
  price: number,
  unit: string,
  amountPerUnit: number,
  margin = 0.6,
) => ({
  sku,
  category: `services/${sub}`,
  group: 'service' as const,
  price,
  marginRate: margin,
  kcalPerUnit: null,
  usage: { unit, amountPerUnit },
  maxQuantity: 1000,
});

/**
 * Service bundles per usage unit, largest first (a purchase covers usage with the fewest
 * bundles); the last is pay-as-you-go (a minute, 100 MB) for the rest.
 */
export const SERVICE_BUNDLES: Readonly<Record<'minutes' | 'GB', readonly Article[]>> = {
  minutes: [
    bundle('S-MIN-10000', 'mobile-minutes', 149.0, 'minutes', 10_000),
    bundle('S-MIN-1000', 'mobile-minutes', 19.99, 'minutes', 1000),
    bundle('S-MIN-100', 'mobile-minutes', 2.49, 'minutes', 100),
    bundle('S-MIN-PAYG', 'mobile-minutes', 0.03, 'minutes', 1, 0.5),
  ],
  GB: [
    bundle('S-DATA-100GB', 'mobile-data', 39.99, 'GB', 100),
    bundle('S-DATA-10GB', 'mobile-data', 14.99, 'GB', 10),
    bundle('S-DATA-1GB', 'mobile-data', 2.99, 'GB', 1, 0.7),
    bundle('S-DATA-PAYG-100MB', 'mobile-data', 0.39, 'GB', 0.1, 0.5),
  ],
};

/** A service line whose usage unit the share-of-wallet worker does not compare (spend only). */
export const SUPPORT_HOUR: Article = bundle('S-SUPPORT-HOUR', 'support', 95.0, 'hours', 1, 0.4);
