// One suggestion decision for a customer at `now`: rank under the view in force, pass the gates,
// and say what to produce and remember. Shared by the purchase and the due-step timer.

import type {
  CounterDelta,
  DecisionContext,
  Observation,
  OutputEvent,
} from '../../shared/runtime/worker-definition.js';
import { topicCatalogue } from '../../shared/topics.js';
import { utcDayOf } from './basket-key.js';
import { contactGate, type GateSettings, gateSuggestion } from './gates.js';
import type { Item, ItemEconomics } from './model.js';
import {
  indexRulesByFirstAntecedent,
  type PopulationEvidence,
  popularItemsOf,
  rankSuggestions,
  type Suggestion,
} from './rank.js';
import { DAY_MS, type NextBestOfferSettings } from './settings.js';
import type { NextBestOfferState } from './state.js';
import { suggestedEvent, type Trigger } from './suggested-event.js';
import type { NextBestOfferView } from './view.js';

export const NEXT_BEST_OFFER = 'next-best-offer';
export const NEXT_BEST_OFFER_HOLDOUT = 'next-best-offer-holdout';
/** Observations (metrics.ts): one per decision by outcome, one per suggestion by kind, one per converted pending suggestion. */
export const DECISION_METRIC = 'nbo_decision';
export const SUGGESTION_METRIC = 'nbo_suggestion';
export const CONVERSION_METRIC = 'nbo_conversion';

export function upliftField(
  arm: 'suggested' | 'holdout',
  tier: string,
  what: 'assigned' | 'converted',
): string {
  return `u:${arm}:${tier}:${what}`;
}

const evidenceByView = new WeakMap<NextBestOfferView, PopulationEvidence>();

/** The view as ranking reads it, built once per view object. */
export function evidenceOf(view: NextBestOfferView, settings: NextBestOfferSettings): PopulationEvidence {
  let evidence = evidenceByView.get(view);
  if (evidence === undefined) {
    evidence = {
      rules: view.rules,
      rulesByFirstAntecedent: indexRulesByFirstAntecedent(view.rules),
      steps: view.steps,
      ladders: settings.ladders,
      economics: new Map<Item, ItemEconomics>(view.economics.map((e) => [e.item, e])),
      categoryOf: new Map(),
      popular: popularItemsOf(view.economics, view.baskets),
    };
    evidenceByView.set(view, evidence);
  }
  return evidence;
}

export function recentItems(
  state: NextBestOfferState,
  now: number,
  settings: NextBestOfferSettings,
): Set<Item> {
  const firstRecentDay = utcDayOf(now) - settings.recentDays + 1;
  return new Set(state.lastBought.filter(([, day]) => day >= firstRecentDay).map(([item]) => item));
}

export function gateSettingsOf(settings: NextBestOfferSettings): GateSettings {
  return {
    cooldownDays: settings.cooldownMs / DAY_MS,
    holdoutSalt: NEXT_BEST_OFFER,
    holdoutShareByTier: settings.holdoutShareByTier,
    defaultHoldoutShare: settings.holdoutShareByTier.unknown ?? 0,
  };
}

/**
 * Categories the customer buys elsewhere that the population buys here: those of the window's
 * items (at category level the item is its category) under the prefixes of every unit share of
 * wallet alerted on within NBO_WALLET_GAP_DAYS.
 */
export function walletGapCategories(
  state: NextBestOfferState,
  view: NextBestOfferView,
  now: number,
  settings: NextBestOfferSettings,
): Set<string> {
  const gaps = new Set<string>();
  const prefixes = state.walletGaps
    .filter(([, alertedAt]) => alertedAt <= now && now - alertedAt <= settings.walletGapDays * DAY_MS)
    .flatMap(([unit]) => settings.walletGapCategories[unit] ?? []);
  if (prefixes.length === 0) return gaps;
  for (const { item } of view.economics)
    if (prefixes.some((prefix) => item.startsWith(prefix))) gaps.add(item);
  return gaps;
}

/**
 * The customer's ranked suggestions at `now` under `view`, before any gate: what a decision
 * suggests (or holds out) when the gates let it through. Also what a backtest scores.
 */
