// Erasure in the retention worker: for random histories of a few customers in one partition,
// applying the worker's own counter deltas and then `forget` of one customer leaves the model
// counters exactly as a run of the same history without that customer, takes the customer out of
// its open retention cohort and open treatment, and leaves the business's history (closed
// cohorts, revenue, finished treatments, budget spent) as it was.

import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type {
  CustomerProfile,
  Interaction,
  Purchase,
  SegmentChanged,
} from '../../shared/contracts/generated.js';
import {
  sampleConsumerProfile,
  sampleInteraction,
  samplePurchase,
  sampleSegmentChanged,
} from '../../shared/contracts/samples.js';
import type {
  CustomerDecision,
  DecisionContext,
  WorkerDefinition,
} from '../../shared/runtime/worker-definition.js';
import { topicCatalogue } from '../../shared/topics.js';
import { CDNOW_LIKE } from '../../test/support/retention-population.js';
import type { RetentionInput } from './decide.js';
import type { RetentionView } from './fit-view.js';
import { defaultLadderSettings } from './ladder/ladder-settings.js';
import { parseOfferPolicy } from './offers/offer-policy.js';
import { DAY_MS, retentionSettings } from './settings.js';
import type { RetentionState } from './state.js';
import { createRetentionWorker } from './worker.js';

const policy = parseOfferPolicy(
  readFileSync(new URL('../../deploy/retention-offer-policy.json', import.meta.url), 'utf8'),
  'policy',
);
const settings = retentionSettings({ ratePeriodMs: 20 * DAY_MS });
const rc = { settings, policy, ladder: defaultLadderSettings, partitionCount: 1 };
const worker: WorkerDefinition<RetentionInput, RetentionState, RetentionView> = createRetentionWorker(rc);
const START = Date.UTC(2024, 0, 1);
/** A view in force, so that silence timers find customers at risk and treatments happen. */
const view: RetentionView = {
  boundary: START,
  observedDay: START,
  bgnbd: { params: CDNOW_LIKE, logLikelihood: -1, customers: 100, converged: true, fittedAt: START },
  gammaGamma: {
    params: { p: 6, q: 4, gamma: 1500 },
    logLikelihood: -1,
    customers: 100,
    converged: true,
    fittedAt: START,
  },
};

type Step =
  | { kind: 'sale' | 'return'; customer: number; advanceMs: number; lateMs: number; minor: number }
  | { kind: 'complaint' | 'profile' | 'tier' | 'silence' | 'ladder' | 'refit'; customer: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constantFrom<'sale' | 'return'>('sale', 'sale', 'sale', 'return'),
      customer: fc.integer({ min: 0, max: 3 }),
      advanceMs: fc.oneof(fc.integer({ min: 0, max: DAY_MS }), fc.integer({ min: 0, max: 40 * DAY_MS })),
      lateMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: settings.allowedLatenessMs })),
      minor: fc.integer({ min: 1, max: 50_000 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constantFrom<'complaint' | 'profile' | 'tier' | 'silence' | 'ladder' | 'refit'>(
        'complaint',
        'profile',
        'tier',
        'silence',
        'ladder',
        'refit',
      ),
      customer: fc.integer({ min: 0, max: 3 }),
    }),
  },
);

const idOf = (n: number) => `c-${n}`;

interface Run {
  readonly counters: Map<string, number>;
  readonly states: Map<string, RetentionState>;
  readonly offers: Array<{ customerId: string; at: number; expiresAt: number; step: number }>;
  readonly sales: Array<{ customerId: string; occurredAt: number; step: number }>;
  readonly streamTime: number;
}

/**
 * Applies `steps` with the worker's pure decisions, as the runtime would in one partition; a step
 * of a customer in `without` moves stream time only (so others' decisions see the same times).
 */
