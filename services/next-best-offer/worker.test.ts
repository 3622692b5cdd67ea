import { describe, expect, it } from 'vitest';
import type { NextBestOfferSuggested } from '../../shared/contracts/generated.js';
import { bruteForceRules } from '../../test/oracle/association-rules.js';
import { type DriverRecord, InMemoryRuntime } from '../../test/oracle/in-memory-driver.js';
import { nextBestOfferTraffic } from '../../test/support/next-best-offer-traffic.js';
import { partitionOfKey } from '../../test/support/share-of-wallet-check.js';
import type { NextBestOfferInput } from './decide.js';
import { isSequenceField } from './sequence-fields.js';
import { DAY_MS, defaultNextBestOfferSettings, type NextBestOfferSettings } from './settings.js';
import { decodeState } from './state.js';
import { mergeNextBestOfferView } from './view.js';
import { createNextBestOfferWorker } from './worker.js';

// The real worker on the in-memory runtime (the runtime's executable spec): every view's rules
// equal a brute-force count over the window's baskets taken straight from the generated sales,
// and the suggestions follow what the traffic was built with.

const settings: NextBestOfferSettings = {
  ...defaultNextBestOfferSettings,
  minSupport: 0.05,
  minConfidence: 0.3,
  maxRuleLength: 3,
  basketWindowDays: 14,
  refreshPeriodMs: DAY_MS,
  stepHorizonDays: 60,
  minStepCustomers: 3,
  cooldownMs: 7 * DAY_MS,
};

function run(
  partitions: number,
  pick?: (runnable: readonly number[]) => number,
  worker: NextBestOfferSettings = settings,
) {
  const traffic = nextBestOfferTraffic({ seed: 7, customers: 120, days: 90 });
  const runtime = new InMemoryRuntime(createNextBestOfferWorker(worker), partitions);
  for (let p = 0; p < partitions; p += 1) {
    const mine = <T extends { key: string }>(list: readonly T[]) =>
      list.filter((r) => partitionOfKey(r.key, partitions) === p);
    const log: DriverRecord<NextBestOfferInput>[] = [
      ...mine(traffic.profiles).map((r) => ({ value: r.event, topic: 'customer-profiles', key: r.key })),
      ...mine(traffic.tiers).map((r) => ({ value: r.event, topic: 'segment-changes', key: r.key })),
      ...mine(traffic.purchases).map((r) => ({ value: r.event, topic: 'purchases', key: r.key })),
    ].map((r, i) => ({ ...r, offset: String(i) }));
    runtime.append(p, log);
  }
  runtime.runUntilIdle(pick);
  return { traffic, result: runtime.result() };
}

