import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../shared/errors.js';
import { holdoutFraction, isHoldout } from '../../../shared/experiments/holdout.js';
import {
  checkPolicyFitsPartitions,
  chooseTreatment,
  partitionBudgetShare,
  type TreatmentInput,
  utcDay,
} from './offer-gates.js';
import {
  DAY_MS,
  loadOfferPolicy,
  type OfferPolicy,
  type OfferTier,
  parseOfferPolicy,
} from './offer-policy.js';

const offer = (code: string, costCeilingMinor: number, priority: number, validityDays: number) => ({
  code,
  description: `${code} described`,
  costCeilingMinor,
  priority,
  validityDays,
});

const policy: OfferPolicy = parseOfferPolicy(
  JSON.stringify({
    currency: 'EUR',
    cooldownDays: 30,
    holdoutShare: 0.1,
    tiers: {
      top2: { offers: [offer('BIG', 25_000, 1, 14)], dailyBudgetMinor: 500_000, cooldownDays: 7 },
      top: {
        offers: [offer('SMALL', 1_500, 2, 30), offer('BIG', 25_000, 1, 14)],
        dailyBudgetMinor: 500_000,
      },
      middle: { offers: [offer('SMALL', 1_500, 3, 30)], dailyBudgetMinor: 100_000 },
      bottom: { offers: [] },
      lapsed: { offers: [] },
      unknown: { offers: [offer('SMALL', 1_500, 3, 30)], dailyBudgetMinor: 10_000 },
    },
  }),
  'test-policy.json',
);

const NOW = Date.UTC(2024, 5, 15, 12);

/** The first customer ids (customer-0, customer-1, ...) in or out of the tier's holdout. */
function customers(tier: OfferTier, heldOut: boolean, count = 1, share = policy.holdoutShare): string[] {
  const found: string[] = [];
  for (let i = 0; found.length < count; i++) {
    if (isHoldout(`customer-${i}`, tier, share) === heldOut) found.push(`customer-${i}`);
  }
  return found;
}

function input(overrides: Partial<TreatmentInput> & { tier: OfferTier }): TreatmentInput {
  return {
    customerId: customers(overrides.tier, false)[0]!,
    consent: true,
    lastOfferAt: null,
    now: NOW,
    budgetUsedTodayMinor: 0,
    budgetAvailableTodayMinor: 100_000,
    policy,
    ...overrides,
  };
}

