import { describe, expect, it } from 'vitest';
import {
  alertAccuracy,
  comparableFromOracle,
  expectSameAlerts,
  runOnInMemoryRuntime,
} from '../../test/support/share-of-wallet-check.js';
import { generateConsumptionTraffic } from '../pos-simulator/consumption.js';
import { defaultShareOfWalletSettings, shareOfWalletSettings } from './settings.js';

// The real worker on the in-memory runtime (the runtime's executable spec) against the
// independent batch oracle, on simulated households and businesses.

describe('share-of-wallet worker on the in-memory runtime', () => {
  it('equals the oracle on simulated consumption (defaults, 4 partitions)', () => {
    const traffic = generateConsumptionTraffic({ seed: 11, customers: 400, spanDays: 200 });
    const run = runOnInMemoryRuntime(traffic, defaultShareOfWalletSettings, 4);
    expect(run.result.stalledPartitions).toEqual([]);
    expect(run.oracle.stalledPartitions).toEqual([]);
    expect(run.alerts.length).toBeGreaterThan(50);
    expectSameAlerts(run.alerts, comparableFromOracle(run.oracle));
    expect(new Set(run.alerts.map((a) => a.basis))).toEqual(
      new Set(['household-calories', 'headcount-peer-usage']),
    );
    expect(alertAccuracy(run.alerts, traffic.truth).alertedWithoutUsableProfile).toBe(0);
  }, 60_000);

  it('equals the oracle with short windows, a weekly evaluation, a longer publish delay and tight peers', () => {
    const settings = shareOfWalletSettings({
      windowsDays: [14, 42],
      evaluationPeriodMs: 7 * 86_400_000,
      publishDelayMs: 14 * 86_400_000,
      cooldownMs: 21 * 86_400_000,
      minPeers: 8,
      recoveryBand: 0.05,
      confirmationMs: 7 * 86_400_000,
    });
    const traffic = generateConsumptionTraffic({ seed: 5, customers: 300, spanDays: 150, partialShare: 0.5 });
    const run = runOnInMemoryRuntime(traffic, settings, 3);
    expect(run.result.stalledPartitions).toEqual([]);
    expect(run.alerts.length).toBeGreaterThan(20);
    expectSameAlerts(run.alerts, comparableFromOracle(run.oracle));
  }, 60_000);
});
