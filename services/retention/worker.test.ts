import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type DriverRecord, InMemoryRuntime } from '../../test/oracle/in-memory-driver.js';
import { retentionPopulation } from '../../test/support/retention-population.js';
import type { RetentionInput } from './decide.js';
import type { RetentionView } from './fit-view.js';
import { defaultLadderSettings, ladderSettings } from './ladder/ladder-settings.js';
import { pAlive } from './models/bgnbd.js';
import { fitBgNbd } from './models/fit.js';
import { oneTimeBuyerPAlive } from './models/one-time-buyers.js';
import { summarizeDailyPurchases } from './models/summary.js';
import { parseOfferPolicy } from './offers/offer-policy.js';
import { DAY_MS, retentionSettings } from './settings.js';
import { createRetentionWorker } from './worker.js';

// The real retention worker on the in-memory runtime (the runtime's executable spec), on a
// simulated BG/NBD population: its fit equals a batch fit of the same purchases, every silence
// decision is a customer whose P(alive) really fell below the threshold, and no customer
// without consent is offered anything.

const policy = parseOfferPolicy(
  readFileSync(new URL('../../deploy/retention-offer-policy.json', import.meta.url), 'utf8'),
  'policy',
);
const settings = retentionSettings({
  fitPeriodMs: 28 * DAY_MS,
  publishDelayMs: DAY_MS,
  minFitCustomers: 100,
});
const START = Date.UTC(2024, 0, 1);
const PARTITIONS = 3;

function partitionOf(customerId: string): number {
  return Number(customerId.slice(2)) % PARTITIONS;
}

describe('retention worker on the in-memory runtime', () => {
  const { purchases, profiles, tiers, consent } = retentionPopulation({
    customers: 1500,
    start: START,
    weeks: 52,
  });
  const worker = createRetentionWorker({
    settings,
    policy,
    partitionCount: PARTITIONS,
    ladder: defaultLadderSettings,
  });
  const runtime = new InMemoryRuntime(worker, PARTITIONS);
  for (let p = 0; p < PARTITIONS; p += 1) {
    const mine = <T extends { customerId: string }>(list: T[]) =>
      list.filter((e) => partitionOf(e.customerId) === p);
    const log: DriverRecord<RetentionInput>[] = [
      ...mine(profiles).map((value, i) => ({ offset: `p${i}`, value, topic: 'customer-profiles' })),
      ...mine(tiers).map((value, i) => ({ offset: `t${i}`, value, topic: 'segment-changes' })),
      ...mine(purchases).map((value, i) => ({ offset: String(i), value, topic: 'purchases' })),
    ];
    runtime.append(p, log);
  }
  runtime.runUntilIdle();
  const result = runtime.result();
  const views = result.views.filter((v) => v.view !== null).map((v) => v.view as RetentionView);
  const offersAndHoldouts = result.outputs.filter((o) => o.topic === 'retention-offers');

  it('fits the population from its own state exactly as a batch fit of the same purchases', () => {
    expect(result.deadLetters).toEqual([]);
    expect(result.stalledPartitions).toEqual([]);
    expect(views.length).toBeGreaterThan(5);
    const last = views.at(-1)!;
    const endDay = Math.floor(last.observedDay / DAY_MS);
    const byCustomer = new Map<string, Array<{ day: number; amount: number }>>();
    for (const p of purchases) {
      if (p.occurredAt >= last.boundary) continue;
      const list = byCustomer.get(p.customerId) ?? [];
      list.push({ day: Math.floor(p.occurredAt / DAY_MS), amount: p.lines[0]!.unitPriceMinor });
      byCustomer.set(p.customerId, list);
    }
    const summaries = [...byCustomer.values()].map(
      (days) => summarizeDailyPurchases(days, endDay, settings.timeUnitDays)!,
    );
    const batch = fitBgNbd(summaries);
    expect(last.bgnbd.customers).toBe(summaries.length);
    for (const key of ['r', 'alpha', 'a', 'b'] as const) {
      expect(Math.abs(last.bgnbd.params[key] / batch.params[key] - 1), key).toBeLessThan(1e-6);
    }
    expect(last.bgnbd.logLikelihood).toBeCloseTo(batch.logLikelihood, 6);
    expect(last.gammaGamma).not.toBeNull();
  });

  it('decides silence only for customers whose P(alive) fell below the threshold, without a purchase since', () => {
    const silence = offersAndHoldouts.filter((o) => (o.value.reasons as string[]).includes('silence'));
    expect(silence.length).toBeGreaterThan(50);
    for (const output of silence) {
      const customerId = output.key;
      const at = Number(output.value.occurredAt);
      const view = views.filter((v) => v.boundary + settings.publishDelayMs <= at).at(-1)!;
      const days = [
        ...new Set(
          purchases
            .filter((p) => p.customerId === customerId && p.occurredAt < at)
            .map((p) => Math.floor(p.occurredAt / DAY_MS)),
        ),
      ].sort((a, b) => a - b);
      const x = days.length - 1;
      const T = (at / DAY_MS - days[0]!) / settings.timeUnitDays;
      const tx = (days.at(-1)! - days[0]!) / settings.timeUnitDays;
      const alive =
        x > 0 ? pAlive(view.bgnbd.params, { x, tx, T }) : oneTimeBuyerPAlive(view.bgnbd.params, T);
      const threshold = x > 0 ? settings.riskThreshold : settings.oneTimeBuyerRiskThreshold;
      expect(alive, `P(alive) of ${customerId} at ${new Date(at).toISOString()}`).toBeLessThanOrEqual(
        threshold + 1e-9,
      );
      expect(Number(output.value.riskScore)).toBeCloseTo(1 - alive, 9);
    }
  });

  it('offers only to customers with consent, by their tier’s policy, and holds out about a tenth', () => {
    expect(offersAndHoldouts.every((o) => consent.get(o.key) === true)).toBe(true);
    const offers = offersAndHoldouts.filter((o) => o.decisionKind === 'retention-offer');
    const holdouts = offersAndHoldouts.filter((o) => o.decisionKind === 'retention-holdout');
    expect(new Set(offers.map((o) => o.decisionLabel))).toEqual(new Set(['top', 'middle']));
    const share = holdouts.length / (holdouts.length + offers.length + 1);
    expect(share).toBeGreaterThan(0.03);
    expect(share).toBeLessThan(0.25);
  });
});

