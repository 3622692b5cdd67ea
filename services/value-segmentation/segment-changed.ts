// The one output of value segmentation: a customer moved to another value tier, with the
// evidence a marketer needs to trust the move (values, rank, thresholds, the rule that fired).

import type { DecisionContext, OutputEvent } from '../../shared/runtime/worker-definition.js';
import { topicCatalogue } from '../../shared/topics.js';
import type { ValueSegmentationSettings } from './settings.js';
import { hasThresholds, percentileOf, type TierView } from './tier-view.js';
import { bandOf, lowerThresholdOf, tiersOf, type ValueSegment, type ValueTier } from './tiers.js';
import { type Bucket, rollingValues } from './windows.js';

export const SEGMENT_CHANGED = 'segment-changed';
export const VALUE_TIER_DIMENSION = 'value-tier';

export type SegmentChangeCause = 'purchase' | 'return' | 'value-aged-out' | 'threshold-refresh';

export type SegmentChangedEvidence = {
  currency: string;
  rollingValues: Array<{ windowDays: number; valueMinor: number; orders: number }>;
  rankingWindowDays: number;
  rankingValueMinor: number;
  percentile: number | null;
  thresholds: Array<{ tier: ValueTier; minValueMinor: number; bandMinor: number }>;
  hysteresisShare: number;
  populationSize: number;
  thresholdsBoundary: number | null;
  rule: string;
};

export type SegmentChangedValue = {
  eventId: string;
  customerId: string;
  occurredAt: number;
  dimension: typeof VALUE_TIER_DIMENSION;
  fromSegment: string | null;
  toSegment: string;
  cause: SegmentChangeCause;
  causationId: string;
  evidence: SegmentChangedEvidence;
  /** CLV is estimated by the retention worker; value segmentation does not know it. */
  clvMinor: null;
  clvModelFittedAt: null;
};

export interface EvidenceInput {
  readonly buckets: readonly Bucket[];
  /** Stream time the values are computed at. */
  readonly at: number;
  readonly rankingValueMinor: number;
  /** False when the customer has left the population (no percentile then). */
  readonly inPopulation: boolean;
  readonly view: TierView | null;
  readonly rule: string;
}

export function evidenceOf(
  input: EvidenceInput,
  settings: ValueSegmentationSettings,
): SegmentChangedEvidence {
  const view = hasThresholds(input.view) ? input.view : null;
  return {
    currency: settings.valueCurrency,
    rollingValues: rollingValues(input.buckets, input.at, settings).map(
      ({ windowDays, valueMinor, orders }) => ({
        windowDays,
        valueMinor,
        orders,
      }),
    ),
    rankingWindowDays: settings.rankingWindowDays,
    rankingValueMinor: input.rankingValueMinor,
    percentile: input.inPopulation ? percentileOf(view, input.rankingValueMinor) : null,
    thresholds:
      view === null
        ? []
        : tiersOf(view.thresholds)
            .filter((tier) => tier !== 'bottom')
            .map((tier) => {
              const minValueMinor = lowerThresholdOf(tier, view.thresholds);
              return { tier, minValueMinor, bandMinor: bandOf(minValueMinor, settings) };
            }),
    hysteresisShare: settings.hysteresisShare,
    populationSize: view?.populationSize ?? 0,
    thresholdsBoundary: view?.boundary ?? null,
    rule: input.rule,
  };
}

export interface SegmentChange {
  readonly customerId: string;
  readonly fromSegment: ValueSegment | null;
  readonly toSegment: ValueSegment;
  readonly cause: SegmentChangeCause;
  readonly evidence: SegmentChangedEvidence;
  /** Event time of the input behind the change, for end-to-end latency. */
  readonly causedAtEventTime: number;
}

export function segmentChangedOutput(change: SegmentChange, ctx: DecisionContext<TierView>): OutputEvent {
  const eventId = ctx.eventId(SEGMENT_CHANGED);
  const value: SegmentChangedValue = {
    eventId,
    customerId: change.customerId,
    occurredAt: ctx.streamTime,
    dimension: VALUE_TIER_DIMENSION,
    fromSegment: change.fromSegment,
    toSegment: change.toSegment,
    cause: change.cause,
    causationId: ctx.causationId,
    evidence: change.evidence,
    clvMinor: null,
    clvModelFittedAt: null,
  };
  return {
    topic: topicCatalogue.segmentChanges.name,
    key: change.customerId,
    eventId,
    value,
    decisionKind: SEGMENT_CHANGED,
    decisionLabel: change.toSegment,
    causedAtEventTime: change.causedAtEventTime,
  };
}
