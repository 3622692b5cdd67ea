// The decisions of the retention worker. Purchases build the BG/NBD and Gamma-Gamma summaries
// and set the silence timer at the exact time P(alive) falls below the threshold; interactions
// raise risk at once; profiles and value tiers are tables; every refit re-times every customer.

import type {
  CustomerProfile,
  Interaction,
  Purchase,
  SegmentChanged,
} from '../../shared/contracts/generated.js';
import type {
  CounterDelta,
  CustomerDecision,
  DecisionContext,
  InputRecord,
} from '../../shared/runtime/worker-definition.js';
import { topicCatalogue } from '../../shared/topics.js';
import { modelCounterFields, modelSummary, type RetentionView } from './fit-view.js';
import { addInteraction, addPurchaseDay as addLadderPurchaseDay } from './ladder/ladder-evidence.js';
import type { LadderSettings } from './ladder/ladder-settings.js';
import { ladderStep } from './ladder-step.js';
import { customerLifetimeValue } from './models/clv.js';
import type { OfferPolicy } from './offers/offer-policy.js';
import { addPurchaseDay, foldDays, retainedDaysMs, summaryOfDays } from './purchase-days.js';
import { retentionCounters } from './retention-rate.js';
import { pAliveAt, silenceDueAt } from './risk.js';
import { DAY_MS, type RetentionSettings } from './settings.js';
import { spendDeclineAt } from './spend-decline.js';
import { emptyRetentionState, type RetentionState } from './state.js';
import { type AtRisk, offerTierOf, treat, upliftField } from './treatment.js';

/** The customer's purchase summary (listed and folded days); null before the first purchase. */
export const purchaseSummary = (state: RetentionState) => summaryOfDays(state.days, state.earlier);

/**
 * The state with the purchase days no decision at or after stream time `streamTime` reads folded
 * into `earlier` (purchase-days.ts: `retainedDaysMs`). Only at decisions made at the partition's
 * stream time (purchases, timers, refits), never at a table record's own time.
 */
export function foldOldDays(state: RetentionState, streamTime: number, rc: RetentionContext): RetentionState {
  const folded = foldDays(state.days, state.earlier, streamTime - retainedDaysMs(rc.settings, rc.ladder));
  return folded.days === state.days ? state : { ...state, ...folded };
}

export type RetentionInput = Purchase | Interaction | CustomerProfile | SegmentChanged;
export const SILENCE_TIMER = 'silence';

export interface RetentionContext {
  readonly settings: RetentionSettings;
  readonly ladder: LadderSettings;
  readonly policy: OfferPolicy;
  readonly partitionCount: number;
}

type Ctx = DecisionContext<RetentionView>;

const silenceTimer = (state: RetentionState, ctx: Ctx, rc: RetentionContext) => ({
  kind: SILENCE_TIMER,
  dueAt:
    state.atRisk === null
      ? silenceDueAt(purchaseSummary(state), ctx.population, ctx.streamTime, rc.settings)
      : null,
});

/** CLV in minor units from the fitted models, or null before the first fit with spend. */
export function clvOf(
  state: RetentionState,
  view: RetentionView | null,
  now: number,
  settings: RetentionSettings,
): number | null {
  const summary = purchaseSummary(state);
  if (view === null || view.gammaGamma === null || summary === null) return null;
  const model = modelSummary(summary, summary.lastDay, settings);
  const T = Math.max(model.tx, (now - summary.firstDay) / (settings.timeUnitDays * DAY_MS));
  const meanSpend = summary.x > 0 ? summary.repeatSpendMinor / summary.x : 0;
  let clv: number;
  try {
    ({ clv } = customerLifetimeValue(
      view.bgnbd.params,
      view.gammaGamma.params,
      { ...model, T, meanSpend },
      {
        periods: settings.clv.periods,
        periodLength: settings.clv.periodDays / settings.timeUnitDays,
        discountRatePerPeriod: settings.clv.discountRatePerPeriod,
        margin: settings.clv.margin,
      },
    ));
  } catch (error) {
    // An estimate the numerics cannot give (a series that does not converge) is no reason to
    // stop the partition: the offer goes out without a CLV.
    if (error instanceof RangeError) return null;
    throw error;
  }
  return Number.isFinite(clv) ? Math.round(clv) : null;
}

