// The models the next-best-offer worker's population view carries, shared by the miner
// (basket associations), the sequence learner (up-sell steps) and the ranking. Plain data:
// a view is stored and compared as JSON, so nothing here holds functions or Maps.

/** An item as the worker sees it: a SKU or a category, per NBO_ITEM_LEVEL. */
export type Item = string;

/** An association rule with a single-item consequent, as arules reports it. */
export interface AssociationRule {
  /** Sorted ascending (string order), no duplicates, never containing the consequent. */
  readonly antecedent: readonly Item[];
  readonly consequent: Item;
  /** Baskets holding antecedent ∪ {consequent}. */
  readonly count: number;
  /** count ÷ baskets in the window. */
  readonly support: number;
  /** count ÷ baskets holding the antecedent. */
  readonly confidence: number;
  /** confidence ÷ support of the consequent. */
  readonly lift: number;
}

/** What a population has learned about customers moving from one item to the next. */
export interface SequenceStep {
  readonly from: Item;
  readonly to: Item;
  /** Customers whose first purchase of `from` was followed by a first purchase of `to` within the horizon. */
  readonly customers: number;
  /** Customers who bought `from` (the denominator of `share`). */
  readonly customersWithFrom: number;
  /** customers ÷ customersWithFrom. */
  readonly share: number;
  /** share ÷ the share of all customers who bought `to`: how much more likely after `from`. */
  readonly lift: number;
  /** Median days from the first `from` to the first `to`, over the customers who made the step. */
  readonly typicalGapDays: number;
}

/** Average unit economics of an item in the window, from purchase lines. */
export interface ItemEconomics {
  readonly item: Item;
  /** Mean unit price paid, minor units. */
  readonly unitPriceMinor: number;
  /** Mean gross margin per unit where known, minor units; null when no line carried one. */
  readonly unitMarginMinor: number | null;
  /** Baskets holding the item in the window (its support count). */
  readonly baskets: number;
}
