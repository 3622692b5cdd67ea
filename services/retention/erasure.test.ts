// Erasure through the runtime's executable spec with the real retention worker: after erasure
// requests for a tenth of a simulated population, every population snapshot (the model counters
// the fits are made from) equals the snapshot of a run in which those customers never bought.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CustomerErasureRequested } from '../../shared/contracts/generated.js';
import { type DriverRecord, runInMemory } from '../../test/oracle/in-memory-driver.js';
import { retentionPopulation } from '../../test/support/retention-population.js';
import type { RetentionInput } from './decide.js';
import { defaultLadderSettings } from './ladder/ladder-settings.js';
import { parseOfferPolicy } from './offers/offer-policy.js';
import { DAY_MS, retentionSettings } from './settings.js';
import { createRetentionWorker } from './worker.js';

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
const PARTITIONS = 2;
const worker = createRetentionWorker({
  settings,
  policy,
  partitionCount: PARTITIONS,
  ladder: defaultLadderSettings,
});
const partitionOf = (customerId: string) => Number(customerId.slice(2)) % PARTITIONS;

describe('retention erasure on the in-memory runtime', () => {
  const { purchases, profiles, tiers } = retentionPopulation({
    customers: 600,
    start: START,
    weeks: 36,
    seed: 5,
  });
  const mid = START + 18 * 7 * DAY_MS;
  const erased = new Set(profiles.map((p) => p.customerId).filter((c) => Number(c.slice(2)) % 10 === 5));
  const logs = (withErased: boolean) =>
    Array.from({ length: PARTITIONS }, (_, p) => {
      const mine = <T extends { customerId: string }>(list: T[]) =>
        list.filter((e) => partitionOf(e.customerId) === p && (withErased || !erased.has(e.customerId)));
      const requests: CustomerErasureRequested[] = [...erased]
        .filter((c) => partitionOf(c) === p)
        .map((customerId) => ({ eventId: `erase-${customerId}`, customerId, occurredAt: mid }));
      return [
        ...mine(profiles).map((value, i) => ({ offset: `p${i}`, value, topic: 'customer-profiles' })),
        ...mine(tiers).map((value, i) => ({ offset: `t${i}`, value, topic: 'segment-changes' })),
        ...mine(purchases.filter((x) => x.occurredAt < mid)).map((value, i) => ({
          offset: `a${i}`,
          value,
          topic: 'purchases',
        })),
        ...(withErased ? requests : []).map((value, i) => ({
          offset: `e${i}`,
          value,
          topic: 'customer-erasures',
        })),
        // The erased customers' later purchases too: the runtime skips them.
        ...mine(purchases.filter((x) => x.occurredAt >= mid)).map((value, i) => ({
          offset: `b${i}`,
          value,
          topic: 'purchases',
        })),
      ] as DriverRecord<RetentionInput>[];
    });
  const withErasure = runInMemory(worker, logs(true));
  const never = runInMemory(worker, logs(false));

  it('fits every later boundary from a population without the erased customers', () => {
    expect(withErasure.stalledPartitions).toEqual([]);
    const nonZero = (snapshot: Record<string, number> | undefined) =>
      Object.fromEntries(Object.entries(snapshot ?? {}).filter(([, v]) => v !== 0));
    let compared = 0;
    for (let p = 0; p < PARTITIONS; p += 1) {
      const a = withErasure.partitions[p]!;
      for (const [boundary, snapshot] of a.snapshots) {
        if (boundary <= mid + settings.allowedLatenessMs) continue;
        expect(nonZero(snapshot), `partition ${p} at ${new Date(boundary).toISOString()}`).toEqual(
          nonZero(never.partitions[p]!.snapshots.get(boundary)),
        );
        compared += 1;
      }
      const models = (c: ReadonlyMap<string, number>) =>
        Object.fromEntries([...c].filter(([f, v]) => f.startsWith('m:') && v !== 0));
      expect(models(a.counters)).toEqual(models(never.partitions[p]!.counters));
    }
    expect(compared).toBeGreaterThan(6);
    const views = (r: typeof never) =>
      r.views.filter((v) => v.boundary > mid + 28 * DAY_MS).map((v) => v.view?.bgnbd.params);
    expect(views(withErasure).length).toBeGreaterThan(2);
  });

  it('keeps no state, index entry or timer of an erased customer, and names none after its erasure', () => {
    const done = withErasure.outputs.filter((o) => o.decisionKind === 'erasure-completed');
    expect(new Set(done.map((o) => o.key))).toEqual(erased);
    const gone = new Set<string>();
    for (const o of withErasure.outputs) {
      if (o.decisionKind === 'erasure-completed') gone.add(o.key);
      else expect(gone.has(o.key), `${o.decisionKind} of ${o.key}`).toBe(false);
    }
    for (const store of withErasure.partitions)
      for (const c of erased) {
        expect(store.states.has(c) || store.index.has(c) || store.timers.has(c)).toBe(false);
      }
  });
});