function run(steps: readonly Step[], without: number | null, endAdvanceMs: number): Run {
  const counters = new Map<string, number>();
  const states = new Map<string, RetentionState>();
  const offers: Run['offers'] = [];
  const sales: Run['sales'] = [];
  let streamTime = START;
  let n = 0;
  const ctx = (): DecisionContext<RetentionView> => {
    const cause = `step/${n}`;
    return {
      streamTime,
      partition: 0,
      population: view,
      causationId: cause,
      eventId: (kind, i = 0) => `${cause}/${kind}/${i}`,
      counter: (field) => counters.get(field) ?? 0,
    };
  };
  const apply = (customerId: string, decision: CustomerDecision<RetentionState>) => {
    if (decision.state === null) states.delete(customerId);
    else states.set(customerId, decision.state);
    for (const { field, delta } of decision.counters ?? [])
      counters.set(field, (counters.get(field) ?? 0) + delta);
    for (const o of decision.outputs)
      if (o.topic === topicCatalogue.retentionOffers.name)
        offers.push({
          customerId,
          at: Number(o.value.occurredAt),
          expiresAt: Number(o.value.expiresAt),
          step: n,
        });
  };
  const record = (topic: string, customerId: string, eventTime: number, event: RetentionInput) => ({
    source: { topic, partition: 0, offset: String(n) },
    customerId,
    eventTime,
    event,
  });
  for (const step of steps) {
    n += 1;
    const customerId = idOf(step.customer);
    if (step.kind === 'sale' || step.kind === 'return') {
      const ahead = streamTime + step.advanceMs;
      const t = step.lateMs > 0 ? streamTime - step.lateMs : ahead;
      streamTime = Math.max(streamTime, t);
      if (step.customer === without) continue;
      const purchase: Purchase = {
        ...samplePurchase(),
        eventId: `p-${n}`,
        customerId,
        occurredAt: t,
        kind: step.kind === 'sale' ? 'SALE' : 'RETURN',
        lines: [{ ...samplePurchase().lines[0]!, quantity: 1, unitPriceMinor: step.minor }],
      };
      if (step.kind === 'sale') sales.push({ customerId, occurredAt: t, step: n });
      apply(
        customerId,
        worker.decide(states.get(customerId) ?? null, record('purchases', customerId, t, purchase), ctx()),
      );
      continue;
    }
    if (step.customer === without) continue;
    const state = states.get(customerId) ?? null;
    switch (step.kind) {
      case 'complaint': {
        const complaint: Interaction = {
          ...sampleInteraction(),
          eventId: `i-${n}`,
          customerId,
          occurredAt: streamTime,
          kind: 'COMPLAINT',
          surveyScore: null,
        };
        apply(
          customerId,
          worker.decide(state, record('interactions', customerId, streamTime, complaint), ctx()),
        );
        break;
      }
      case 'profile': {
        const profile: CustomerProfile = {
          ...sampleConsumerProfile(),
          customerId,
          occurredAt: streamTime,
          marketingConsent: true,
        };
        apply(
          customerId,
          worker.decide(state, record('customer-profiles', customerId, streamTime, profile), ctx()),
        );
        break;
      }
      case 'tier': {
        const tier: SegmentChanged = {
          ...sampleSegmentChanged(),
          customerId,
          occurredAt: streamTime,
          toSegment: ['top', 'bottom', 'middle'][n % 3]!,
        };
        apply(
          customerId,
          worker.decide(state, record('segment-changes', customerId, streamTime, tier), ctx()),
        );
        break;
      }
      case 'silence':
      case 'ladder':
        apply(customerId, worker.onTimer(state, { kind: step.kind, customerId, dueAt: streamTime }, ctx()));
        break;
      case 'refit':
        if (state !== null)
          apply(customerId, worker.population!.onPopulationChange(state, customerId, ctx()));
        break;
    }
  }
  streamTime += endAdvanceMs;
  return { counters, states, offers, sales, streamTime };
}

const ctxAt = (streamTime: number): DecisionContext<RetentionView> => ({
  streamTime,
  partition: 0,
  population: view,
  causationId: 'customer-erasures/0/0',
  eventId: (kind, i = 0) => `erasure/${kind}/${i}`,
  counter: () => 0,
});

function forgotten(r: Run, customer: number): Map<string, number> {
  const counters = new Map(r.counters);
  const state = r.states.get(idOf(customer));
  if (state === undefined) return counters;
  for (const { field, delta } of worker.erasure!.forget(state, ctxAt(r.streamTime)))
    counters.set(field, (counters.get(field) ?? 0) + delta);
  return counters;
}

const family = (counters: ReadonlyMap<string, number>, prefix: string) =>
  Object.fromEntries([...counters].filter(([f, v]) => f.startsWith(prefix) && v !== 0).sort());

const historyArb = fc.record({
  steps: fc.array(stepArb, { minLength: 1, maxLength: 60 }),
  erased: fc.integer({ min: 0, max: 3 }),
  endAdvanceMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 60 * DAY_MS })),
});

