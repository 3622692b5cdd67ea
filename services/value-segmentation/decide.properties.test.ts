// Properties of the decisions over whole streams: a partition is driven through the in-memory
// runtime (test/oracle/in-memory-driver.ts) with random purchases, returns and late records, and
// what the decisions accumulated (states, index, histogram and tier counters, timers) is compared
// with a brute-force recomputation from the raw records.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WorkerDefinition } from '../../shared/runtime/worker-definition.js';
import { runInMemory } from '../../test/oracle/in-memory-driver.js';
import type { CustomerValueState } from './decide.js';
import { cellOf } from './histogram.js';
import { contributionOf, type PurchaseLike } from './purchase-value.js';
import { DAY_MS, type ValueSegmentationSettings } from './settings.js';
import { decodeState } from './state-codec.js';
import { settingsArb, streamRecordArb } from './stream-arbitraries.js';
import { purchaseWorth } from './test-fixtures.js';
import type { TierView } from './tier-view.js';
import { bucketStartOf, maxBucketCount, rollingValues } from './windows.js';
import { createValueSegmentationWorker } from './worker.js';

const recordArb = streamRecordArb(
  11,
  fc.oneof(fc.integer({ min: 0, max: 2_000 }), fc.integer({ min: 0, max: 500_000 })),
);

function streamOf(
  records: ReadonlyArray<typeof recordArb extends fc.Arbitrary<infer R> ? R : never>,
): PurchaseLike[] {
  let clock = Date.UTC(2024, 0, 1);
  return records.map((r) => {
    clock += r.advanceMs;
    return purchaseWorth(r.valueMinor, clock - r.lateMs, r.kind, `c${r.customer}`);
  });
}

/** The worker, checking after every decision that the customer's state stays bounded. */
function boundedChecking(
  settings: ValueSegmentationSettings,
): WorkerDefinition<PurchaseLike, CustomerValueState, TierView> {
  const worker = createValueSegmentationWorker(settings);
  const check = <D extends { state: CustomerValueState | null }>(decision: D): D => {
    expect(decision.state?.buckets.length ?? 0).toBeLessThanOrEqual(maxBucketCount(settings));
    return decision;
  };
  return {
    ...worker,
    decide: (state, input, ctx) => check(worker.decide(state, input, ctx)),
    onTimer: (state, timer, ctx) => check(worker.onTimer(state, timer, ctx)),
  };
}

describe('decisions over a whole partition', () => {
  it('keep states, index, histogram and tier counters and timers equal to a brute-force recomputation', () => {
    fc.assert(
      fc.property(
        settingsArb,
        fc.array(recordArb, { minLength: 1, maxLength: 150, size: 'max' }),
        (settings, records) => {
          const purchases = streamOf(records);
          const result = runInMemory(boundedChecking(settings), [
            purchases.map((p, i) => ({ offset: String(i), value: p })),
          ]);
          const store = result.partitions[0]!;

          // Brute force: the records that were applied (not too late), valued at the final stream time.
          let streamTime = Number.NEGATIVE_INFINITY;
          const applied: PurchaseLike[] = [];
          for (const p of purchases) {
            if (p.occurredAt < streamTime - settings.allowedLatenessMs) continue;
            streamTime = Math.max(streamTime, p.occurredAt);
            applied.push(p);
          }
          const rankingMs = settings.rankingWindowDays * DAY_MS;
          const counts = (p: PurchaseLike, windowMs: number) =>
            bucketStartOf(p.occurredAt, settings) > streamTime - windowMs;
          const active = new Map<string, number>();
          for (const p of applied) {
            if (!counts(p, rankingMs)) continue;
            active.set(
              p.customerId,
              (active.get(p.customerId) ?? 0) + contributionOf(p, settings).valueMinor,
            );
          }

          // (c) the histogram counters equal a histogram of the current values.
          const expectedCounters = new Map<string, number>();
          for (const v of active.values()) {
            const c = cellOf(v);
            expectedCounters.set(`h:c:${c}`, (expectedCounters.get(`h:c:${c}`) ?? 0) + 1);
            expectedCounters.set(`h:s:${c}`, (expectedCounters.get(`h:s:${c}`) ?? 0) + v);
          }
          const states = new Map([...store.states].map(([id, encoded]) => [id, decodeState(encoded)]));
          for (const state of states.values()) {
            if (state.tier !== null)
              expectedCounters.set(`t:${state.tier}`, (expectedCounters.get(`t:${state.tier}`) ?? 0) + 1);
          }
          const nonZero = (m: ReadonlyMap<string, number>) => [...m].filter(([, v]) => v !== 0).sort();
          expect(nonZero(store.counters)).toEqual(nonZero(expectedCounters));

          // The population: state, index score and value for exactly the active customers.
          expect([...states.keys()].sort()).toEqual([...active.keys()].sort());
          expect([...store.index].sort()).toEqual([...active].sort());
          for (const [id, state] of states) {
            expect(state.rankingValueMinor).toBe(active.get(id));
            // (a) window values up to the ranking window equal the raw records' (a lapse deletes
            // the state, so larger windows restart with the customer's return).
            for (const totals of rollingValues(state.buckets, streamTime, settings)) {
              if (totals.windowDays > settings.rankingWindowDays) continue;
              const mine = applied.filter(
                (p) => p.customerId === id && counts(p, totals.windowDays * DAY_MS),
              );
              expect(totals.valueMinor).toBe(
                mine.reduce((acc, p) => acc + contributionOf(p, settings).valueMinor, 0),
              );
              expect(totals.orders).toBe(mine.filter((p) => p.kind === 'SALE').length);
            }
            // The age-out timer is due when the oldest counting record leaves the ranking window.
            const oldest = Math.min(
              ...applied
                .filter((p) => p.customerId === id && counts(p, rankingMs))
                .map((p) => bucketStartOf(p.occurredAt, settings)),
            );
            expect(store.timers.get(id)?.get('age-out')).toBe(oldest + rankingMs);
          }
          expect([...store.timers.keys()].sort()).toEqual([...active.keys()].sort());
        },
      ),
      { numRuns: 300, interruptAfterTimeLimit: 60_000, markInterruptAsFailure: true },
    );
  }, 120_000);
});
