import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { DecisionContext } from '../../shared/runtime/worker-definition.js';
import type { RetentionView } from './fit-view.js';
import { parseOfferPolicy } from './offers/offer-policy.js';
import { DAY_MS } from './settings.js';
import { emptyRetentionState, type RetentionState } from './state.js';
import { budgetField, treat, upliftField } from './treatment.js';

const policy = parseOfferPolicy(
  readFileSync(new URL('../../deploy/retention-offer-policy.json', import.meta.url), 'utf8'),
  'deploy/retention-offer-policy.json',
);
const NOW = Date.UTC(2024, 5, 1, 12);
const today = Math.floor(NOW / DAY_MS);

function ctx(
  counters: Record<string, number> = {},
  population: RetentionView | null = null,
): DecisionContext<RetentionView> {
  return {
    streamTime: NOW,
    partition: 0,
    population,
    causationId: 'timer/0/silence/c/1',
    eventId: (kind, n = 0) => `${kind}-${n}`,
    counter: (field) => counters[field] ?? 0,
  };
}

const risk = { riskScore: 0.7, reasons: ['silence'], clvMinor: 12_345 };
const customer = (tier: string | null, consent: boolean | null): RetentionState => ({
  ...emptyRetentionState,
  valueTier: tier,
  consent,
});

/** A customer id of the tier that is (or is not) in the holdout. */
function idWhere(tier: string, holdout: boolean): string {
  for (let i = 0; ; i += 1) {
    const id = `c-${i}`;
    const decision = treat(customer(tier, true), id, risk, ctx(), policy, 12);
    if ((decision.outputs[0]?.decisionKind === 'retention-holdout') === holdout) return id;
  }
}

