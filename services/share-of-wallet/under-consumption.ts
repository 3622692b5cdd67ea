// The UnderConsumptionDetected event of an alert (schemas/UnderConsumptionDetected.avsc).

import type { UnderConsumptionDetected } from '../../shared/contracts/generated.js';
import type { DecisionContext, OutputEvent } from '../../shared/runtime/worker-definition.js';
import { topicCatalogue } from '../../shared/topics.js';
import type { ShareOfWalletSettings } from './settings.js';

export const UNDER_CONSUMPTION = 'under-consumption';

export interface UnderConsumption {
  readonly windowDays: number;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly basis: string;
  readonly basisDetail: string;
  readonly unit: string;
  readonly actual: number;
  readonly expected: number;
  readonly share: number;
  readonly peerCount: number | null;
  readonly peerUsagePerEmployee: number | null;
  readonly gapUnits: number;
  readonly gapMinor: number;
  readonly priceKnown: boolean;
}

export function underConsumptionEvent(
  alert: UnderConsumption,
  customerId: string,
  valueTier: string | null,
  n: number,
  ctx: DecisionContext<unknown>,
  settings: ShareOfWalletSettings,
): OutputEvent {
  const eventId = ctx.eventId(UNDER_CONSUMPTION, n);
  const value: UnderConsumptionDetected = {
    eventId,
    customerId,
    occurredAt: ctx.streamTime,
    window: { windowDays: alert.windowDays, windowStart: alert.windowStart, windowEnd: alert.windowEnd },
    actual: alert.actual,
    expected: alert.expected,
    unit: alert.unit,
    share: alert.share,
    basis: alert.basis,
    basisDetail: alert.priceKnown
      ? alert.basisDetail
      : `${alert.basisDetail}; no price known, gap not valued`,
    peerCount: alert.peerCount,
    peerUsagePerEmployee: alert.peerUsagePerEmployee,
    gapUnits: alert.gapUnits,
    gapMinor: alert.gapMinor,
    currency: settings.currency,
    valueTier,
  };
  return {
    topic: topicCatalogue.underConsumption.name,
    key: customerId,
    eventId,
    value: value as unknown as Record<string, unknown>,
    decisionKind: UNDER_CONSUMPTION,
    decisionLabel: alert.basis,
    causedAtEventTime: ctx.streamTime,
  };
}