describe('retention forget (erasure)', () => {
  it('leaves the model counters as a run of the same history without the customer', () => {
    fc.assert(
      fc.property(historyArb, ({ steps, erased, endAdvanceMs }) => {
        const all = run(steps, null, endAdvanceMs);
        const others = run(steps, erased, endAdvanceMs);
        const after = forgotten(all, erased);
        expect(family(after, 'm:')).toEqual(family(others.counters, 'm:'));
        // No counter goes below zero: forget takes out only what the customer had put in.
        for (const [field, value] of after) expect(value, field).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 300 },
    );
  });

  it('takes the customer out of its open cohort and open treatment; history stays', () => {
    fc.assert(
      fc.property(historyArb, ({ steps, erased, endAdvanceMs }) => {
        // One customer: every counter is its own.
        const mine = steps.map((s) => ({ ...s, customer: erased }));
        const r = run(mine, null, endAdvanceMs);
        const after = forgotten(r, erased);
        expect(family(after, 'm:')).toEqual({});
        const earliest = r.streamTime - settings.allowedLatenessMs;
        const P = settings.ratePeriodMs;
        const periods = r.sales.map((s) => Math.floor(s.occurredAt / P));
        const last = periods.length ? Math.max(...periods) : null;
        const open = last !== null && (last + 2) * P > earliest;
        for (const [field, value] of after) {
          const [kind, k] = field.split(':');
          if (kind === 'ra')
            expect(value, field).toBe(open && Number(k) === last ? 0 : r.counters.get(field));
          if (kind === 'rr' || kind === 'rv' || kind === 'b')
            expect(value, field).toBe(r.counters.get(field));
        }
        if (last !== null)
          expect(
            [...after].some(([f, v]) => f.startsWith(`ra:${last}:`) && v === 1),
            'a closed cohort keeps the customer',
          ).toBe(!open);
        // Treatments: every one counted as assigned, but the open one (not retained, and a
        // purchase before its expiry could still come).
        const treatment = r.offers.at(-1);
        const retained =
          treatment !== undefined &&
          r.sales.some(
            (s) =>
              s.step > treatment.step && s.occurredAt >= treatment.at && s.occurredAt <= treatment.expiresAt,
          );
        const openTreatment = treatment !== undefined && !retained && treatment.expiresAt >= earliest;
        const assigned = (c: ReadonlyMap<string, number>) =>
          [...c]
            .filter(([f]) => f.startsWith('u:') && f.endsWith(':assigned'))
            .reduce((s, [, v]) => s + v, 0);
        const retainedCount = (c: ReadonlyMap<string, number>) =>
          [...c]
            .filter(([f]) => f.startsWith('u:') && f.endsWith(':retained'))
            .reduce((s, [, v]) => s + v, 0);
        expect(assigned(r.counters)).toBe(r.offers.length);
        expect(assigned(after)).toBe(r.offers.length - (openTreatment ? 1 : 0));
        expect(retainedCount(after)).toBe(retainedCount(r.counters));
      }),
      { numRuns: 300 },
    );
  });

  it('a customer that bought, was treated and is erased at once leaves no model cell, cohort or open treatment', () => {
    const r = run(
      [
        { kind: 'profile', customer: 0 },
        { kind: 'tier', customer: 0 },
        { kind: 'sale', customer: 0, advanceMs: 0, lateMs: 0, minor: 1000 },
        { kind: 'sale', customer: 0, advanceMs: 2 * DAY_MS, lateMs: 0, minor: 3000 },
        { kind: 'complaint', customer: 0 },
      ],
      null,
      0,
    );
    expect(r.offers).toHaveLength(1);
    const deltas = worker.erasure!.forget(r.states.get('c-0')!, ctxAt(r.streamTime));
    // The tier step (the second) made the customer 'middle' (tier names cycle by step number).
    expect(deltas.map((d) => d.field)).toEqual([
      `m:f:1:${START / DAY_MS}:${START / DAY_MS + 2}`,
      'm:g:1:3000',
      `ra:${Math.floor(START / settings.ratePeriodMs)}:middle`,
      `u:${r.states.get('c-0')!.lastTreatment!.kind}:middle:assigned`,
    ]);
    expect(deltas.every((d) => d.delta === -1)).toBe(true);
    expect(worker.erasure!.timerKinds).toEqual(['silence', 'ladder']);
  });
});
