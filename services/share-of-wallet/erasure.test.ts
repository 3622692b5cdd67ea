import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Purchase, PurchaseLine } from '../../shared/contracts/generated.js';
import { erasureDecision } from '../../shared/runtime/erasure.js';
import type { CounterDelta, DecisionContext } from '../../shared/runtime/worker-definition.js';
import { topicCatalogue } from '../../shared/topics.js';
import { decideProfile, decidePurchase } from './decide.js';
import { forgetPeerContribution } from './erasure.js';
import { evaluateCustomer } from './evaluate.js';
import { PEER_COUNTER_PREFIX, peerCounterField } from './peer-segment.js';
import type { PeerView } from './peer-view.js';
import { DAY_MS, shareOfWalletSettings } from './settings.js';
import type { ShareOfWalletState } from './state.js';
import { createShareOfWalletWorker } from './worker.js';

// The customer's contribution to the peer counters, as the worker's own decisions make it over a
// random history, is exactly what forget takes out: the partition's counters after the erasure are
// those of the same history without the customer.

const T0 = Date.UTC(2024, 0, 1);
const settings = shareOfWalletSettings({ windowsDays: [7, 14], minHistoryWindows: 1, minPeers: 1 });

function ctxAt(streamTime: number, view: PeerView | null): DecisionContext<PeerView> {
  return {
    streamTime,
    partition: 0,
    population: view,
    causationId: `test/0/${streamTime}`,
    eventId: (kind, n = 0) => `${kind}-${streamTime}-${n}`,
    counter: () => 0,
  };
}

const line = (unit: 'GB' | 'minutes' | 'kcal' | 'other', amount: number): PurchaseLine => ({
  sku: `S-${unit}`,
  category: 'test',
  quantity: 1,
  unitPriceMinor: 100,
  marginMinor: null,
  kcalPerUnit: unit === 'kcal' ? amount : null,
  usage: unit === 'GB' || unit === 'minutes' ? { unit, amountPerUnit: amount } : null,
});

type Step =
  | {
      kind: 'purchase';
      customer: number;
      hour: number;
      unit: 'GB' | 'minutes' | 'kcal' | 'other';
      amount: number;
      isReturn: boolean;
    }
  | {
      kind: 'profile';
      customer: number;
      daysBack: number;
      basis: number;
      headcount: number;
      industry: string;
    }
  | { kind: 'evaluate'; days: number; viewCells: number[] };

const CUSTOMERS = 4;
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('purchase' as const),
    customer: fc.nat(CUSTOMERS - 1),
    hour: fc.nat(23),
    unit: fc.constantFrom('GB' as const, 'minutes' as const, 'kcal' as const, 'other' as const),
    amount: fc.integer({ min: 0, max: 5000 }),
    isReturn: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('profile' as const),
    customer: fc.nat(CUSTOMERS - 1),
    daysBack: fc.integer({ min: 0, max: 20 }),
    // 0: household, 1: business, 2: business without headcount (unusable)
    basis: fc.nat(2),
    headcount: fc.integer({ min: 1, max: 400 }),
    industry: fc.constantFrom('Retail', 'retail ', 'Logistics'),
  }),
  fc.record({
    kind: fc.constant('evaluate' as const),
    days: fc.integer({ min: 1, max: 5 }),
    viewCells: fc.array(fc.integer({ min: -40, max: 400 }), { maxLength: 6 }),
  }),
);

/** Runs the history on the worker's decisions; counters per customer (field -> net delta). */
function run(steps: readonly Step[]) {
  const states = new Map<number, ShareOfWalletState>();
  const counters = new Map<number, Map<string, number>>();
  const add = (customer: number, deltas: readonly CounterDelta[] | undefined) => {
    const own = counters.get(customer) ?? new Map<string, number>();
    for (const { field, delta } of deltas ?? []) own.set(field, (own.get(field) ?? 0) + delta);
    counters.set(customer, own);
  };
  let day = T0 + 30 * DAY_MS;
  let purchaseSeq = 0;
  for (const s of steps) {
    if (s.kind === 'purchase') {
      purchaseSeq += 1;
      const purchase: Purchase = {
        eventId: `p-${purchaseSeq}`,
        customerId: `c-${s.customer}`,
        occurredAt: day + s.hour * 3_600_000,
        kind: s.isReturn ? 'RETURN' : 'SALE',
        currency: 'EUR',
        lines: [line(s.unit, s.amount)],
        channel: 'store',
        storeId: null,
        returnOfEventId: null,
      };
      const decision = decidePurchase(
        states.get(s.customer) ?? null,
        purchase,
        ctxAt(purchase.occurredAt, null),
        settings,
      );
      add(s.customer, decision.counters);
      states.set(s.customer, decision.state!);
    } else if (s.kind === 'profile') {
      const decision = decideProfile(states.get(s.customer) ?? null, {
        eventId: `pr-${s.customer}-${s.daysBack}`,
        customerId: `c-${s.customer}`,
        occurredAt: day - s.daysBack * DAY_MS,
        customerType: s.basis === 0 ? 'CONSUMER' : 'BUSINESS',
        householdMembers: s.basis === 0 ? [{ ageBand: 'ADULT_19_64' }] : [],
        business: s.basis === 1 ? { headcount: s.headcount, industry: s.industry, naceCode: null } : null,
        country: 'DE',
      } as never);
      add(s.customer, decision.counters);
      states.set(s.customer, decision.state!);
    } else {
      // An evaluation at the next boundary plus delay, every customer in id order, under a view
      // of arbitrary peers (the view changes alerts, never what the customer itself counts).
      day += s.days * DAY_MS;
      const histograms: Record<string, Array<[number, number]>> = {};
      for (const cell of s.viewCells) histograms[`7:GB:retail|50-249`] = [[cell, 3]];
      const view: PeerView = { boundary: day - DAY_MS, histograms };
      for (const customer of [...states.keys()].sort()) {
        const decision = evaluateCustomer(states.get(customer)!, `c-${customer}`, ctxAt(day, view), settings);
        add(customer, decision.counters);
        if (decision.state === null) states.delete(customer);
        else states.set(customer, decision.state);
      }
    }
  }
  return { states, counters };
}

