// What to suggest to a customer next, and when. Candidates come from three sources of evidence:
// - basket rules (the miner's AssociationRule) whose antecedent the customer bought within the
//   horizon: people who buy these also buy that;
// - learned up-sell steps (sequence-steps.ts) from items the customer first bought within the
//   horizon: people who start on this go on to that, about so many days later;
// - life-cycle ladders (ladders.ts): the rung above the highest one the customer owns.
// Each is valued as what the business expects to earn: (lift | step share | ladder probability)
// × unit price × margin share, raised by a factor when the item's category is one the customer's
// peers buy and the customer does not (a share-of-wallet gap: they buy it elsewhere). An item
// the customer bought within the horizon is never suggested. The top K are kept, ties broken by
// item, so the same inputs always give the same suggestions in the same order.
// A fourth kind, `popular`, only fills the places the three leave empty: the window's most-bought
// items, in that order (baskets holding the item, most first, ties by item), valued (baskets ÷ N)
// × unit price × margin share (N: the window's baskets; the same wallet-gap factor). Without it a
// customer no rule, step or ladder speaks for gets nothing, and the best a worker could do for
// them is what everyone buys; it never goes above the evidence about the customer, whatever its
// value, because it says nothing about them.

import type { Ladder, NextRung } from './ladders.js';
import { nextRung } from './ladders.js';
import type { AssociationRule, Item, ItemEconomics, SequenceStep } from './model.js';
import { DAY_MS } from './settings.js';

export type SuggestionKind = 'rule' | 'sequence' | 'ladder' | 'popular';

/** A suggested item and the evidence for it; fields a kind does not have are null. */
export interface Suggestion {
  readonly item: Item;
  readonly kind: SuggestionKind;
  /** Rule: its antecedent; sequence: [from]; ladder: [the highest rung owned]. */
  readonly antecedent: readonly Item[];
  /** Ladder name (ladder only). */
  readonly ladder: string | null;
  /** Rule: share of the window's baskets holding its items; popular: holding the item. */
  readonly support: number | null;
  /** Rule only. */
  readonly confidence: number | null;
  readonly lift: number | null;
  /** Baskets holding the rule's items (rule), or the item (popular). */
  readonly basketCount: number | null;
  /** Customers who made the step, and who bought its `from` (sequence only). */
  readonly customers: number | null;
  readonly customersWithFrom: number | null;
  readonly stepShare: number | null;
  readonly typicalGapDays: number | null;
  /** The ladder's configured probability (ladder only). */
  readonly probability: number | null;
  /** The category is a share-of-wallet gap of the customer's, and the value was raised for it. */
  readonly walletGapBoosted: boolean;
  /** Expected margin from suggesting it, minor units (rounded). */
  readonly expectedValueMinor: number;
}

export interface RankSettings {
  /** Most suggestions kept. */
  readonly topK: number;
  /** Days an item counts as recently bought (rules fire on it, it is not suggested, steps start from it). */
  readonly horizonDays: number;
  /** Margin share of an item whose lines never carried a margin, in (0, 1]. */
  readonly defaultMarginShare: number;
  /** Factor (≥ 1) on the value of an item whose category is a share-of-wallet gap. */
  readonly walletGapBoost: number;
  /** Fill the places rules, steps and ladders leave empty with the window's most-bought items. */
  readonly popularFill: boolean;
}

export interface CustomerItems {
  /** Items bought within the horizon. */
  readonly recentItems: ReadonlySet<Item>;
  /** First-purchase UTC day of every item the customer's state holds (SequenceState.firstDays). */
  readonly firstDays: ReadonlyMap<Item, number>;
  /** Categories the customer's peers buy and the customer does not (from share of wallet). */
  readonly walletGapCategories: ReadonlySet<string>;
}

export interface PopulationEvidence {
  readonly rules: readonly AssociationRule[];
  readonly steps: readonly SequenceStep[];
  readonly ladders: readonly Ladder[];
  readonly economics: ReadonlyMap<Item, ItemEconomics>;
  /**
   * The same rules by the first item of their antecedent ('' for an empty one), when the caller
   * built it once per view: a customer's candidates are then found among the rules that can fire.
   */
  readonly rulesByFirstAntecedent?: ReadonlyMap<Item, readonly AssociationRule[]>;
  /** An item's category; an item absent is its own category (items at category level). */
  readonly categoryOf: ReadonlyMap<Item, string>;
  /**
   * The window's items by baskets holding them, most first (ties by item), and the window's
   * baskets (N): the popularity fill. Absent or empty: no fill.
   */
  readonly popular?: PopularItems;
}