describe('next-best-offer worker on the in-memory runtime', () => {
  const { traffic, result } = run(3);

  it('mines at every boundary exactly the rules of a batch count over the window', () => {
    expect(result.stalledPartitions).toEqual([]);
    const views = result.views.filter((v) => v.view !== null);
    expect(views.length).toBeGreaterThan(60);
    for (const { boundary, view } of views) {
      const day = Math.floor(boundary / DAY_MS);
      const baskets = traffic.purchases
        .map((p) => p.event)
        .filter((e) => {
          const d = Math.floor(e.occurredAt / DAY_MS);
          return d >= day - settings.basketWindowDays && d < day;
        })
        .map((e) => ({ items: [...new Set(e.lines.map((l) => l.category))], weight: 1 }));
      const oracle = bruteForceRules(baskets, {
        minSupport: settings.minSupport,
        minConfidence: settings.minConfidence,
        minLen: settings.minRuleLength,
        maxLen: settings.maxRuleLength,
      });
      expect(view!.baskets).toBe(oracle.n);
      const key = (lhs: readonly string[], rhs: string, count: number) => `${lhs.join('+')}=>${rhs}:${count}`;
      expect(view!.rules.map((r) => key(r.antecedent, r.consequent, r.count)).sort()).toEqual(
        oracle.rules.map((r) => key(r.lhs, r.rhs, r.count)).sort(),
      );
    }
    const last = views.at(-1)!.view!;
    expect(last.rules.some((r) => r.antecedent.join() === 'beer' && r.consequent === 'pizza')).toBe(true);
    expect(last.steps.some((s) => s.from === 'prepaid' && s.to === 'contract')).toBe(true);
  });

  it('suggests what goes with the basket and the next step, gated by consent, cooldown and holdout', () => {
    const events = result.outputs.map((o) => o.value as unknown as NextBestOfferSuggested);
    expect(events.length).toBeGreaterThan(50);
    const consented = new Set(traffic.profiles.filter((p) => p.event.marketingConsent).map((p) => p.key));
    expect(events.every((e) => consented.has(e.customerId))).toBe(true);
    expect(events.some((e) => e.holdout)).toBe(true);
    expect(events.some((e) => !e.holdout)).toBe(true);
    const items = events.flatMap((e) => e.suggestions.map((s) => `${s.kind}:${s.item}`));
    expect(items).toContain('RULE:pizza');
    expect(items).toContain('SEQUENCE:contract');
    // Fills places the evidence left, never above it.
    expect(items.some((i) => i.startsWith('POPULAR:'))).toBe(true);
    for (const e of events) {
      const kinds = e.suggestions.map((x) => x.kind);
      const firstPopular = kinds.indexOf('POPULAR');
      if (firstPopular >= 0) expect(kinds.slice(firstPopular).every((k) => k === 'POPULAR')).toBe(true);
    }
    const byCustomer = new Map<string, number[]>();
    for (const e of events)
      byCustomer.set(e.customerId, [...(byCustomer.get(e.customerId) ?? []), e.occurredAt]);
    for (const times of byCustomer.values())
      for (let i = 1; i < times.length; i += 1)
        expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(settings.cooldownMs);
    expect(new Set(result.outputs.map((o) => o.eventId)).size).toBe(result.outputs.length);
  });

  it('decides the same whichever partition runs ahead', () => {
    const other = run(3, (runnable) => runnable.at(-1)!).result;
    const events = (r: typeof result) => r.outputs.map((o) => JSON.stringify(o.value)).sort();
    expect(events(other)).toEqual(events(result));
  });

  it('keeps only the baskets some future window needs in the counters', () => {
    const lastDay = Math.floor(Math.max(...traffic.purchases.map((p) => p.event.occurredAt)) / DAY_MS);
    for (const store of result.partitions)
      for (const [field, count] of store.counters)
        if (field.startsWith('nbo:b:') && count !== 0)
          expect(Number(field.split(':')[2])).toBeGreaterThanOrEqual(lastDay - settings.basketWindowDays - 1);
  });
});

describe('next-best-offer worker with up-sell steps off (NBO_LEARN_STEPS=false)', () => {
  const on = run(3).result;
  const off = run(3, undefined, { ...settings, learnSteps: false }).result;

  it('keeps no sequence counter and no first purchases, and its views hold no step but the same rules', () => {
    expect(off.stalledPartitions).toEqual([]);
    for (const store of off.partitions)
      for (const [field, count] of store.counters)
        if (count !== 0) expect(isSequenceField(field), field).toBe(false);
    const states = off.partitions.flatMap((store) => [...store.states.values()].map(decodeState));
    expect(states.length).toBeGreaterThan(0);
    for (const state of states) expect(state.sequence.firstDays).toEqual([]);
    const views = (r: typeof on) => r.views.filter((v) => v.view !== null).map((v) => v.view!);
    expect(views(on).some((v) => v.steps.length > 0)).toBe(true);
    expect(views(off).every((v) => v.steps.length === 0)).toBe(true);
    expect(views(off).map((v) => v.rules)).toEqual(views(on).map((v) => v.rules));
    const kinds = off.outputs.flatMap((o) =>
      (o.value as unknown as NextBestOfferSuggested).suggestions.map((x) => x.kind),
    );
    expect(kinds).not.toContain('SEQUENCE');
  });

  it('mines no step from sequence counters a run with steps on left behind', () => {
    const withSteps = on.partitions.map((store) => Object.fromEntries(store.counters));
    const boundary = on.views.filter((v) => v.view !== null).at(-1)!.boundary;
    expect(mergeNextBestOfferView(boundary, withSteps, settings)!.steps.length).toBeGreaterThan(0);
    expect(mergeNextBestOfferView(boundary, withSteps, { ...settings, learnSteps: false })!.steps).toEqual(
      [],
    );
  });
});