const nonZero = (counts: ReadonlyMap<string, number>) =>
  new Map([...counts].filter(([, n]) => n !== 0).sort(([a], [b]) => (a < b ? -1 : 1)));

function sum(...maps: ReadonlyArray<ReadonlyMap<string, number>>): Map<string, number> {
  const total = new Map<string, number>();
  for (const m of maps) for (const [field, n] of m) total.set(field, (total.get(field) ?? 0) + n);
  return nonZero(total);
}

describe('share-of-wallet erasure', () => {
  it('forget takes out exactly what the customer counts: the rest is as if it had never been there', () => {
    let contributed = 0;
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 60 }), (steps) => {
        const { states, counters } = run(steps);
        for (const [erased, state] of states) {
          const forget = new Map<string, number>();
          for (const { field, delta } of forgetPeerContribution(state))
            forget.set(field, (forget.get(field) ?? 0) + delta);
          if (forget.size > 0) contributed += 1;
          // Only peer counters, each −1: a customer counts once per histogram.
          for (const [field, n] of forget) {
            expect(field.startsWith(PEER_COUNTER_PREFIX)).toBe(true);
            expect(n).toBe(-1);
          }
          const all = sum(...counters.values(), forget);
          const withoutIt = sum(...[...counters].filter(([c]) => c !== erased).map(([, m]) => m));
          expect(all).toEqual(withoutIt);
          // Its own net deltas and forget cancel out, field by field.
          expect(sum(counters.get(erased) ?? new Map(), forget)).toEqual(new Map());
        }
        // A customer whose state was deleted by an evaluation had withdrawn everything already.
        for (const [customer, own] of counters)
          if (!states.has(customer)) expect(nonZero(own)).toEqual(new Map());
      }),
      { numRuns: 400, seed: 20241 },
    );
    // The property was exercised on customers that did count somewhere.
    expect(contributed).toBeGreaterThan(50);
  });

  it('the runtime decision built from it deletes state and index entry, cancels no timer, and names only the id', () => {
    const worker = createShareOfWalletWorker(settings);
    const input = worker.inputs.find((i) => i.topic === topicCatalogue.customerErasures.name);
    expect(input?.erasure).toBe(true);
    expect(worker.erasure?.timerKinds).toEqual([]);
    const field = peerCounterField(7, 'GB', 'retail|50-249', 12);
    const state: ShareOfWalletState = {
      historyStart: T0,
      buckets: [],
      profiles: [],
      alerts: {},
      contributions: [
        { at: T0, fields: [peerCounterField(7, 'GB', 'retail|50-249', 3)] },
        { at: T0 + DAY_MS, fields: [field, peerCounterField(7, 'minutes', 'retail|50-249', 'z')] },
      ],
      valueTier: 'gold',
    };
    const decision = erasureDecision(
      worker.name,
      worker.erasure!,
      state,
      { eventId: 'er-1', customerId: 'c-9', occurredAt: T0 + 2 * DAY_MS },
      ctxAt(T0 + 3 * DAY_MS, null),
    );
    expect(decision.state).toBeNull();
    expect(decision.indexScore).toBeNull();
    expect(decision.timers).toEqual([]);
    // Only the latest contribution is counted; the older one had been replaced (−1) already.
    expect(decision.counters).toEqual([
      { field, delta: -1 },
      { field: peerCounterField(7, 'minutes', 'retail|50-249', 'z'), delta: -1 },
    ]);
    expect(decision.outputs).toHaveLength(1);
    expect(decision.outputs[0]!.value).toMatchObject({ customerId: 'c-9', populationCountersRemoved: 2 });
    expect(JSON.stringify(decision.outputs[0]!.value)).not.toContain('gold');
  });
});