describe('chooseTreatment', () => {
  it("gives the tier's most urgent offer that fits, expiring after its validity", () => {
    expect(chooseTreatment(input({ tier: 'top' }))).toEqual({
      kind: 'offer',
      offer: offer('BIG', 25_000, 1, 14),
      expiresAt: NOW + 14 * DAY_MS,
    });
    expect(chooseTreatment(input({ tier: 'middle' }))).toEqual({
      kind: 'offer',
      offer: offer('SMALL', 1_500, 3, 30),
      expiresAt: NOW + 30 * DAY_MS,
    });
  });

  it('falls back to a cheaper offer when the expensive one no longer fits, then runs out', () => {
    const at = (used: number) =>
      chooseTreatment(input({ tier: 'top', budgetAvailableTodayMinor: 30_000, budgetUsedTodayMinor: used }));
    expect(at(5_000)).toMatchObject({ kind: 'offer', offer: { code: 'BIG' } }); // exactly 25 000 left
    expect(at(5_001)).toMatchObject({ kind: 'offer', offer: { code: 'SMALL' } });
    expect(at(28_500)).toMatchObject({ kind: 'offer', offer: { code: 'SMALL' } }); // exactly 1 500 left
    expect(at(28_501)).toEqual({ kind: 'suppressed', reason: 'budget-exhausted' });
    expect(at(40_000)).toEqual({ kind: 'suppressed', reason: 'budget-exhausted' });
  });

  it('spends a partition budget down to exhaustion, never beyond', () => {
    let used = 0;
    const given: string[] = [];
    for (const customerId of customers('top', false, 20)) {
      const t = chooseTreatment(
        input({ tier: 'top', customerId, budgetAvailableTodayMinor: 60_000, budgetUsedTodayMinor: used }),
      );
      if (t.kind === 'offer') {
        used += t.offer.costCeilingMinor;
        given.push(t.offer.code);
      } else {
        expect(t).toEqual({ kind: 'suppressed', reason: 'budget-exhausted' });
      }
    }
    // 2 × 25 000, then 6 × 1 500 of the remaining 10 000.
    expect(given).toEqual(['BIG', 'BIG', ...Array(6).fill('SMALL')]);
    expect(used).toBe(59_000);
  });

  it('gives nothing in a tier with no paid offer', () => {
    for (const tier of ['bottom', 'lapsed'] as const) {
      expect(chooseTreatment(input({ tier }))).toEqual({ kind: 'suppressed', reason: 'no-paid-offer' });
    }
  });

  it('contacts nobody without marketing consent', () => {
    for (const consent of [false, null]) {
      expect(chooseTreatment(input({ tier: 'top', consent }))).toEqual({
        kind: 'suppressed',
        reason: 'no-consent',
      });
    }
  });

  it('respects the cooldown (per tier when the tier has its own), running from the last treatment', () => {
    const last = (days: number) => NOW - days * DAY_MS;
    expect(chooseTreatment(input({ tier: 'top', lastOfferAt: last(29) }))).toEqual({
      kind: 'suppressed',
      reason: 'cooldown',
    });
    expect(chooseTreatment(input({ tier: 'top', lastOfferAt: NOW - 30 * DAY_MS + 1 })).kind).toBe(
      'suppressed',
    );
    expect(chooseTreatment(input({ tier: 'top', lastOfferAt: last(30) })).kind).toBe('offer');
    expect(chooseTreatment(input({ tier: 'top2', lastOfferAt: last(6) }))).toEqual({
      kind: 'suppressed',
      reason: 'cooldown',
    });
    expect(chooseTreatment(input({ tier: 'top2', lastOfferAt: last(7) })).kind).toBe('offer');
    // A last treatment after now (a replay of older events) is within the cooldown.
    expect(chooseTreatment(input({ tier: 'top', lastOfferAt: NOW + DAY_MS })).kind).toBe('suppressed');
  });

  it('holds out customers by the hash, within their tier, at no cost', () => {
    const [held] = customers('top', true);
    expect(chooseTreatment(input({ tier: 'top', customerId: held!, budgetAvailableTodayMinor: 0 }))).toEqual({
      kind: 'holdout',
    });
    // No holdout at share 0.
    const noHoldout: OfferPolicy = { ...policy, holdoutShare: 0 };
    expect(chooseTreatment(input({ tier: 'top', customerId: held!, policy: noHoldout })).kind).toBe('offer');
  });

  describe('gate order', () => {
    const [held] = customers('top', true);
    const [heldBottom] = customers('bottom', true);
    const blocked = {
      consent: false,
      lastOfferAt: NOW - DAY_MS,
      budgetAvailableTodayMinor: 0,
    } as const;

    it('consent before everything', () => {
      expect(chooseTreatment(input({ tier: 'top', customerId: held!, ...blocked }))).toEqual({
        kind: 'suppressed',
        reason: 'no-consent',
      });
      expect(chooseTreatment(input({ tier: 'bottom', consent: false }))).toEqual({
        kind: 'suppressed',
        reason: 'no-consent',
      });
    });

    it('cooldown before the holdout, the offer and the budget', () => {
      const t = input({ tier: 'top', customerId: held!, ...blocked, consent: true });
      expect(chooseTreatment(t)).toEqual({ kind: 'suppressed', reason: 'cooldown' });
      expect(chooseTreatment(input({ tier: 'bottom', lastOfferAt: NOW - DAY_MS }))).toEqual({
        kind: 'suppressed',
        reason: 'cooldown',
      });
    });

    it('holdout before the offer and the budget', () => {
      expect(
        chooseTreatment(input({ tier: 'top', customerId: held!, budgetAvailableTodayMinor: 0 })),
      ).toEqual({
        kind: 'holdout',
      });
      expect(chooseTreatment(input({ tier: 'bottom', customerId: heldBottom! }))).toEqual({
        kind: 'holdout',
      });
    });

    it('no paid offer before the budget', () => {
      expect(chooseTreatment(input({ tier: 'bottom', budgetAvailableTodayMinor: 0 }))).toEqual({
        kind: 'suppressed',
        reason: 'no-paid-offer',
      });
    });

    it('holds out the configured share of consenting customers out of cooldown, whatever the budget', () => {
      const ids = Array.from({ length: 10_000 }, (_, i) => `c${i}`);
      const kinds = ids.map(
        (customerId) =>
          chooseTreatment(input({ tier: 'middle', customerId, budgetAvailableTodayMinor: 0 })).kind,
      );
      const share = kinds.filter((k) => k === 'holdout').length / ids.length;
      expect(Math.abs(share - 0.1)).toBeLessThan(0.02);
      expect(kinds.every((k) => k === 'holdout' || k === 'suppressed')).toBe(true);
    });
  });

  it('is deterministic: a fraction below the share is exactly a holdout', () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom<OfferTier>('top', 'middle', 'unknown'), (customerId, tier) => {
        const t = chooseTreatment(input({ tier, customerId }));
        expect(t.kind === 'holdout').toBe(holdoutFraction(customerId, tier) < policy.holdoutShare);
        expect(chooseTreatment(input({ tier, customerId }))).toEqual(t);
      }),
    );
  });
});

