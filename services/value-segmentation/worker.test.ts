import { describe, expect, it } from 'vitest';
import { AGE_OUT_TIMER, type CustomerValueState } from './decide.js';
import { cellOf } from './histogram.js';
import { valueSegmentationSettings } from './settings.js';
import { decodeState, encodeState } from './state-codec.js';
import { contextAt, day, inputOf, purchase, purchaseWorth, viewWith } from './test-fixtures.js';
import { createValueSegmentationWorker, describeTopology } from './worker.js';

const settings = valueSegmentationSettings();
const worker = createValueSegmentationWorker(settings);

describe('the value-segmentation worker definition', () => {
  it('reads purchases, keyed and timed by the purchase', () => {
    expect(worker.name).toBe('value-segmentation');
    expect(worker.allowedLatenessMs).toBe(settings.allowedLatenessMs);
    const input = worker.inputs[0]!;
    expect([input.topic, input.schema]).toEqual(['purchases', 'Purchase']);
    const p = purchase({ customerId: 'c-42', occurredAt: day(3) });
    expect(input.customerIdOf(p)).toBe('c-42');
    expect(input.eventTimeOf(p)).toBe(day(3));
  });

  it('reads erasure requests, and profiles (tables) only so that a newer profile can re-admit', () => {
    expect(worker.inputs.map((i) => [i.topic, i.kind ?? 'stream', i.erasure ?? false])).toEqual([
      ['purchases', 'stream', false],
      ['customer-profiles', 'table', false],
      ['customer-erasures', 'table', true],
    ]);
    const first = worker.decide(
      null,
      inputOf(purchaseWorth(200_000, day(10))),
      contextAt(day(10), viewWith({ top: 100_000, bottom: 10_000 })),
    );
    const profile = {
      source: { topic: 'customer-profiles', partition: 0, offset: '7' },
      customerId: 'c-1',
      eventTime: day(12),
      event: { customerId: 'c-1', occurredAt: day(12) } as never,
    };
    const ctx = contextAt(day(12), viewWith({ top: 100_000, bottom: 10_000 }), 'customer-profiles/0/7');
    expect(worker.decide(first.state, profile, ctx)).toEqual({ state: first.state, outputs: [], timers: [] });
    expect(worker.decide(null, profile, ctx)).toEqual({ state: null, outputs: [], timers: [] });
    expect(worker.erasure?.timerKinds).toEqual([AGE_OUT_TIMER]);
    expect(worker.erasure?.forget(first.state!, ctx)).toEqual([
      { field: `h:c:${cellOf(200_000)}`, delta: -1 },
      { field: `h:s:${cellOf(200_000)}`, delta: -200_000 },
      { field: 't:top', delta: -1 },
    ]);
  });

  it('dead-letters a purchase in another currency', () => {
    const input = worker.inputs[0]!;
    expect(input.validate(purchase())).toBeNull();
    expect(input.validate(purchase({ currency: 'GBP' }))).toMatchObject({ reasonCode: 'CURRENCY_MISMATCH' });
    const usd = createValueSegmentationWorker(valueSegmentationSettings({ valueCurrency: 'USD' }));
    expect(usd.inputs[0]!.validate(purchase({ currency: 'USD' }))).toBeNull();
  });

  it('refuses bad settings at creation', () => {
    expect(() => createValueSegmentationWorker({ ...settings, rankingWindowDays: 7 })).toThrow(
      'rankingWindowDays',
    );
  });

  it('wires the decisions: purchase, age-out timer, population change', () => {
    const first = worker.decide(
      null,
      inputOf(purchaseWorth(200_000, day(10))),
      contextAt(day(10), viewWith({ top: 100_000, bottom: 10_000 })),
    );
    expect(first.state?.tier).toBe('top');
    const aged = worker.onTimer(
      first.state,
      { kind: AGE_OUT_TIMER, customerId: 'c-1', dueAt: day(375) },
      contextAt(day(375), null),
    );
    expect(aged.state).toBeNull();
    const unknownTimer = worker.onTimer(
      first.state,
      { kind: 'other', customerId: 'c-1', dueAt: day(11) },
      contextAt(day(11), null),
    );
    expect(unknownTimer).toEqual({ state: first.state, outputs: [], timers: [] });
    const refreshed = worker.population!.onPopulationChange(
      first.state!,
      'c-1',
      contextAt(day(11), viewWith({ top: 300_000, bottom: 10_000 })),
    );
    expect(refreshed.state?.tier).toBe('middle');
  });

  it('publishes thresholds from the histogram counters, and no view for an empty population', () => {
    const population = worker.population!;
    expect(population.periodMs).toBe(settings.refreshPeriodMs);
    expect(population.publishDelayMs).toBe(settings.publishDelayMs);
    expect(population.snapshotCounterPrefix).toBe('h:');
    expect(population.merge(day(1), [{}, { 'h:c:3': 0 }])).toBeNull();
    const c = cellOf(50_000);
    const view = population.merge(day(1), [{ [`h:c:${c}`]: 2, [`h:s:${c}`]: 100_000 }]);
    if (view === null) throw new Error('a population of two has a view');
    expect(view.populationSize).toBe(2);
    expect(population.affectedScoreRanges(null, view)).toEqual([
      [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY],
    ]);
  });
});