export interface PopularItems {
  readonly items: readonly ItemEconomics[];
  readonly baskets: number;
}

/** Items most bought first (ties by item), those in no basket left out: PopulationEvidence.popular. */
export function popularItemsOf(economics: readonly ItemEconomics[], baskets: number): PopularItems {
  return {
    items: economics
      .filter((e) => e.baskets > 0)
      .sort((a, b) => b.baskets - a.baskets || compareText(a.item, b.item)),
    baskets,
  };
}

export function checkRankSettings(settings: RankSettings): RankSettings {
  const { topK, horizonDays, defaultMarginShare, walletGapBoost } = settings;
  if (!Number.isSafeInteger(topK) || topK < 1)
    throw new RangeError(`topK must be a positive integer (got ${topK})`);
  if (!Number.isSafeInteger(horizonDays) || horizonDays < 1)
    throw new RangeError(`horizonDays must be a positive integer (got ${horizonDays})`);
  if (!(defaultMarginShare > 0 && defaultMarginShare <= 1))
    throw new RangeError(`defaultMarginShare must be in (0, 1] (got ${defaultMarginShare})`);
  if (!(walletGapBoost >= 1 && Number.isFinite(walletGapBoost)))
    throw new RangeError(`walletGapBoost must be a finite factor ≥ 1 (got ${walletGapBoost})`);
  return settings;
}

const NO_EVIDENCE = {
  ladder: null,
  support: null,
  confidence: null,
  lift: null,
  basketCount: null,
  customers: null,
  customersWithFrom: null,
  stepShare: null,
  typicalGapDays: null,
  probability: null,
} as const;

type Candidate = Omit<Suggestion, 'walletGapBoosted' | 'expectedValueMinor'> & { readonly factor: number };

/** The lists of rules that can fire for the customer, in order: the index's, else all rules. */
function ruleListsThatCanFire(
  customer: CustomerItems,
  population: PopulationEvidence,
): Array<readonly AssociationRule[]> {
  const index = population.rulesByFirstAntecedent;
  if (index === undefined) return [population.rules];
  const lists: Array<readonly AssociationRule[]> = [];
  const empty = index.get('');
  if (empty !== undefined) lists.push(empty);
  for (const item of customer.recentItems) {
    const list = index.get(item);
    if (list !== undefined) lists.push(list);
  }
  return lists;
}

/** Rules by the first item of their antecedent, for PopulationEvidence.rulesByFirstAntecedent. */
export function indexRulesByFirstAntecedent(
  rules: readonly AssociationRule[],
): ReadonlyMap<Item, readonly AssociationRule[]> {
  const index = new Map<Item, AssociationRule[]>();
  for (const rule of rules) {
    const first = rule.antecedent[0] ?? '';
    const list = index.get(first);
    if (list === undefined) index.set(first, [rule]);
    else list.push(rule);
  }
  return index;
}

function ruleCandidate(rule: AssociationRule): Candidate {
  return {
    ...NO_EVIDENCE,
    item: rule.consequent,
    kind: 'rule',
    antecedent: rule.antecedent,
    support: rule.support,
    confidence: rule.confidence,
    lift: rule.lift,
    basketCount: rule.count,
    factor: rule.lift,
  };
}

function stepCandidate(step: SequenceStep): Candidate {
  return {
    ...NO_EVIDENCE,
    item: step.to,
    kind: 'sequence',
    antecedent: [step.from],
    customers: step.customers,
    customersWithFrom: step.customersWithFrom,
    stepShare: step.share,
    typicalGapDays: step.typicalGapDays,
    factor: step.share,
  };
}

interface LadderStep {
  readonly ladder: Ladder;
  readonly rung: NextRung;
}

function ladderCandidate({ ladder, rung }: LadderStep): Candidate {
  return {
    ...NO_EVIDENCE,
    item: rung.next,
    kind: 'ladder',
    antecedent: [rung.highestOwned],
    ladder: ladder.name,
    probability: ladder.probability,
    factor: ladder.probability,
  };
}

const KIND_ORDER: Readonly<Record<SuggestionKind, number>> = { rule: 0, sequence: 1, ladder: 2, popular: 3 };

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * True when evidence (value, kind, antecedent, ladder) ranks before `held`: higher value, then
 * rule before sequence before ladder, then antecedent and ladder text.
 */