export function rankedFor(
  state: NextBestOfferState,
  now: number,
  view: NextBestOfferView,
  settings: NextBestOfferSettings,
): Suggestion[] {
  return rankSuggestions(
    {
      recentItems: recentItems(state, now, settings),
      firstDays: new Map(state.sequence.firstDays),
      walletGapCategories: walletGapCategories(state, view, now, settings),
    },
    evidenceOf(view, settings),
    utcDayOf(now),
    {
      topK: settings.topK,
      horizonDays: settings.recentDays,
      defaultMarginShare: settings.defaultMarginShare,
      walletGapBoost: settings.walletGapBoost,
      popularFill: settings.popularFill,
    },
  );
}

export interface SuggestOutcome {
  readonly state: NextBestOfferState;
  readonly outputs: OutputEvent[];
  readonly counters: CounterDelta[];
  readonly observations: Observation[];
}

export function suggest(
  state: NextBestOfferState,
  customerId: string,
  trigger: Trigger,
  now: number,
  ctx: DecisionContext<NextBestOfferView>,
  settings: NextBestOfferSettings,
): SuggestOutcome {
  const view = ctx.population;
  const tier = state.tier ?? 'unknown';
  if (view === null) return { state, outputs: [], counters: [], observations: [] };
  const gates = gateSettingsOf(settings);
  // Consent and the cooldown do not depend on the ranking: most decisions stop here, before it.
  const refused = contactGate({ consent: state.consent, lastSuggestedAt: state.lastSuggestedAt, now }, gates);
  if (refused !== null)
    return {
      state,
      outputs: [],
      counters: [],
      observations: [{ metric: DECISION_METRIC, value: 1, labels: { outcome: refused, tier, trigger } }],
    };
  const ranked = rankedFor(state, now, view, settings);
  const gate = gateSuggestion(
    {
      customerId,
      tier,
      consent: state.consent,
      lastSuggestedAt: state.lastSuggestedAt,
      now,
      suggestionCount: ranked.length,
    },
    gates,
  );
  const outcome = gate.kind === 'suppressed' ? gate.reason : gate.kind;
  const observations: Observation[] = [
    { metric: DECISION_METRIC, value: 1, labels: { outcome, tier, trigger } },
  ];
  if (gate.kind === 'suppressed') return { state, outputs: [], counters: [], observations };
  const holdout = gate.kind === 'holdout';
  const decisionKind = holdout ? NEXT_BEST_OFFER_HOLDOUT : NEXT_BEST_OFFER;
  for (const s of ranked)
    observations.push({ metric: SUGGESTION_METRIC, value: 1, labels: { kind: s.kind, tier } });
  const output: OutputEvent = {
    topic: topicCatalogue.nextBestOffers.name,
    key: customerId,
    eventId: ctx.eventId(decisionKind),
    decisionKind,
    decisionLabel: tier,
    causedAtEventTime: now,
    value: suggestedEvent({
      eventId: ctx.eventId(decisionKind),
      customerId,
      occurredAt: now,
      trigger,
      causationId: ctx.causationId,
      valueTier: tier,
      holdout,
      suggestions: ranked,
      currency: settings.currency,
      modelViewBoundary: view.boundary,
    }) as unknown as Record<string, unknown>,
  };
  return {
    state: {
      ...state,
      lastSuggestedAt: now,
      pending: { at: now, items: ranked.map((s) => s.item), holdout, tier },
    },
    outputs: [output],
    counters: [{ field: upliftField(holdout ? 'holdout' : 'suggested', tier, 'assigned'), delta: 1 }],
    observations,
  };
}

/**
 * A purchase of `items` at `now` against the suggestion watched: converted when it buys one of
 * its items within NBO_RECENT_DAYS; a watch older than that is dropped.
 */
export function watchConversion(
  state: NextBestOfferState,
  items: readonly Item[],
  now: number,
  settings: NextBestOfferSettings,
): {
  readonly state: NextBestOfferState;
  readonly counters: CounterDelta[];
  readonly observations: Observation[];
} {
  const pending = state.pending;
  if (pending === null || now < pending.at) return { state, counters: [], observations: [] };
  if (now - pending.at > settings.recentDays * DAY_MS)
    return { state: { ...state, pending: null }, counters: [], observations: [] };
  if (!items.some((item) => pending.items.includes(item))) return { state, counters: [], observations: [] };
  const arm = pending.holdout ? 'holdout' : 'suggested';
  return {
    state: { ...state, pending: null },
    counters: [{ field: upliftField(arm, pending.tier, 'converted'), delta: 1 }],
    observations: [{ metric: CONVERSION_METRIC, value: 1, labels: { arm, tier: pending.tier } }],
  };
}