describe('partitionBudgetShare', () => {
  it('splits a budget as floor plus one minor unit for the first remainder partitions', () => {
    expect([0, 1, 2, 3].map((p) => partitionBudgetShare(10, p, 4))).toEqual([3, 3, 2, 2]);
    expect([0, 1, 2].map((p) => partitionBudgetShare(9, p, 3))).toEqual([3, 3, 3]);
    expect([0, 1, 2].map((p) => partitionBudgetShare(2, p, 3))).toEqual([1, 1, 0]);
    expect(partitionBudgetShare(0, 0, 1)).toBe(0);
    expect(partitionBudgetShare(123, 0, 1)).toBe(123);
  });

  it('sums exactly to the daily budget, with parts at most one unit apart, for any partition count', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 1, max: 1_000 }),
        (budget, count) => {
          const parts = Array.from({ length: count }, (_, p) => partitionBudgetShare(budget, p, count));
          expect(parts.reduce((a, b) => a + b, 0)).toBe(budget);
          expect(Math.max(...parts) - Math.min(...parts)).toBeLessThanOrEqual(1);
          expect(parts.every((part, p) => p === 0 || part <= parts[p - 1]!)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('rejects impossible arguments', () => {
    expect(() => partitionBudgetShare(-1, 0, 1)).toThrow(RangeError);
    expect(() => partitionBudgetShare(1.5, 0, 1)).toThrow(RangeError);
    expect(() => partitionBudgetShare(10, 0, 0)).toThrow(RangeError);
    expect(() => partitionBudgetShare(10, 4, 4)).toThrow(RangeError);
    expect(() => partitionBudgetShare(10, -1, 4)).toThrow(RangeError);
  });
});

describe('utcDay', () => {
  it('changes at midnight UTC', () => {
    expect(utcDay(Date.UTC(2024, 5, 15, 23, 59, 59, 999))).toBe(utcDay(Date.UTC(2024, 5, 15)));
    expect(utcDay(Date.UTC(2024, 5, 16))).toBe(utcDay(Date.UTC(2024, 5, 15)) + 1);
    expect(utcDay(0)).toBe(0);
  });
});

describe('checkPolicyFitsPartitions', () => {
  it('accepts budgets that leave every partition room for an offer', () => {
    expect(checkPolicyFitsPartitions(policy, 6, 'p.json')).toBe(policy);
    // The default policy fits the stack's 12 partitions.
    const defaults = new URL('../../../deploy/retention-offer-policy.json', import.meta.url).pathname;
    expect(() => checkPolicyFitsPartitions(loadOfferPolicy(defaults), 12, defaults)).not.toThrow();
  });

  it('names the tier whose partitions could never afford an offer', () => {
    // unknown: 10 000 over 7 partitions leaves 1 428 < 1 500.
    try {
      checkPolicyFitsPartitions(policy, 7, 'p.json');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toBe(
        'p.json: tiers.unknown.dailyBudgetMinor 10000 split over 7 partitions leaves 1428 per partition, ' +
          "less than the tier's cheapest offer (1500); it needs at least 10500",
      );
    }
  });
});
