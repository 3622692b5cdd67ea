// An at-risk decision: the offer policy's gates (offers/offer-gates.ts), the day's budget as this
// partition's counters hold it, the event for marketing automation, and the counters of the
// offers' uplift (treated against held-out customers of each tier).

import type { RetentionOfferIssued } from '../../shared/contracts/generated.js';
import type {
  CounterDelta,
  DecisionContext,
  Observation,
  OutputEvent,
} from '../../shared/runtime/worker-definition.js';
import { topicCatalogue } from '../../shared/topics.js';
import { modelVersionOf, type RetentionView } from './fit-view.js';
import { chooseTreatment, partitionBudgetShare, utcDay } from './offers/offer-gates.js';
import { OFFER_TIERS, type OfferPolicy, type OfferTier } from './offers/offer-policy.js';
import { DAY_MS } from './settings.js';
import type { RetentionState } from './state.js';

export const RETENTION_OFFER = 'retention-offer';
export const RETENTION_HOLDOUT = 'retention-holdout';
export const TREATMENT_METRIC = 'retention_treatment';

export function offerTierOf(valueTier: string | null): OfferTier {
  return (OFFER_TIERS as readonly string[]).includes(valueTier ?? '') ? (valueTier as OfferTier) : 'unknown';
}

export function budgetField(day: number, tier: OfferTier): string {
  return `b:${day}:${tier}`;
}

/** Every budget counter a step from `from` to `to` can charge: each day, each tier. */
export function budgetFields(from: number | null, to: number): string[] {
  const fields: string[] = [];
  for (let day = utcDay(from ?? to); day <= utcDay(to); day += 1)
    for (const tier of OFFER_TIERS) fields.push(budgetField(day, tier));
  return fields;
}

export function upliftField(kind: 'offer' | 'holdout', tier: string, what: 'assigned' | 'retained'): string {
  return `u:${kind}:${tier}:${what}`;
}

export interface AtRisk {
  readonly riskScore: number;
  readonly reasons: readonly string[];
  readonly clvMinor: number | null;
}

export interface TreatmentDecision {
  readonly state: RetentionState;
  readonly outputs: OutputEvent[];
  readonly counters: CounterDelta[];
  readonly observations: Observation[];
}

export function treat(
  state: RetentionState,
  customerId: string,
  risk: AtRisk,
  ctx: DecisionContext<RetentionView>,
  policy: OfferPolicy,
  partitionCount: number,
): TreatmentDecision {
  const now = ctx.streamTime;
  const tier = offerTierOf(state.valueTier);
  const tierPolicy = policy.tiers[tier];
  const field = budgetField(utcDay(now), tier);
  const treatment = chooseTreatment({
    customerId,
    tier,
    consent: state.consent,
    lastOfferAt: state.lastTreatment?.at ?? null,
    now,
    budgetUsedTodayMinor: ctx.counter(field),
    budgetAvailableTodayMinor: partitionBudgetShare(
      tierPolicy.dailyBudgetMinor,
      ctx.partition,
      partitionCount,
    ),
    policy,
  });
  const atRisk = {
    since: state.atRisk?.since ?? now,
    reasons: [...new Set([...(state.atRisk?.reasons ?? []), ...risk.reasons])],
  };
  const observation = (outcome: string): Observation => ({
    metric: TREATMENT_METRIC,
    value: 1,
    labels: { tier, outcome, reason: risk.reasons[0] ?? 'unknown' },
  });
  if (treatment.kind === 'suppressed') {
    return {
      state: { ...state, atRisk },
      outputs: [],
      counters: [],
      observations: [observation(treatment.reason)],
    };
  }
  const first = tierPolicy.offers[0];
  const expiresAt =
    treatment.kind === 'offer'
      ? treatment.expiresAt
      : now + (first?.validityDays ?? tierPolicy.cooldownDays) * DAY_MS;
  const kind = treatment.kind;
  const decisionKind = kind === 'offer' ? RETENTION_OFFER : RETENTION_HOLDOUT;
  const eventId = ctx.eventId(decisionKind);
  const value: RetentionOfferIssued = {
    eventId,
    customerId,
    occurredAt: now,
    valueTier: tier,
    riskScore: risk.riskScore,
    reasons: [...risk.reasons],
    holdout: kind === 'holdout',
    offer:
      treatment.kind === 'offer'
        ? {
            code: treatment.offer.code,
            description: treatment.offer.description,
            costCeilingMinor: treatment.offer.costCeilingMinor,
            currency: policy.currency,
          }
        : null,
    priority: treatment.kind === 'offer' ? treatment.offer.priority : (first?.priority ?? 1),
    expiresAt,
    currency: policy.currency,
    clvMinor: risk.clvMinor,
    model: modelVersionOf(ctx.population),
  };
  const counters: CounterDelta[] = [{ field: upliftField(kind, tier, 'assigned'), delta: 1 }];
  if (treatment.kind === 'offer') counters.push({ field, delta: treatment.offer.costCeilingMinor });
  return {
    state: { ...state, atRisk, lastTreatment: { at: now, kind, tier, expiresAt, retained: false } },
    outputs: [
      {
        topic: topicCatalogue.retentionOffers.name,
        key: customerId,
        eventId,
        value: value as unknown as Record<string, unknown>,
        decisionKind,
        decisionLabel: tier,
        causedAtEventTime: now,
      },
    ],
    counters,
    observations: [observation(kind)],
  };
}
