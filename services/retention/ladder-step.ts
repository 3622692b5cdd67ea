// The loyalty ladder inside the retention worker: after every change of a customer's evidence
// (a purchase, an interaction) and when its evidence ages (the ladder timer), the rung is placed
// again; a move is a segment-changed event with dimension loyalty-ladder, its rule and its CLV.

import type { SegmentChanged } from '../../shared/contracts/generated.js';
import type { DecisionContext, OutputEvent, TimerChange } from '../../shared/runtime/worker-definition.js';
import { topicCatalogue } from '../../shared/topics.js';
import { modelVersionOf, type RetentionView } from './fit-view.js';
import { LADDER_DIMENSION, ladderMove, nextPossibleFallAt, type Rung } from './ladder/ladder.js';
import { type LadderEvidence, pruneEvidence } from './ladder/ladder-evidence.js';
import type { LadderSettings } from './ladder/ladder-settings.js';
import type { PurchaseDay } from './purchase-days.js';
import { DAY_MS } from './settings.js';

export const LADDER_TIMER = 'ladder';
export const LADDER_MOVE = 'ladder-move';

export interface LadderState {
  readonly evidence: LadderEvidence;
  readonly rung: Rung | null;
}

export interface LadderStepResult {
  readonly ladder: LadderState;
  readonly outputs: OutputEvent[];
  readonly timer: TimerChange;
}

export function ladderStep(
  previous: LadderState,
  evidence: LadderEvidence,
  customerId: string,
  cause: 'purchase' | 'interaction' | 'ladder-aged-out' | 'profile',
  now: number,
  spendDays: readonly PurchaseDay[],
  /** Computed only for a move: CLV is a series evaluation, not for every purchase. */
  clvOf: () => number | null,
  currency: string,
  ctx: DecisionContext<RetentionView>,
  settings: LadderSettings,
): LadderStepResult {
  const kept = pruneEvidence(evidence, now, settings);
  const move = ladderMove(previous.rung, kept, true, now, settings);
  const fallAt = nextPossibleFallAt(kept, now, settings);
  const timer: TimerChange = { kind: LADDER_TIMER, dueAt: fallAt };
  if (move === null) return { ladder: { evidence: kept, rung: previous.rung }, outputs: [], timer };
  const windowDays = settings.clientWindowDays;
  const inWindow = spendDays.filter(([day]) => day > now - windowDays * DAY_MS && day <= now);
  const spend = inWindow.reduce((sum, [, minor]) => sum + minor, 0);
  const eventId = ctx.eventId(LADDER_MOVE);
  const clvMinor = clvOf();
  const value: SegmentChanged = {
    eventId,
    customerId,
    occurredAt: now,
    dimension: LADDER_DIMENSION,
    fromSegment: move.from,
    toSegment: move.to,
    cause,
    causationId: ctx.causationId,
    evidence: {
      currency,
      rollingValues: [{ windowDays, valueMinor: spend, orders: inWindow.length }],
      rankingWindowDays: windowDays,
      rankingValueMinor: spend,
      percentile: null,
      thresholds: [],
      hysteresisShare: 0,
      populationSize: 0,
      thresholdsBoundary: null,
      rule: move.rule,
    },
    clvMinor,
    clvModelFittedAt: clvMinor === null ? null : (modelVersionOf(ctx.population)?.clvModelFittedAt ?? null),
  };
  return {
    ladder: { evidence: kept, rung: move.to },
    outputs: [
      {
        topic: topicCatalogue.segmentChanges.name,
        key: customerId,
        eventId,
        value: value as unknown as Record<string, unknown>,
        decisionKind: LADDER_MOVE,
        decisionLabel: move.to,
        causedAtEventTime: now,
      },
    ],
    timer,
  };
}
