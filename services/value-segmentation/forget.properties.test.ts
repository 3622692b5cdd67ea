// Erasure's counter deltas over whole streams: a partition is driven through the in-memory runtime
// with random purchases, returns, late records, age-outs and views (so customers are tiered), and
// then each customer with state is forgotten in turn. The partition's counters must then be those
// of the other customers alone, and what the customer's own decisions added must net to nothing.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CounterDelta, DecisionContext } from '../../shared/runtime/worker-definition.js';
import { runInMemory } from '../../test/oracle/in-memory-driver.js';
import { type CustomerValueState, forgetCustomer } from './decide.js';
import { cellOf } from './histogram.js';
import { valueSegmentationSettings } from './settings.js';
import { decodeState } from './state-codec.js';
import { settingsArb, streamRecordArb } from './stream-arbitraries.js';
import { contextAt, day, purchaseWorth, viewWith } from './test-fixtures.js';
import type { TierView } from './tier-view.js';
import { createValueSegmentationWorker } from './worker.js';

const recordArb = streamRecordArb(
  9,
  fc.oneof(fc.integer({ min: -5_000, max: 2_000 }), fc.integer({ min: 0, max: 500_000 })),
);

function add(into: Map<string, number>, deltas: readonly CounterDelta[]): void {
  for (const { field, delta } of deltas) into.set(field, (into.get(field) ?? 0) + delta);
}

const nonZero = (m: ReadonlyMap<string, number>) => [...m].filter(([, v]) => v !== 0).sort();

/** The counters a set of customer states stands for: their histogram cells and tier sizes. */
function countersOf(states: Iterable<CustomerValueState>): Map<string, number> {
  const counters = new Map<string, number>();
  for (const state of states) {
    const c = cellOf(state.rankingValueMinor);
    add(counters, [
      { field: `h:c:${c}`, delta: 1 },
      { field: `h:s:${c}`, delta: state.rankingValueMinor },
    ]);
    if (state.tier !== null) add(counters, [{ field: `t:${state.tier}`, delta: 1 }]);
  }
  return counters;
}

describe('forgetting a customer (erasure)', () => {
  it('leaves the counters of the other customers alone, after any history', () => {
    let tieredForgotten = 0;
    fc.assert(
      fc.property(
        settingsArb,
        fc.array(recordArb, { minLength: 1, maxLength: 120, size: 'max' }),
        (settings, records) => {
          // Every decision's counter deltas, per customer, as the runtime applied them.
          const added = new Map<string, Map<string, number>>();
          const base = createValueSegmentationWorker(settings);
          const recording = <D extends { counters?: readonly CounterDelta[] }>(customerId: string, d: D) => {
            const mine = added.get(customerId) ?? new Map<string, number>();
            add(mine, d.counters ?? []);
            added.set(customerId, mine);
            return d;
          };
          const worker = {
            ...base,
            decide: ((state, input, ctx) =>
              recording(input.customerId, base.decide(state, input, ctx))) as typeof base.decide,
            onTimer: ((state, timer, ctx) =>
              recording(timer.customerId, base.onTimer(state, timer, ctx))) as typeof base.onTimer,
            population: {
              ...base.population!,
              onPopulationChange: (state: CustomerValueState, id: string, ctx: DecisionContext<TierView>) =>
                recording(id, base.population!.onPopulationChange(state, id, ctx)),
            },
          };
          let clock = Date.UTC(2024, 0, 1);
          const purchases = records.map((r) => {
            clock += r.advanceMs;
            return purchaseWorth(r.valueMinor, clock - r.lateMs, r.kind, `c${r.customer}`);
          });
          const result = runInMemory(worker, [purchases.map((p, i) => ({ offset: String(i), value: p }))]);
          const store = result.partitions[0]!;
          const states = new Map([...store.states].map(([id, encoded]) => [id, decodeState(encoded)]));
          expect(nonZero(store.counters)).toEqual(nonZero(countersOf(states.values())));

          for (const [id, state] of states) {
            if (state.tier !== null) tieredForgotten += 1;
            const after = new Map(store.counters);
            add(after, forgetCustomer(state));
            const others = [...states].filter(([other]) => other !== id).map(([, s]) => s);
            expect(nonZero(after)).toEqual(nonZero(countersOf(others)));
            // Exactly what its own decisions added, taken out again.
            const own = new Map(added.get(id));
            add(own, forgetCustomer(state));
            expect(nonZero(own)).toEqual([]);
          }
          // A customer without state (never active, or lapsed) has nothing left in the counters.
          for (const [id, own] of added) if (!states.has(id)) expect(nonZero(own)).toEqual([]);
        },
      ),
      { numRuns: 300, interruptAfterTimeLimit: 60_000, markInterruptAsFailure: true },
    );
    // The histories reach views, so tier sizes are forgotten too, not only histogram cells.
    expect(tieredForgotten).toBeGreaterThan(100);
  }, 120_000);

  it('takes out the histogram cell and the tier, and nothing of a customer without a tier', () => {
    const worker = createValueSegmentationWorker(valueSegmentationSettings());
    const tiered = worker.decide(
      null,
      {
        source: { topic: 'purchases', partition: 0, offset: '1' },
        customerId: 'c-1',
        eventTime: day(10),
        event: purchaseWorth(200_000, day(10)),
      },
      contextAt(day(10), viewWith({ top: 100_000, bottom: 10_000 })),
    ).state!;
    const c = cellOf(200_000);
    expect(worker.erasure!.forget(tiered, contextAt(day(11), null))).toEqual([
      { field: `h:c:${c}`, delta: -1 },
      { field: `h:s:${c}`, delta: -200_000 },
      { field: 't:top', delta: -1 },
    ]);
    expect(forgetCustomer({ buckets: [[day(1), 0, 1, 1]], tier: null, rankingValueMinor: 0 })).toEqual([
      { field: `h:c:${cellOf(0)}`, delta: -1 },
    ]);
    expect(worker.erasure!.timerKinds).toEqual(['age-out']);
  });
});
