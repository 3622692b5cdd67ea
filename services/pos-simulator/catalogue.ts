// The simulated shop's catalogue: groceries with food energy, household goods, general
// merchandise, and telecom services with usage units. Prices are nominal major units
// (euros for EUR) and are converted with the currency's minor units.

export type ArticleGroup = 'grocery' | 'household' | 'general' | 'service';

export interface Article {
  readonly sku: string;
  readonly category: string;
  readonly group: ArticleGroup;
  /** Price per unit in major units. */
  readonly price: number;
  /** Gross margin as a share of the price; null when the seller does not know it (consignment). */
  readonly marginRate: number | null;
  readonly kcalPerUnit: number | null;
  readonly usage: { readonly unit: string; readonly amountPerUnit: number } | null;
  /** Most units of this article in one line, in ordinary shopping. */
  readonly maxQuantity: number;
}

const grocery = (sku: string, sub: string, price: number, kcal: number, margin = 0.22): Article => ({
  sku,
  category: `groceries/${sub}`,
  group: 'grocery',
  price,
  marginRate: margin,
  kcalPerUnit: kcal,
  usage: null,
  maxQuantity: 6,
});

const goods = (
  sku: string,
  category: string,
  group: 'household' | 'general',
  price: number,
  margin: number | null,
  maxQuantity = 3,
): Article => ({
  sku,
  category,
  group,
  price,
  marginRate: margin,
  kcalPerUnit: null,
  usage: null,
  maxQuantity,
});

const service = (
  sku: string,
  sub: string,
  price: number,
  usage: { unit: string; amountPerUnit: number } | null,
  margin = 0.6,
): Article => ({
  sku,
  category: `services/${sub}`,
  group: 'service',
  price,
  marginRate: margin,
  kcalPerUnit: null,
  usage,
  maxQuantity: 20,
});

export const CATALOGUE: readonly Article[] = [
  grocery('G-MILK-1L', 'dairy', 1.19, 640),
  grocery('G-YOGURT-500', 'dairy', 1.79, 350),
  grocery('G-CHEESE-400', 'dairy', 4.99, 1600),
  grocery('G-EGGS-10', 'dairy', 3.29, 720),
  grocery('G-BREAD-750', 'bakery', 2.49, 1900, 0.3),
  grocery('G-CROISSANT-4', 'bakery', 2.99, 1000, 0.35),
  grocery('G-APPLES-1KG', 'produce', 2.99, 520, 0.28),
  grocery('G-BANANAS-1KG', 'produce', 1.89, 890, 0.25),
  grocery('G-POTATOES-2KG', 'produce', 2.49, 1540, 0.25),
  grocery('G-PASTA-500', 'pantry', 1.29, 1780),
  grocery('G-RICE-1KG', 'pantry', 2.19, 3600),
  grocery('G-OLIVE-OIL-1L', 'pantry', 8.99, 8240, 0.18),
  grocery('G-CEREAL-500', 'pantry', 3.49, 1900),
  grocery('G-BAKED-BEANS-415', 'pantry', 0.99, 330),
  grocery('G-CHICKEN-1KG', 'meat', 8.99, 2150, 0.15),
  grocery('G-BEEF-MINCE-500', 'meat', 6.49, 1250, 0.15),
  grocery('G-SALMON-250', 'fish', 5.99, 520, 0.18),
  grocery('G-PIZZA-FROZEN', 'frozen', 3.99, 950, 0.3),
  grocery('G-CHOCOLATE-100', 'sweets', 1.49, 540, 0.35),
  grocery('G-BEER-6X330', 'beverages', 5.99, 850, 0.25),
  grocery('G-WATER-6X1500', 'beverages', 2.49, 0, 0.3),
  grocery('G-COFFEE-500', 'beverages', 6.99, 10, 0.3),
  goods('H-DETERGENT-3L', 'household/cleaning', 'household', 9.99, 0.3),
  goods('H-TOILET-PAPER-9', 'household/paper', 'household', 4.99, 0.25),
  goods('H-DISH-SOAP-500', 'household/cleaning', 'household', 1.99, 0.3),
  goods('H-BATTERIES-AA-8', 'household/electrical', 'household', 6.99, 0.4),
  goods('E-HEADPHONES', 'electronics/audio', 'general', 79.99, 0.15, 1),
  goods('E-CHARGER-USB-C', 'electronics/accessories', 'general', 24.99, 0.45, 2),
  goods('E-SMARTPHONE', 'electronics/phones', 'general', 449.0, 0.08, 1),
  goods('E-TV-55', 'electronics/tv', 'general', 599.0, 0.1, 1),
  goods('A-TSHIRT', 'apparel/tops', 'general', 14.99, 0.55),
  goods('A-JEANS', 'apparel/trousers', 'general', 59.99, 0.5, 2),
  goods('A-SHOES', 'apparel/shoes', 'general', 89.99, 0.45, 1),
  goods('B-BOOK', 'media/books', 'general', 19.99, null),
  goods('T-BOARD-GAME', 'toys/games', 'general', 29.99, null, 1),
  service('S-MOBILE-500MIN', 'mobile-minutes', 9.99, { unit: 'minutes', amountPerUnit: 500 }),
  service('S-MOBILE-UNLIMITED-MIN', 'mobile-minutes', 19.99, { unit: 'minutes', amountPerUnit: 3000 }),
  service('S-DATA-10GB', 'mobile-data', 14.99, { unit: 'GB', amountPerUnit: 10 }),
  service('S-DATA-100GB', 'mobile-data', 39.99, { unit: 'GB', amountPerUnit: 100 }),
  service('S-ROAMING-1GB', 'mobile-data', 5.0, { unit: 'GB', amountPerUnit: 1 }, 0.7),
  service('S-FIBRE-MONTH', 'broadband', 49.99, { unit: 'months', amountPerUnit: 1 }, 0.5),
  service('S-SUPPORT-HOUR', 'support', 95.0, { unit: 'hours', amountPerUnit: 1 }, 0.4),
];

export const ARTICLES_BY_GROUP: Readonly<Record<ArticleGroup, readonly Article[]>> = {
  grocery: CATALOGUE.filter((a) => a.group === 'grocery'),
  household: CATALOGUE.filter((a) => a.group === 'household'),
  general: CATALOGUE.filter((a) => a.group === 'general'),
  service: CATALOGUE.filter((a) => a.group === 'service'),
};

/** What kind of shopper a customer is: it decides the basket mix, size and channels. */
export type Archetype = 'household-shopper' | 'general-shopper' | 'business';

export interface ArchetypeSpec {
  readonly share: number;
  /** Weights of the article groups in a basket. */
  readonly groups: Readonly<Record<ArticleGroup, number>>;
  /** Multiplier of the mean basket value. */
  readonly basketFactor: number;
  readonly channels: Readonly<Record<string, number>>;
}

export const ARCHETYPES: Readonly<Record<Archetype, ArchetypeSpec>> = {
  'household-shopper': {
    share: 0.65,
    groups: { grocery: 0.82, household: 0.12, general: 0.05, service: 0.01 },
    basketFactor: 1,
    channels: { store: 0.78, web: 0.1, app: 0.12 },
  },
  'general-shopper': {
    share: 0.25,
    groups: { grocery: 0.2, household: 0.1, general: 0.6, service: 0.1 },
    basketFactor: 1.4,
    channels: { store: 0.25, web: 0.45, app: 0.3 },
  },
  business: {
    share: 0.1,
    groups: { grocery: 0.02, household: 0.08, general: 0.15, service: 0.75 },
    basketFactor: 3,
    channels: { web: 0.6, 'call-centre': 0.4 },
  },
};