/** Spend in the summaries: sales only (a return does not undo a visit). */
function saleSpendMinor(purchase: Purchase): number {
  return purchase.kind === 'SALE'
    ? purchase.lines.reduce((sum, l) => sum + l.quantity * l.unitPriceMinor, 0)
    : 0;
}

export function decidePurchase(
  previous: RetentionState | null,
  purchase: Purchase,
  ctx: Ctx,
  rc: RetentionContext,
): CustomerDecision<RetentionState> {
  const state = previous ?? emptyRetentionState;
  if (purchase.kind !== 'SALE') return { state: previous, outputs: [], timers: [] };
  const before = purchaseSummary(state);
  const { days, earlier } = foldDays(
    addPurchaseDay(state.days, purchase.occurredAt, saleSpendMinor(purchase)),
    state.earlier,
    ctx.streamTime - retainedDaysMs(rc.settings, rc.ladder),
  );
  const after = summaryOfDays(days, earlier)!;
  const counters: CounterDelta[] = [
    ...modelCounterFields(before).map((field) => ({ field, delta: -1 })),
    ...modelCounterFields(after).map((field) => ({ field, delta: 1 })),
  ];
  let lastTreatment = state.lastTreatment;
  // A purchase before the treatment expires counts as retained, for offers and holdouts alike.
  if (
    lastTreatment &&
    !lastTreatment.retained &&
    purchase.occurredAt <= lastTreatment.expiresAt &&
    purchase.occurredAt >= lastTreatment.at
  ) {
    counters.push({ field: upliftField(lastTreatment.kind, lastTreatment.tier, 'retained'), delta: 1 });
    lastTreatment = { ...lastTreatment, retained: true };
  }
  const spend = saleSpendMinor(purchase);
  const repeatDay = Math.floor(purchase.occurredAt / DAY_MS) * DAY_MS !== after.firstDay;
  const rate = retentionCounters(
    state.activePeriod,
    purchase.occurredAt,
    rc.settings.ratePeriodMs,
    offerTierOf(state.valueTier),
    spend,
    repeatDay,
  );
  counters.push(...rate.counters);
  const bought: RetentionState = {
    ...state,
    days,
    earlier,
    atRisk: null,
    lastTreatment,
    activePeriod: rate.active,
  };
  const ladder = ladderStep(
    state.ladder,
    addLadderPurchaseDay(state.ladder.evidence, purchase.occurredAt),
    purchase.customerId,
    'purchase',
    ctx.streamTime,
    days,
    () => clvOf(bought, ctx.population, ctx.streamTime, rc.settings),
    rc.settings.currency,
    ctx,
    rc.ladder,
  );
  const next: RetentionState = { ...bought, ladder: ladder.ladder };
  const decline = spendDeclineAt(days, ctx.streamTime, rc.settings);
  if (decline !== null && decline.risk >= 1 - rc.settings.riskThreshold) {
    // Buying, but far less than before: at risk now, for its price or its competition.
    const alive = pAliveAt(after, ctx.population, ctx.streamTime, rc.settings);
    const riskScore = Math.max(decline.risk, alive === null ? 0 : 1 - alive.pAlive);
    const clvMinor = clvOf(next, ctx.population, ctx.streamTime, rc.settings);
    const atRisk = atRiskDecision(
      next,
      purchase.customerId,
      { riskScore, reasons: ['spend-decline'], clvMinor },
      ctx,
      rc,
    );
    return {
      ...atRisk,
      outputs: [...ladder.outputs, ...atRisk.outputs],
      timers: [...atRisk.timers, ladder.timer],
      indexScore: 0,
      counters: [...counters, ...(atRisk.counters ?? [])],
    };
  }
  return {
    state: next,
    outputs: ladder.outputs,
    timers: [silenceTimer(next, ctx, rc), ladder.timer],
    indexScore: 0,
    counters,
  };
}