describe('customer state codec', () => {
  const state: CustomerValueState = {
    buckets: [
      [day(1), 1_200, 1, 2],
      [day(4), -300, 0, -1],
    ],
    tier: 'middle',
    rankingValueMinor: 900,
  };

  it('round-trips, deterministically', () => {
    expect(decodeState(encodeState(state))).toEqual(state);
    expect(encodeState({ rankingValueMinor: 900, tier: 'middle', buckets: state.buckets })).toBe(
      encodeState(state),
    );
    expect(worker.decodeState(worker.encodeState(state))).toEqual(state);
  });

  it('decides on a state an earlier release stored as JSON as on the same state stored compact', () => {
    const stored = JSON.stringify({
      buckets: state.buckets,
      tier: state.tier,
      rankingValueMinor: state.rankingValueMinor,
    });
    expect(worker.encodeState(state).length).toBeLessThan(stored.length / 2);
    const ctx = contextAt(day(20), viewWith({ top: 100_000, bottom: 10_000 }));
    const next = inputOf(purchaseWorth(150_000, day(20)));
    expect(worker.decide(worker.decodeState(stored), next, ctx)).toEqual(
      worker.decide(worker.decodeState(worker.encodeState(state)), next, ctx),
    );
  });

  it('refuses corrupt state instead of guessing', () => {
    expect(() => decodeState('[]')).toThrow('malformed buckets');
    expect(() => decodeState('{"buckets":[[1,2,3]],"tier":null,"rankingValueMinor":0}')).toThrow(
      'malformed buckets',
    );
    expect(() => decodeState('{"buckets":[],"tier":"gold","rankingValueMinor":0}')).toThrow('unknown tier');
    expect(() => decodeState('{"buckets":[],"tier":null}')).toThrow('ranking value');
  });
});

describe('topology', () => {
  it('describes inputs, decisions, state, timers and outputs as plain data', () => {
    expect(describeTopology(settings)).toMatchInlineSnapshot(`
      {
        "decisions": [
          {
            "causes": [
              "purchase",
              "return",
            ],
            "name": "decidePurchase",
            "on": "purchases record",
          },
          {
            "causes": [
              "value-aged-out",
            ],
            "name": "decideAgeOut",
            "on": "timer age-out",
          },
          {
            "causes": [
              "threshold-refresh",
            ],
            "name": "decideThresholdRefresh",
            "on": "population view applied",
          },
        ],
        "inputs": [
          {
            "allowedLatenessMs": 259200000,
            "deadLetters": {
              "reasons": [
                "MISSING_CUSTOMER_ID",
                "INVALID_FIELD",
                "UNKNOWN_CURRENCY",
                "CURRENCY_MISMATCH",
                "NEGATIVE_QUANTITY",
                "ABSURD_AMOUNT",
                "TOO_MANY_LINES",
                "LATE_EVENT",
              ],
              "topic": "purchases.dlq",
            },
            "eventTime": "occurredAt",
            "key": "customerId",
            "schema": "Purchase",
            "topic": "purchases",
          },
          {
            "key": "customerId",
            "kind": "table",
            "schema": "CustomerProfile",
            "topic": "customer-profiles",
            "use": "a profile later than the erasure re-admits an erased customer",
          },
          {
            "key": "customerId",
            "kind": "table",
            "schema": "CustomerErasureRequested",
            "topic": "customer-erasures",
            "use": "applied by the runtime: state, index entry, age-out timer and histogram and tier counters go",
          },
        ],
        "outputs": [
          {
            "decisionKind": "erasure-completed",
            "schema": "ErasureCompleted",
            "topic": "erasures-completed",
          },
          {
            "decisionKind": "segment-changed",
            "labels": [
              "top",
              "middle",
              "bottom",
              "lapsed",
            ],
            "schema": "SegmentChanged",
            "topic": "segment-changes",
          },
        ],
        "population": {
          "periodMs": 86400000,
          "publishDelayMs": 86400000,
          "shares": {
            "bottom": 0.2,
            "hysteresis": 0.05,
            "top": 0.2,
            "top2": 0,
          },
          "snapshotCounterPrefix": "h:",
          "view": "tier thresholds and value skew",
        },
        "state": {
          "bucketWidthMs": 86400000,
          "costToServeMinor": 0,
          "counters": [
            "h:c:<cell>",
            "h:s:<cell>",
            "t:<tier>",
          ],
          "index": "active customers scored by ranking value",
          "maxBucketsPerCustomer": 369,
          "perCustomer": "value buckets, tier, ranking value",
          "rankingWindowDays": 365,
          "valueBasis": "net-revenue",
          "valueCurrency": "EUR",
          "windowsDays": [
            30,
            90,
            365,
          ],
        },
        "timers": [
          {
            "dueAt": "earliest bucket start + ranking window over counting buckets",
            "kind": "age-out",
          },
        ],
        "worker": "value-segmentation",
      }
    `);
  });
});
