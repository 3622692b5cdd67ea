import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Purchase } from '../../shared/contracts/generated.js';
import { validatePurchase } from '../../shared/contracts/validate-purchase.js';
import { CATALOGUE } from './catalogue.js';
import { COMPANIONS, MOBILE_LADDER } from './cross-sell-catalogue.js';
import { DAY_MS, generatePurchaseStream, type PurchaseStreamOptions } from './generate.js';

const YEAR: PurchaseStreamOptions = { seed: 5, customers: 2000, purchasesPerCustomerPerYear: 24 };
const END = Date.UTC(2024, 0, 1) + 365 * DAY_MS;
const [PREPAID, CONTRACT, FAMILY] = MOBILE_LADDER.rungs.map((r) => r.sku) as [string, string, string];

function sales(options: PurchaseStreamOptions): Purchase[] {
  const out: Purchase[] = [];
  for (const r of generatePurchaseStream(options)) {
    if (!r.malformed && r.event?.kind === 'SALE') out.push(r.event);
  }
  return out;
}

/** Support of A, of B and of both among baskets (sets of skus). */
function pairStats(baskets: readonly ReadonlySet<string>[], a: string, b: string) {
  let na = 0;
  let nb = 0;
  let nab = 0;
  for (const s of baskets) {
    if (s.has(a)) na++;
    if (s.has(b)) nb++;
    if (s.has(a) && s.has(b)) nab++;
  }
  const n = baskets.length;
  return { pA: na / n, pB: nb / n, bGivenA: nab / na, lift: (n * nab) / (na * nb) };
}

/** Each customer's first purchase time of every sku. */
function firstPurchases(all: readonly Purchase[]): Map<string, Map<string, number>> {
  const first = new Map<string, Map<string, number>>();
  for (const sale of all) {
    let mine = first.get(sale.customerId);
    if (!mine) {
      mine = new Map();
      first.set(sale.customerId, mine);
    }
    for (const line of sale.lines) if (!mine.has(line.sku)) mine.set(line.sku, sale.occurredAt);
  }
  return first;
}

/** Among customers who first bought `from` at least the largest gap before the end: the share who first bought `to` within it. */
function stepShare(first: Map<string, Map<string, number>>, from: string, to: string) {
  let buyers = 0;
  let steppedUp = 0;
  for (const mine of first.values()) {
    const at = mine.get(from);
    if (at === undefined || at > END - MOBILE_LADDER.maxGapDays * DAY_MS) continue;
    buyers++;
    const next = mine.get(to);
    if (next !== undefined && next - at <= MOBILE_LADDER.maxGapDays * DAY_MS) steppedUp++;
  }
  return { buyers, share: steppedUp / buyers };
}

const basketsOf = (all: readonly Purchase[]) => all.map((s) => new Set(s.lines.map((l) => l.sku)));
const off = basketsOf(sales(YEAR));
const onSales = sales({ ...YEAR, crossSell: true });
const on = basketsOf(onSales);