/** The risk an interaction adds at once, with its reason; null when it adds none. */
export function interactionRisk(
  interaction: Interaction,
  settings: RetentionSettings,
): { risk: number; reason: string } | null {
  const r = settings.interactionRisk;
  switch (interaction.kind) {
    case 'COMPLAINT':
      return r.complaint > 0 ? { risk: r.complaint, reason: 'dissatisfaction' } : null;
    case 'CANCELLATION_REQUEST':
      return r.cancellationRequest > 0
        ? { risk: r.cancellationRequest, reason: 'cancellation-request' }
        : null;
    case 'SURVEY':
      return interaction.surveyScore !== null &&
        interaction.surveyScore <= settings.detractorMaxScore &&
        r.detractorSurvey > 0
        ? { risk: r.detractorSurvey, reason: 'dissatisfaction' }
        : null;
    case 'OFFER_DECLINED':
      return r.offerDeclined > 0 ? { risk: r.offerDeclined, reason: 'price' } : null;
    default:
      return null;
  }
}

export function decideInteraction(
  previous: RetentionState | null,
  interaction: Interaction,
  customerId: string,
  ctx: Ctx,
  rc: RetentionContext,
): CustomerDecision<RetentionState> {
  const base = previous ?? emptyRetentionState;
  // Interactions do not move stream time; one ahead of it counts on the ladder from its own time.
  const now = Math.max(ctx.streamTime, interaction.occurredAt);
  const clv = () => clvOf(base, ctx.population, now, rc.settings);
  const ladder = ladderStep(
    base.ladder,
    addInteraction(base.ladder.evidence, interaction, rc.ladder),
    customerId,
    'interaction',
    now,
    base.days,
    clv,
    rc.settings.currency,
    ctx,
    rc.ladder,
  );
  const state: RetentionState = { ...base, ladder: ladder.ladder };
  const placed: CustomerDecision<RetentionState> = { state, outputs: ladder.outputs, timers: [ladder.timer] };
  const raised = interactionRisk(interaction, rc.settings);
  if (raised === null) return placed;
  const alive = pAliveAt(purchaseSummary(state), ctx.population, ctx.streamTime, rc.settings);
  const riskScore = Math.max(raised.risk, alive === null ? 0 : 1 - alive.pAlive);
  // Interactions raise risk directly: at or above 1 − threshold the customer is at risk now.
  if (riskScore < 1 - rc.settings.riskThreshold) return placed;
  const atRisk = atRiskDecision(
    state,
    customerId,
    { riskScore, reasons: [raised.reason], clvMinor: clv() },
    ctx,
    rc,
  );
  return {
    ...atRisk,
    outputs: [...ladder.outputs, ...atRisk.outputs],
    timers: [...atRisk.timers, ladder.timer],
  };
}

function atRiskDecision(
  state: RetentionState,
  customerId: string,
  risk: AtRisk,
  ctx: Ctx,
  rc: RetentionContext,
): CustomerDecision<RetentionState> {
  const treated = treat(state, customerId, risk, ctx, rc.policy, rc.partitionCount);
  return {
    state: treated.state,
    outputs: treated.outputs,
    // At risk: no silence timer until the next purchase closes the episode.
    timers: [{ kind: SILENCE_TIMER, dueAt: null }],
    indexScore: purchaseSummary(state) !== null ? 0 : undefined,
    counters: treated.counters,
    observations: treated.observations,
  };
}

/** The silence timer fired: no purchase since P(alive) was predicted to fall below the threshold. */
export function decideSilence(
  stored: RetentionState | null,
  customerId: string,
  ctx: Ctx,
  rc: RetentionContext,
): CustomerDecision<RetentionState> {
  if (stored === null || stored.atRisk !== null) return { state: stored, outputs: [], timers: [] };
  const state = foldOldDays(stored, ctx.streamTime, rc);
  const alive = pAliveAt(purchaseSummary(state), ctx.population, ctx.streamTime, rc.settings);
  if (alive === null) return { state, outputs: [], timers: [] };
  const reasons = ['silence'];
  return atRiskDecision(
    state,
    customerId,
    {
      riskScore: 1 - alive.pAlive,
      reasons,
      clvMinor: clvOf(state, ctx.population, ctx.streamTime, rc.settings),
    },
    ctx,
    rc,
  );
}

