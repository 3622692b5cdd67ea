// Checks for share-of-wallet runs: feed simulated consumption traffic to the real worker on the
// in-memory runtime, compare its alerts with the independent oracle, and measure them against
// the simulator's ground truth.

import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import type { ConsumptionTraffic, ConsumptionTruth } from '../../services/pos-simulator/consumption.js';
import type { ShareOfWalletInput } from '../../services/share-of-wallet/decide.js';
import type { ShareOfWalletSettings } from '../../services/share-of-wallet/settings.js';
import { createShareOfWalletWorker } from '../../services/share-of-wallet/worker.js';
import type { CustomerProfile, Purchase } from '../../shared/contracts/generated.js';
import { type DriverRecord, InMemoryRuntime } from '../oracle/in-memory-driver.js';
import { computeShareOfWallet, type SowOracleOutput } from '../oracle/share-of-wallet-oracle.js';

/** The fields of an alert both sides compute (numbers compared with a relative tolerance). */
export interface ComparableAlert {
  readonly eventId: string;
  readonly customerId: string;
  readonly occurredAt: number;
  readonly windowDays: number;
  readonly unit: string;
  readonly basis: string;
  readonly actual: number;
  readonly expected: number;
  readonly share: number;
  readonly gapMinor: number;
  readonly peerCount: number | null;
}

export function comparableFromEvent(event: Record<string, unknown>): ComparableAlert {
  const window = event.window as { windowDays: number };
  return {
    eventId: String(event.eventId),
    customerId: String(event.customerId),
    occurredAt: Number(event.occurredAt),
    windowDays: window.windowDays,
    unit: String(event.unit),
    basis: String(event.basis),
    actual: Number(event.actual),
    expected: Number(event.expected),
    share: Number(event.share),
    gapMinor: Number(event.gapMinor),
    peerCount: (event.peerCount as number | null) ?? null,
  };
}

export function comparableFromOracle(oracle: SowOracleOutput): ComparableAlert[] {
  return oracle.alerts.map((a) => ({
    eventId: a.eventId,
    customerId: a.customerId,
    occurredAt: a.occurredAt,
    windowDays: a.windowDays,
    unit: a.unit,
    basis: a.basis,
    actual: a.actual,
    expected: a.expected,
    share: a.share,
    gapMinor: a.gapMinor,
    peerCount: a.peerCount,
  }));
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

/** Same alerts, by event id: every field equal, numbers up to summation order (1e-9 relative). */
export function expectSameAlerts(
  actual: readonly ComparableAlert[],
  expected: readonly ComparableAlert[],
): void {
  const byId = (list: readonly ComparableAlert[]) => new Map(list.map((a) => [a.eventId, a]));
  const a = byId(actual);
  const e = byId(expected);
  expect(a.size, 'alert ids are unique').toBe(actual.length);
  const missing = [...e.keys()].filter((id) => !a.has(id));
  const extra = [...a.keys()].filter((id) => !e.has(id));
  expect({ missing: missing.map((id) => e.get(id)), extra: extra.map((id) => a.get(id)) }).toEqual({
    missing: [],
    extra: [],
  });
  for (const [id, x] of a) {
    const y = e.get(id)!;
    const { actual: xa, expected: xe, share: xs, gapMinor: xg, ...xRest } = x;
    const { actual: ya, expected: ye, share: ys, gapMinor: yg, ...yRest } = y;
    expect(xRest).toEqual(yRest);
    expect(close(xa, ya) && close(xe, ye) && close(xs, ys), `numbers of alert ${id}`).toBe(true);
    expect(Math.abs(xg - yg), `gap of alert ${id}`).toBeLessThanOrEqual(1);
  }
}

/** kafkajs-independent stand-in partitioner for in-memory runs. */
export function partitionOfKey(key: string, partitions: number): number {
  return createHash('sha1').update(key).digest().readUInt32BE(0) % partitions;
}

/** Profiles first (as if consumed before any purchase), then purchases in event-time order. */
export function runOnInMemoryRuntime(
  traffic: ConsumptionTraffic,
  settings: ShareOfWalletSettings,
  partitions: number,
) {
  const worker = createShareOfWalletWorker(settings);
  const runtime = new InMemoryRuntime(worker, partitions);
  const profiles: CustomerProfile[][] = Array.from({ length: partitions }, () => []);
  const purchases: Purchase[][] = Array.from({ length: partitions }, () => []);
  for (const r of traffic.profiles) profiles[partitionOfKey(r.key, partitions)]!.push(r.event);
  for (const r of traffic.purchases) purchases[partitionOfKey(r.key, partitions)]!.push(r.event);
  for (let p = 0; p < partitions; p += 1) {
    const log: DriverRecord<ShareOfWalletInput>[] = [
      ...profiles[p]!.map((value, i) => ({ offset: String(i), value, topic: 'customer-profiles' })),
      ...purchases[p]!.map((value, i) => ({ offset: String(i), value, topic: 'purchases' })),
    ];
    runtime.append(p, log);
  }
  runtime.runUntilIdle();
  const result = runtime.result();
  const oracle = computeShareOfWallet({
    settings,
    profiles,
    partitions: purchases.map((list) =>
      list.map((purchase, i) => ({ offset: String(i), customerId: purchase.customerId, purchase })),
    ),
  });
  return {
    result,
    alerts: result.outputs.map((o) => comparableFromEvent(o.value)),
    oracle,
  };
}

export interface AlertAccuracy {
  /** Customers with a usable profile buying less than half their needs here. */
  readonly underConsumers: number;
  readonly underConsumersAlerted: number;
  /** Customers with a usable profile buying all their needs here (share ≥ 0.9). */
  readonly fullBuyers: number;
  readonly fullBuyersAlerted: number;
  readonly alertedCustomers: number;
  readonly recall: number;
  readonly falseAlertRate: number;
  readonly precision: number;
  /** Alerted customers without a usable profile: must be 0. */
  readonly alertedWithoutUsableProfile: number;
}

/** Customer-level accuracy of the alerts against the simulator's ground truth. */
export function alertAccuracy(
  alerts: readonly ComparableAlert[],
  truth: ReadonlyMap<string, ConsumptionTruth>,
): AlertAccuracy {
  const alerted = new Set(alerts.map((a) => a.customerId));
  const usable = [...truth.values()].filter((t) => t.profileStatus === 'ok' || t.profileStatus === 'changed');
  const under = usable.filter((t) => t.shareHere < 0.5);
  const full = usable.filter((t) => t.shareHere >= 0.9);
  const underAlerted = under.filter((t) => alerted.has(t.customerId)).length;
  const fullAlerted = full.filter((t) => alerted.has(t.customerId)).length;
  const truePositives = [...alerted].filter((id) => (truth.get(id)?.shareHere ?? 1) < 0.5).length;
  return {
    underConsumers: under.length,
    underConsumersAlerted: underAlerted,
    fullBuyers: full.length,
    fullBuyersAlerted: fullAlerted,
    alertedCustomers: alerted.size,
    recall: underAlerted / under.length,
    falseAlertRate: fullAlerted / full.length,
    precision: alerted.size === 0 ? 0 : truePositives / alerted.size,
    alertedWithoutUsableProfile: [...alerted].filter((id) => {
      const status = truth.get(id)?.profileStatus;
      return status !== 'ok' && status !== 'changed';
    }).length,
  };
}