describe('cross-sell option: companions', () => {
  it('lifts beer => frozen pizza well above 1, near what the table implies', () => {
    const p = COMPANIONS.get('G-BEER-6X330')!.find((c) => c.sku === 'G-PIZZA-FROZEN')!.probability;
    // Without companions: how often pizza is in a beer basket, and overall.
    const base = pairStats(off, 'G-BEER-6X330', 'G-PIZZA-FROZEN');
    // Pizza is nobody else's companion: it joins a beer basket without one with probability p.
    const added = (1 - base.bGivenA) * p;
    const impliedLift = (base.bGivenA + added) / (base.pB + base.pA * added);
    const measured = pairStats(on, 'G-BEER-6X330', 'G-PIZZA-FROZEN');
    expect(measured.bGivenA).toBeCloseTo(base.bGivenA + added, 1);
    expect(measured.lift).toBeGreaterThan(1.5 * base.lift);
    expect(measured.lift / impliedLift).toBeGreaterThan(0.9);
    expect(measured.lift / impliedLift).toBeLessThan(1.1);
  });

  it('leaves pairs outside the table as they were', () => {
    const before = pairStats(off, 'G-MILK-1L', 'G-RICE-1KG').lift;
    const after = pairStats(on, 'G-MILK-1L', 'G-RICE-1KG').lift;
    expect(after / before).toBeGreaterThan(0.85);
    expect(after / before).toBeLessThan(1.15);
  });

  it('without the option, beer => frozen pizza is no different from beer and any other grocery', () => {
    // Not 1 in absolute terms: basket sizes and archetypes differ, so any two groceries come
    // together more often than chance. The option is what sets the pair apart.
    const others = CATALOGUE.filter(
      (a) =>
        a.group === 'grocery' &&
        a.sku !== 'G-BEER-6X330' &&
        !COMPANIONS.get('G-BEER-6X330')!.some((c) => c.sku === a.sku),
    ).map((a) => pairStats(off, 'G-BEER-6X330', a.sku).lift);
    others.sort((x, y) => x - y);
    const median = others[others.length >> 1]!;
    const pizza = pairStats(off, 'G-BEER-6X330', 'G-PIZZA-FROZEN').lift;
    expect(pizza / median).toBeGreaterThan(0.85);
    expect(pizza / median).toBeLessThan(1.15);
    expect(pairStats(on, 'G-BEER-6X330', 'G-PIZZA-FROZEN').lift / median).toBeGreaterThan(1.6);
  });

  it('every table entry names catalogue articles with probabilities in (0, 1)', () => {
    const skus = new Set(CATALOGUE.map((a) => a.sku));
    for (const [antecedent, companions] of COMPANIONS) {
      expect(skus.has(antecedent)).toBe(true);
      for (const c of companions) {
        expect(skus.has(c.sku)).toBe(true);
        expect(c.probability).toBeGreaterThan(0);
        expect(c.probability).toBeLessThan(1);
      }
    }
  });
});

describe('cross-sell option: up-sell ladder', () => {
  const first = firstPurchases(onSales);

  it('makes about the configured share of first-rung buyers step up within the horizon', () => {
    const step = stepShare(first, PREPAID, CONTRACT);
    expect(step.buyers).toBeGreaterThan(200);
    // Binomial: 4 standard deviations.
    const sd = Math.sqrt((MOBILE_LADDER.stepShare * (1 - MOBILE_LADDER.stepShare)) / step.buyers);
    expect(Math.abs(step.share - MOBILE_LADDER.stepShare)).toBeLessThan(4 * sd);
    // The second step happens too (fewer customers reach it).
    const next = stepShare(first, CONTRACT, FAMILY);
    expect(next.buyers).toBeGreaterThan(20);
    expect(next.share).toBeGreaterThan(0.1);
  });

  it('keeps the ladder out of the default stream', () => {
    const ladder = new Set(MOBILE_LADDER.rungs.map((r) => r.sku));
    expect(off.some((s) => [...s].some((sku) => ladder.has(sku)))).toBe(false);
  });

  it('records that pass the contract', () => {
    for (const sale of onSales) expect(validatePurchase(sale, { valueCurrency: 'EUR' })).toBeNull();
  });
});

describe('cross-sell option: properties', () => {
  it('for any seed: rungs are climbed in order, each step 30-90 days after the rung below', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (seed) => {
        const first = firstPurchases(
          sales({ seed, customers: 300, purchasesPerCustomerPerYear: 24, crossSell: true }),
        );
        for (const mine of first.values()) {
          for (let k = 1; k < MOBILE_LADDER.rungs.length; k++) {
            const at = mine.get(MOBILE_LADDER.rungs[k]!.sku);
            if (at === undefined) continue;
            const below = mine.get(MOBILE_LADDER.rungs[k - 1]!.sku);
            if (below === undefined) return false;
            const gap = at - below;
            // occurredAt is floored to the millisecond.
            if (gap < MOBILE_LADDER.minGapDays * DAY_MS - 1 || gap > MOBILE_LADDER.maxGapDays * DAY_MS)
              return false;
          }
        }
        return true;
      }),
      { numRuns: 15 },
    );
  });

  it('is deterministic with the seed', () => {
    const digest = (seed: number) => {
      const h = createHash('sha256');
      for (const r of generatePurchaseStream({ seed, customers: 200, events: 2000, crossSell: true })) {
        h.update(r.key);
        h.update(r.value);
      }
      return h.digest('hex');
    };
    expect(digest(3)).toBe(digest(3));
    expect(digest(3)).not.toBe(digest(4));
  });
});