describe('loyalty ladder in the retention worker', () => {
  const ladder = ladderSettings({ customerWindowDays: 90, clientWindowDays: 90 });
  const { purchases, profiles } = retentionPopulation({ customers: 600, start: START, weeks: 52, seed: 3 });
  const worker = createRetentionWorker({ settings, policy, partitionCount: 1, ladder });
  const runtime = new InMemoryRuntime(worker, 1);
  runtime.append(0, [
    ...profiles.map((value, i) => ({ offset: `p${i}`, value, topic: 'customer-profiles' })),
    ...purchases.map((value, i) => ({ offset: String(i), value, topic: 'purchases' })),
  ] as DriverRecord<RetentionInput>[]);
  runtime.runUntilIdle();
  const moves = runtime.result().outputs.filter((o) => o.decisionKind === 'ladder-move');
  const purchaseDaysIn = (customerId: string, from: number, to: number) =>
    new Set(
      purchases
        .filter((p) => p.customerId === customerId && p.occurredAt <= to)
        .map((p) => Math.floor(p.occurredAt / DAY_MS) * DAY_MS)
        .filter((day) => day > from),
    ).size;

  it('places every profiled customer as a prospect, then moves them up as they buy', () => {
    const first = new Map<string, Record<string, unknown>>();
    for (const m of moves) if (!first.has(m.key)) first.set(m.key, m.value);
    expect(first.size).toBe(profiles.length);
    expect([...first.values()].every((v) => v.toSegment === 'prospect' && v.fromSegment === null)).toBe(true);
    const reached = new Set(moves.map((m) => m.value.toSegment));
    expect(reached).toEqual(new Set(['prospect', 'customer', 'client']));
  });

  it('makes a client exactly at the third purchase day within the window, and drops it as they age out', () => {
    const ups = moves.filter((m) => m.value.toSegment === 'client');
    const downs = moves.filter((m) => m.value.fromSegment === 'client');
    expect(ups.length).toBeGreaterThan(20);
    expect(downs.length).toBeGreaterThan(10);
    for (const up of ups) {
      const at = Number(up.value.occurredAt);
      expect(up.value.cause).toBe('purchase');
      expect(purchaseDaysIn(up.key, at - 90 * DAY_MS, at)).toBeGreaterThanOrEqual(3);
    }
    for (const down of downs) {
      const at = Number(down.value.occurredAt);
      expect(down.value.cause).toBe('ladder-aged-out');
      expect(down.value.toSegment).toBe('customer');
      // At the fall the window holds two purchase days; a moment before, three.
      expect(purchaseDaysIn(down.key, at - 90 * DAY_MS, at)).toBe(2);
      expect(purchaseDaysIn(down.key, at - 1 - 90 * DAY_MS, at - 1)).toBe(3);
      expect(String((down.value.evidence as { rule: string }).rule)).toMatch(/customer/);
    }
  });
});
