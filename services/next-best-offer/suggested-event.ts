// The NextBestOfferSuggested event of a decision: ranking's suggestions with their evidence, in the
// contract's shape. The eventId comes from the caller (the runtime's deterministic id of the
// cause and decision kind), so this stays a pure mapping.

import type {
  SuggestionKind as ContractKind,
  NextBestOfferSuggested,
  NextBestOfferSuggestion,
  NextBestOfferTrigger,
} from '../../shared/contracts/generated.js';
import type { Suggestion, SuggestionKind } from './rank.js';

export type Trigger = 'purchase' | 'due-step';

const TRIGGERS: Readonly<Record<Trigger, NextBestOfferTrigger>> = {
  purchase: 'PURCHASE',
  'due-step': 'DUE_STEP',
};
const KINDS: Readonly<Record<SuggestionKind, ContractKind>> = {
  rule: 'RULE',
  sequence: 'SEQUENCE',
  ladder: 'LADDER',
  popular: 'POPULAR',
};

export interface SuggestedEventInput {
  readonly eventId: string;
  readonly customerId: string;
  readonly occurredAt: number;
  readonly trigger: Trigger;
  readonly causationId: string;
  readonly valueTier: string;
  readonly holdout: boolean;
  readonly suggestions: readonly Suggestion[];
  /** ISO 4217 code of the prices the values were computed from. */
  readonly currency: string;
  /** Boundary of the population view in force; null before the first. */
  readonly modelViewBoundary: number | null;
}

function toContract(s: Suggestion, currency: string): NextBestOfferSuggestion {
  return {
    item: s.item,
    kind: KINDS[s.kind],
    antecedent: [...s.antecedent],
    ladder: s.ladder,
    support: s.support,
    confidence: s.confidence,
    lift: s.lift,
    basketCount: s.basketCount,
    customers: s.customers,
    customersWithFrom: s.customersWithFrom,
    stepShare: s.stepShare,
    typicalGapDays: s.typicalGapDays,
    ladderProbability: s.probability,
    walletGapBoosted: s.walletGapBoosted,
    expectedValueMinor: s.expectedValueMinor,
    currency,
  };
}

export function suggestedEvent(input: SuggestedEventInput): NextBestOfferSuggested {
  return {
    eventId: input.eventId,
    customerId: input.customerId,
    occurredAt: input.occurredAt,
    trigger: TRIGGERS[input.trigger],
    causationId: input.causationId,
    valueTier: input.valueTier,
    holdout: input.holdout,
    suggestions: input.suggestions.map((s) => toContract(s, input.currency)),
    modelViewBoundary: input.modelViewBoundary,
  };
}