function beats(
  exact: number,
  kind: SuggestionKind,
  antecedent: readonly Item[],
  ladder: string | null,
  held: Pick<Valued, 'exact' | 'kind' | 'antecedent' | 'ladder'>,
): boolean {
  const order =
    held.exact - exact ||
    KIND_ORDER[kind] - KIND_ORDER[held.kind] ||
    compareText(antecedent.join('\u0000'), held.antecedent.join('\u0000')) ||
    compareText(ladder ?? '', held.ladder ?? '');
  return order < 0;
}

type Valued = Suggestion & { readonly exact: number };

function walletGapBoosted(item: Item, customer: CustomerItems, population: PopulationEvidence): boolean {
  return customer.walletGapCategories.has(population.categoryOf.get(item) ?? item);
}

/** What suggesting the item is expected to earn (wallet-gap boost included); null without economics. */
function worth(
  item: Item,
  factor: number,
  customer: CustomerItems,
  population: PopulationEvidence,
  settings: RankSettings,
): number | null {
  const economics = population.economics.get(item);
  if (economics === undefined) return null;
  const marginShare =
    economics.unitMarginMinor !== null && economics.unitPriceMinor > 0
      ? economics.unitMarginMinor / economics.unitPriceMinor
      : settings.defaultMarginShare;
  const boost = walletGapBoosted(item, customer, population) ? settings.walletGapBoost : 1;
  return factor * economics.unitPriceMinor * marginShare * boost;
}

/** The candidate valued for the customer; null when it has no economics or is worth nothing. */
function valued(
  { factor, ...candidate }: Candidate,
  customer: CustomerItems,
  population: PopulationEvidence,
  settings: RankSettings,
): Valued | null {
  const exact = worth(candidate.item, factor, customer, population, settings);
  if (exact === null || !(exact > 0)) return null;
  return {
    ...candidate,
    walletGapBoosted: walletGapBoosted(candidate.item, customer, population),
    expectedValueMinor: Math.round(exact),
    exact,
  };
}

/** The evidence valuing an item highest so far, its suggestion not built yet. */
interface Held<T = unknown> {
  readonly exact: number;
  readonly kind: SuggestionKind;
  readonly antecedent: readonly Item[];
  readonly ladder: string | null;
  readonly source: T;
  readonly candidateOf: (source: T) => Candidate;
}

/** What a piece of evidence says about an item, before it is valued for the customer. */
interface Evidence {
  readonly item: Item;
  readonly kind: SuggestionKind;
  readonly antecedent: readonly Item[];
  readonly ladder: string | null;
  /** Lift, step share or ladder probability: what the item's expected margin is multiplied by. */
  readonly factor: number;
}

/** One customer's ranking: the evidence valuing each item highest so far. */
class Ranking {
  readonly best = new Map<Item, Held>();

  constructor(
    private readonly customer: CustomerItems,
    private readonly population: PopulationEvidence,
    private readonly settings: RankSettings,
  ) {}

  /**
   * Keeps the evidence for its item when it values the item highest so far. Most rules that fire
   * for a regular customer lose to one already held for their item, and only the top K are
   * suggested: a suggestion (objects of a dozen fields) is built only for those (rankSuggestions).
   */
  consider<T>(evidence: Evidence, source: T, candidateOf: (source: T) => Candidate): void {
    const { item, kind, antecedent, ladder } = evidence;
    if (this.customer.recentItems.has(item)) return;
    const exact = worth(item, evidence.factor, this.customer, this.population, this.settings);
    if (exact === null || !(exact > 0)) return;
    const held = this.best.get(item);
    if (held !== undefined && !beats(exact, kind, antecedent, ladder, held)) return;
    this.best.set(item, { exact, kind, antecedent, ladder, source, candidateOf } as Held);
  }
}

function allRecent(items: readonly Item[], recent: ReadonlySet<Item>): boolean {
  for (let i = 0; i < items.length; i += 1) if (!recent.has(items[i]!)) return false;
  return true;
}