describe('retention treatment', () => {
  it('gives each tier its policy’s offer: generous on top, cheaper in the middle, none at the bottom', () => {
    const top = treat(customer('top', true), idWhere('top', false), risk, ctx(), policy, 12);
    const middle = treat(customer('middle', true), idWhere('middle', false), risk, ctx(), policy, 12);
    const bottom = treat(customer('bottom', true), idWhere('bottom', false), risk, ctx(), policy, 12);
    const offerOf = (d: typeof top) =>
      (d.outputs[0]?.value as { offer: { code: string } | null } | undefined)?.offer?.code;
    expect(offerOf(top)).toBe('FREE_DEVICE_TICKETS');
    expect(offerOf(middle)).toBe('FREE_MINUTES_100');
    expect(bottom.outputs).toEqual([]);
    expect(bottom.observations[0]!.labels.outcome).toBe('no-paid-offer');
    const event = top.outputs[0]!.value as Record<string, unknown>;
    expect(event).toMatchObject({
      valueTier: 'top',
      riskScore: 0.7,
      reasons: ['silence'],
      holdout: false,
      clvMinor: 12_345,
    });
    expect(event.expiresAt).toBe(NOW + 14 * DAY_MS);
    expect(top.counters).toEqual([
      { field: upliftField('offer', 'top', 'assigned'), delta: 1 },
      { field: budgetField(today, 'top'), delta: 25_000 },
    ]);
    expect(top.state.lastTreatment).toMatchObject({ at: NOW, kind: 'offer', tier: 'top', retained: false });
    // Before any usable fit the decision names no model.
    expect(event.model).toBeNull();
  });

  it('names the model version it decided under: the view in force and when each of its fits was made', () => {
    const modelFit = <P>(params: P, fittedAt: number) => ({
      params,
      logLikelihood: -1,
      customers: 100,
      converged: true,
      fittedAt,
    });
    const view: RetentionView = {
      boundary: NOW - 3 * DAY_MS,
      observedDay: NOW - 4 * DAY_MS,
      bgnbd: modelFit({ r: 0.24, alpha: 4.4, a: 0.79, b: 2.4 }, NOW - 3 * DAY_MS),
      // A later spend refit was rejected: the one in force is older than the view.
      gammaGamma: modelFit({ p: 6, q: 4, gamma: 15 }, NOW - 17 * DAY_MS),
    };
    const id = idWhere('top', false);
    const withModel = treat(customer('top', true), id, risk, ctx({}, view), policy, 12);
    expect((withModel.outputs[0]!.value as Record<string, unknown>).model).toEqual({
      viewBoundary: NOW - 3 * DAY_MS,
      churnModelFittedAt: NOW - 3 * DAY_MS,
      clvModelFittedAt: NOW - 17 * DAY_MS,
    });
    const noSpendModel = treat(
      customer('top', true),
      id,
      risk,
      ctx({}, { ...view, gammaGamma: null }),
      policy,
      12,
    );
    expect((noSpendModel.outputs[0]!.value as Record<string, unknown>).model).toEqual({
      viewBoundary: NOW - 3 * DAY_MS,
      churnModelFittedAt: NOW - 3 * DAY_MS,
      clvModelFittedAt: null,
    });
  });

  it('offers nothing without marketing consent (or without a profile)', () => {
    for (const consent of [false, null]) {
      const decision = treat(customer('top', consent), idWhere('top', false), risk, ctx(), policy, 12);
      expect(decision.outputs).toEqual([]);
      expect(decision.observations[0]!.labels.outcome).toBe('no-consent');
      expect(decision.state.atRisk).toEqual({ since: NOW, reasons: ['silence'] });
    }
  });

  it('holds out a deterministic share per tier and records it, at no cost', () => {
    const id = idWhere('top', true);
    const decision = treat(customer('top', true), id, risk, ctx(), policy, 12);
    expect(decision.outputs[0]!.decisionKind).toBe('retention-holdout');
    expect(decision.outputs[0]!.value).toMatchObject({ holdout: true, offer: null });
    expect(decision.counters).toEqual([{ field: upliftField('holdout', 'top', 'assigned'), delta: 1 }]);
    let held = 0;
    for (let i = 0; i < 4000; i += 1)
      if (
        treat(customer('middle', true), `m-${i}`, risk, ctx(), policy, 12).outputs[0]?.decisionKind ===
        'retention-holdout'
      )
        held += 1;
    expect(held / 4000).toBeGreaterThan(0.085);
    expect(held / 4000).toBeLessThan(0.115);
  });

  it('waits out the cooldown after an offer or a holdout', () => {
    const id = idWhere('top', false);
    const treated = {
      ...customer('top', true),
      lastTreatment: {
        at: NOW - 29 * DAY_MS,
        kind: 'offer' as const,
        tier: 'top',
        expiresAt: NOW,
        retained: false,
      },
    };
    expect(treat(treated, id, risk, ctx(), policy, 12).observations[0]!.labels.outcome).toBe('cooldown');
    const later = { ...treated, lastTreatment: { ...treated.lastTreatment, at: NOW - 30 * DAY_MS } };
    expect(treat(later, id, risk, ctx(), policy, 12).outputs).toHaveLength(1);
  });

  it('spends at most the partition’s share of the tier’s daily budget, falling back to cheaper offers', () => {
    const id = idWhere('top', false);
    // top: 1,200,000 a day over 12 partitions = 100,000 here.
    const used = (minor: number) => ctx({ [budgetField(today, 'top')]: minor });
    const code = (d: ReturnType<typeof treat>) =>
      (d.outputs[0]?.value as { offer: { code: string } } | undefined)?.offer.code;
    expect(code(treat(customer('top', true), id, risk, used(75_000), policy, 12))).toBe(
      'FREE_DEVICE_TICKETS',
    );
    expect(code(treat(customer('top', true), id, risk, used(75_001), policy, 12))).toBe('FREE_MINUTES_100');
    const spent = treat(customer('top', true), id, risk, used(98_501), policy, 12);
    expect(spent.outputs).toEqual([]);
    expect(spent.observations[0]!.labels.outcome).toBe('budget-exhausted');
  });
});
