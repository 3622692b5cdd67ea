// Builders shared by the unit tests of value segmentation (not a test file itself): purchases,
// input records, views with chosen thresholds, and a recording decision context.

import type { PurchaseLine } from '../../shared/contracts/generated.js';
import type { DecisionContext, InputRecord } from '../../shared/runtime/worker-definition.js';
import type { PurchaseLike } from './purchase-value.js';
import { DAY_MS } from './settings.js';
import type { TierThresholds, TierView } from './tier-view.js';

/** Midnight UTC, 2024-01-01: day boundaries are bucket and refresh boundaries by default. */
export const T0 = Date.UTC(2024, 0, 1);

export function day(n: number): number {
  return T0 + n * DAY_MS;
}

export function lineOf(
  quantity: number,
  unitPriceMinor: number,
  marginMinor: number | null = null,
  sku = 'box',
): PurchaseLine {
  return { sku, category: 'general', quantity, unitPriceMinor, marginMinor, kcalPerUnit: null, usage: null };
}

export function purchase(overrides: Partial<PurchaseLike> = {}): PurchaseLike {
  return {
    eventId: 'p-1',
    customerId: 'c-1',
    occurredAt: T0,
    kind: 'SALE',
    currency: 'EUR',
    lines: [lineOf(2, 150, 40, 'milk'), lineOf(1, 1_000, null, 'sim')],
    channel: 'store',
    storeId: 'store-1',
    returnOfEventId: null,
    ...overrides,
  };
}

/** A one-line purchase worth exactly `valueMinor` in net revenue. */
export function purchaseWorth(
  valueMinor: number,
  occurredAt: number,
  kind: 'SALE' | 'RETURN' = 'SALE',
  customerId = 'c-1',
): PurchaseLike {
  return purchase({
    customerId,
    occurredAt,
    kind,
    lines: [lineOf(1, valueMinor, null)],
  });
}

export function inputOf(event: PurchaseLike, offset = '1'): InputRecord<PurchaseLike> {
  return {
    source: { topic: 'purchases', partition: 0, offset },
    customerId: event.customerId,
    eventTime: event.occurredAt,
    event,
  };
}

/** A view with the given thresholds (cells are not needed by the decisions, except for percentiles). */
export function viewWith(
  thresholds: Partial<TierThresholds> & Pick<TierThresholds, 'top' | 'bottom'>,
  options: { populationSize?: number; boundary?: number } = {},
): TierView {
  return {
    boundary: options.boundary ?? day(-1),
    populationSize: options.populationSize ?? 100,
    thresholds: { top2: null, ...thresholds },
    cells: [],
    skew: { top2Share: 0, top20Share: 0, bottom20Share: 0 },
  };
}

/** A decision context whose event ids spell out their cause, for readable assertions. */
export function contextAt(
  streamTime: number,
  population: TierView | null,
  causationId = 'purchases/0/1',
): DecisionContext<TierView> {
  return {
    streamTime,
    partition: 0,
    population,
    causationId,
    eventId: (decisionKind: string, n = 0) => `${causationId}|${decisionKind}|${n}`,
    counter: () => 0,
  };
}
