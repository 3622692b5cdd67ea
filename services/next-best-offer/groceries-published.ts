// arules' published figures for the Groceries baskets (shared/data/groceries/SOURCE.md, "Published
// reference figures"), which every Groceries check of the miner compares against: the pure one
// (verify-groceries.ts) and the one through Kafka into the worker (test/datasets/).

import type { MiningOptions } from './apriori.js';

/** summary(Groceries): 9,835 transactions × 169 items. */
export const GROCERIES_TRANSACTIONS = 9835;
export const GROCERIES_ITEMS = 169;

export interface ExpectedRule {
  readonly antecedent: readonly string[];
  readonly consequent: string;
  readonly support: number;
  readonly confidence: number;
  readonly lift: number;
  /** Where the source prints it. */
  readonly count?: number;
  /** The highest-lift rule of its setting. */
  readonly top?: boolean;
}

export interface PublishedSetting {
  readonly name: string;
  readonly options: MiningOptions;
  readonly rules: number;
  readonly lengths: Readonly<Record<number, number>>;
  readonly examples: readonly ExpectedRule[];
}

export const GROCERIES_SETTINGS: readonly PublishedSetting[] = [
  {
    // Standard arules example output.
    name: 'supp 0.001, conf 0.8',
    options: { minSupport: 0.001, minConfidence: 0.8, minLen: 1, maxLen: 10 },
    rules: 410,
    lengths: { 3: 29, 4: 229, 5: 140, 6: 12 },
    examples: [
      {
        antecedent: ['liquor', 'red/blush wine'],
        consequent: 'bottled beer',
        support: 0.001931876,
        confidence: 0.9047619,
        lift: 11.235269,
        count: 19,
        top: true,
      },
    ],
  },
  {
    // arulesViz introduction example.
    name: 'supp 0.001, conf 0.5',
    options: { minSupport: 0.001, minConfidence: 0.5, minLen: 1, maxLen: 10 },
    rules: 5668,
    lengths: { 2: 11, 3: 1461, 4: 3211, 5: 939, 6: 46 },
    examples: [
      {
        antecedent: ['honey'],
        consequent: 'whole milk',
        support: 0.001118454,
        confidence: 0.7333333,
        lift: 2.870009,
      },
    ],
  },
  {
    // Lantz, Machine Learning with R, ch. 8 (the book's "potted plants" is arules' "pot plants").
    name: 'supp 0.006, conf 0.25, minlen 2',
    options: { minSupport: 0.006, minConfidence: 0.25, minLen: 2, maxLen: 10 },
    rules: 463,
    lengths: { 2: 150, 3: 297, 4: 16 },
    examples: [
      {
        antecedent: ['pot plants'],
        consequent: 'whole milk',
        support: 0.006914082,
        confidence: 0.4,
        lift: 1.56546,
        count: 68,
      },
      {
        antecedent: ['pasta'],
        consequent: 'whole milk',
        support: 0.006100661,
        confidence: 0.4054054,
        lift: 1.586614,
        count: 60,
      },
      {
        antecedent: ['herbs'],
        consequent: 'root vegetables',
        support: 0.00701576,
        confidence: 0.43125,
        lift: 3.956477,
      },
    ],
  },
];