/**
 * A refit changes every customer's timing: re-time the silence timer. Every customer with a
 * purchase is re-decided at every refit, so here the days of a customer who stopped buying are
 * folded too, and a silent customer's state shrinks to its fixed fields.
 */
export function decideRefit(
  stored: RetentionState,
  ctx: Ctx,
  rc: RetentionContext,
): CustomerDecision<RetentionState> {
  const state = foldOldDays(stored, ctx.streamTime, rc);
  return { state, outputs: [], timers: [silenceTimer(state, ctx, rc)] };
}

export function decideProfile(
  previous: RetentionState | null,
  profile: CustomerProfile,
  ctx: Ctx,
  rc: RetentionContext,
): CustomerDecision<RetentionState> {
  const base = previous ?? emptyRetentionState;
  // The latest version by event time wins, whatever the arrival order.
  const consent =
    base.consentAt !== null && profile.occurredAt < base.consentAt
      ? {}
      : { consent: profile.marketingConsent, consentAt: profile.occurredAt };
  // A known customer without a purchase is a prospect: the ladder's first rung.
  const now = Math.max(ctx.streamTime, profile.occurredAt);
  const ladder = ladderStep(
    base.ladder,
    base.ladder.evidence,
    profile.customerId,
    'profile',
    now,
    base.days,
    () => null,
    rc.settings.currency,
    ctx,
    rc.ladder,
  );
  return {
    state: { ...base, ...consent, ladder: ladder.ladder },
    outputs: ladder.outputs,
    timers: [ladder.timer],
  };
}

/** The ladder timer: evidence left its window, the rung may fall. */
export function decideLadderAgeing(
  stored: RetentionState | null,
  customerId: string,
  ctx: Ctx,
  rc: RetentionContext,
): CustomerDecision<RetentionState> {
  if (stored === null) return { state: stored, outputs: [], timers: [] };
  const state = foldOldDays(stored, ctx.streamTime, rc);
  const ladder = ladderStep(
    state.ladder,
    state.ladder.evidence,
    customerId,
    'ladder-aged-out',
    ctx.streamTime,
    state.days,
    () => clvOf(state, ctx.population, ctx.streamTime, rc.settings),
    rc.settings.currency,
    ctx,
    rc.ladder,
  );
  return { state: { ...state, ladder: ladder.ladder }, outputs: ladder.outputs, timers: [ladder.timer] };
}

export function decideSegmentChange(
  previous: RetentionState | null,
  change: SegmentChanged,
): CustomerDecision<RetentionState> {
  if (change.dimension !== 'value-tier') return { state: previous, outputs: [], timers: [] };
  // Kept as the offer policy reads it (offerTierOf): a closed set, so a tier name of any length
  // does not grow the state.
  return {
    state: { ...(previous ?? emptyRetentionState), valueTier: offerTierOf(change.toSegment) },
    outputs: [],
    timers: [],
  };
}

export function decideRecord(
  state: RetentionState | null,
  input: InputRecord<RetentionInput>,
  ctx: Ctx,
  rc: RetentionContext,
): CustomerDecision<RetentionState> {
  switch (input.source.topic) {
    case topicCatalogue.purchases.name:
      return decidePurchase(state, input.event as Purchase, ctx, rc);
    case topicCatalogue.interactions.name:
      return decideInteraction(state, input.event as Interaction, input.customerId, ctx, rc);
    case topicCatalogue.customerProfiles.name:
      return decideProfile(state, input.event as CustomerProfile, ctx, rc);
    case topicCatalogue.segmentChanges.name:
      return decideSegmentChange(state, input.event as SegmentChanged);
    default:
      throw new Error(`retention has no input ${input.source.topic}`);
  }
}