/** The places left after `chosen`, filled with popular items the customer did not buy recently. */
function popularFill(
  chosen: readonly Suggestion[],
  customer: CustomerItems,
  population: PopulationEvidence,
  settings: RankSettings,
): Suggestion[] {
  const popular = population.popular;
  if (!settings.popularFill || popular === undefined || popular.baskets <= 0) return [];
  const taken = new Set(chosen.map((s) => s.item));
  const fill: Suggestion[] = [];
  for (const economics of popular.items) {
    if (chosen.length + fill.length >= settings.topK) break;
    if (taken.has(economics.item) || customer.recentItems.has(economics.item)) continue;
    const share = economics.baskets / popular.baskets;
    const suggestion = valued(
      {
        ...NO_EVIDENCE,
        item: economics.item,
        kind: 'popular',
        antecedent: [],
        support: share,
        basketCount: economics.baskets,
        factor: share,
      },
      customer,
      population,
      settings,
    );
    if (suggestion === null) continue;
    const { exact: _, ...kept } = suggestion;
    fill.push(kept);
  }
  return fill;
}

/**
 * The customer's top-K suggestions on UTC day `today`, best first (ties by item). One suggestion
 * per item: the evidence that values it highest. Items without economics (no price seen in the
 * window) and items worth nothing (a non-positive margin) are left out. Places still empty are
 * filled with popular items (settings.popularFill), after the others whatever their value.
 */
export function rankSuggestions(
  customer: CustomerItems,
  population: PopulationEvidence,
  today: number,
  settings: RankSettings,
): Suggestion[] {
  const ranking = new Ranking(customer, population, settings);
  const { recentItems } = customer;
  // Rules, then steps, then ladders, each in its order: the first of equal evidence is kept.
  for (const rules of ruleListsThatCanFire(customer, population)) {
    for (const rule of rules) {
      if (recentItems.has(rule.consequent) || !allRecent(rule.antecedent, recentItems)) continue;
      const { consequent: item, antecedent, lift: factor } = rule;
      ranking.consider({ item, kind: 'rule', antecedent, ladder: null, factor }, rule, ruleCandidate);
    }
  }
  for (const step of population.steps) {
    const from = customer.firstDays.get(step.from);
    if (from === undefined || today - from > settings.horizonDays || customer.firstDays.has(step.to))
      continue;
    const evidence: Evidence = {
      item: step.to,
      kind: 'sequence',
      antecedent: [step.from],
      ladder: null,
      factor: step.share,
    };
    ranking.consider(evidence, step, stepCandidate);
  }
  const owned = new Set([...customer.firstDays.keys(), ...recentItems]);
  for (const ladder of population.ladders) {
    const rung = nextRung(ladder, owned);
    if (rung === null) continue;
    const evidence: Evidence = {
      item: rung.next,
      kind: 'ladder',
      antecedent: [rung.highestOwned],
      ladder: ladder.name,
      factor: ladder.probability,
    };
    ranking.consider(evidence, { ladder, rung }, ladderCandidate);
  }
  // Sorted as the suggestions would be (expected value rounded, then item), then built.
  const ranked = [...ranking.best]
    .sort(([a, x], [b, y]) => Math.round(y.exact) - Math.round(x.exact) || compareText(a, b))
    .slice(0, settings.topK)
    .map(([, held]): Suggestion => {
      const { exact: _, ...suggestion } = valued(
        held.candidateOf(held.source),
        customer,
        population,
        settings,
      )!;
      return suggestion;
    });
  return [...ranked, ...popularFill(ranked, customer, population, settings)];
}

/** A learned step the customer has started and not finished, and when it is typically due. */
export interface DueStep {
  readonly from: Item;
  readonly to: Item;
  /** Start (00:00 UTC) of the day first(from) + typical gap, epoch ms. */
  readonly dueAt: number;
}

/**
 * The customer's open steps (from bought, to not), soonest first (ties by from, then to), and
 * the next moment one falls due after `now` — for the worker's "when" timer; null when none.
 */
export function dueSequenceSteps(
  firstDays: ReadonlyMap<Item, number>,
  steps: readonly SequenceStep[],
  now: number,
): { readonly steps: DueStep[]; readonly nextDueAt: number | null } {
  const due: DueStep[] = [];
  for (const step of steps) {
    const from = firstDays.get(step.from);
    if (from === undefined || firstDays.has(step.to)) continue;
    due.push({ from: step.from, to: step.to, dueAt: (from + step.typicalGapDays) * DAY_MS });
  }
  due.sort((a, b) => a.dueAt - b.dueAt || compareText(a.from, b.from) || compareText(a.to, b.to));
  return { steps: due, nextDueAt: due.find((d) => d.dueAt > now)?.dueAt ?? null };
}
