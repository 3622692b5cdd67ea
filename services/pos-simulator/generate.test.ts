import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AvroDecodeError, codecFor } from '../../shared/avro/index.js';
import type { Purchase } from '../../shared/contracts/generated.js';
import { validatePurchase } from '../../shared/contracts/validate-purchase.js';
import { diagnoseUndecodable } from '../../shared/runtime/undecodable.js';
import {
  DAY_MS,
  generatePurchaseStream,
  PurchaseSimulation,
  type PurchaseStreamOptions,
  type SimulatedRecord,
} from './generate.js';
import { Random, WeightedSlots } from './random.js';

const codec = codecFor('Purchase');

function run(options: PurchaseStreamOptions): { records: SimulatedRecord[]; sim: PurchaseSimulation } {
  const sim = new PurchaseSimulation(options);
  const records: SimulatedRecord[] = [];
  for (let r = sim.next(); r; r = sim.next()) records.push(r);
  return { records, sim };
}

function digest(records: Iterable<SimulatedRecord>): string {
  const h = createHash('sha256');
  for (const r of records) {
    h.update(r.key);
    h.update(r.value);
  }
  return h.digest('hex');
}

function netRevenueByCustomer(records: readonly SimulatedRecord[]): number[] {
  const revenue = new Map<string, number>();
  for (const r of records) {
    if (r.malformed || !r.event) continue;
    let amount = 0;
    for (const l of r.event.lines) amount += l.quantity * l.unitPriceMinor;
    revenue.set(r.key, (revenue.get(r.key) ?? 0) + (r.event.kind === 'SALE' ? amount : -amount));
  }
  return [...revenue.values()].sort((a, b) => b - a);
}

function topShare(sortedDesc: readonly number[], q: number): number {
  const total = sortedDesc.reduce((a, b) => a + b, 0);
  const top = sortedDesc.slice(0, Math.ceil(q * sortedDesc.length)).reduce((a, b) => a + b, 0);
  return top / total;
}

// One medium run shared by the statistical checks.
const medium = run({ seed: 42, customers: 2000, events: 20_000 });
const valid = medium.records.filter((r) => !r.malformed);

describe('generatePurchaseStream', () => {
  it('is deterministic: the same seed gives the same bytes, another seed others', () => {
    const a = digest(
      generatePurchaseStream({ seed: 7, customers: 300, events: 3000, maxLatenessMs: DAY_MS }),
    );
    const b = digest(
      generatePurchaseStream({ seed: 7, customers: 300, events: 3000, maxLatenessMs: DAY_MS }),
    );
    const c = digest(
      generatePurchaseStream({ seed: 8, customers: 300, events: 3000, maxLatenessMs: DAY_MS }),
    );
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it('stops at exactly `events` records, spread over about the span', () => {
    expect(medium.records).toHaveLength(20_000);
    const days = (medium.sim.stats().streamTime! - medium.sim.options.startTime) / DAY_MS;
    expect(days).toBeGreaterThan(300);
    expect(days).toBeLessThan(430);
  });

  it('stops at `until`, and by default at the end of the span', () => {
    const startTime = Date.UTC(2024, 0, 1);
    const { records } = run({
      seed: 3,
      customers: 200,
      startTime,
      spanMs: 60 * DAY_MS,
      until: startTime + 30 * DAY_MS,
    });
    expect(records.length).toBeGreaterThan(0);
    expect(records.at(-1)!.emitAt).toBeLessThanOrEqual(startTime + 30 * DAY_MS);
    const bySpan = run({ seed: 3, customers: 200, startTime, spanMs: 30 * DAY_MS });
    expect(bySpan.records.at(-1)!.emitAt).toBeLessThanOrEqual(startTime + 30 * DAY_MS);
  });

  it('skews value: the top 20% of customers bring 60-80% of net revenue', () => {
    const values = netRevenueByCustomer(medium.records);
    const top20 = topShare(values, 0.2);
    expect(top20).toBeGreaterThan(0.6);
    expect(top20).toBeLessThan(0.8);
    // ... and the bottom 20% very little
    const bottom = values.slice(values.length - Math.floor(values.length / 5));
    expect(bottom.reduce((a, b) => a + b, 0) / values.reduce((a, b) => a + b, 0)).toBeLessThan(0.05);
  });

  it('has lapsers (BG/NBD dropout) who never buy again after lapsing', () => {
    const stats = medium.sim.stats();
    const lapsedShare = stats.customersLapsed / stats.customersWithSales;
    expect(lapsedShare).toBeGreaterThan(0.15);
    expect(lapsedShare).toBeLessThan(0.5);
    const lapsedAt = new Map(
      medium.sim
        .customers()
        .filter((c) => c.lapsedAt !== null)
        .map((c) => [c.customerId, c.lapsedAt!] as const),
    );
    for (const r of valid) {
      const at = lapsedAt.get(r.key);
      if (at !== undefined && r.event!.kind === 'SALE') expect(r.event!.occurredAt).toBeLessThanOrEqual(at);
    }
  });

  it('respects the malformed share, and every malformed record fails the way it says', () => {
    const share = (medium.records.length - valid.length) / medium.records.length;
    expect(share).toBeGreaterThan(0.0035);
    expect(share).toBeLessThan(0.0065);

    const { records } = run({ seed: 5, customers: 300, events: 5000, malformedShare: 0.1 });
    const malformed = records.filter((r) => r.malformed);
    expect(malformed.length / records.length).toBeGreaterThan(0.085);
    expect(malformed.length / records.length).toBeLessThan(0.115);
    const kinds = new Set(malformed.map((r) => r.malformed));
    expect(kinds).toEqual(new Set(['random-bytes', 'truncated', 'invalid-meaning']));
    for (const r of malformed) {
      if (r.malformed === 'invalid-meaning') {
        const decoded = codec.decode(r.value);
        expect(validatePurchase(decoded)?.reasonCode).toBe(r.expectedReason);
      } else {
        expect(() => codec.decode(r.value)).toThrow(AvroDecodeError);
        expect(diagnoseUndecodable(r.value, 'Purchase', 'undecodable').reasonCode).toBe(r.expectedReason);
        if (r.malformed === 'random-bytes') expect(r.expectedReason).toBe('AVRO_DECODE');
      }
    }
  });

  it('every valid record decodes to its event, validates, and is keyed by its customer', () => {
    const eventIds = new Set<string>();
    for (const r of valid) {
      const decoded: Purchase = codec.decode(r.value);
      expect(decoded).toEqual(r.event);
      expect(validatePurchase(decoded, { valueCurrency: 'EUR' })).toBeNull();
      expect(r.key).toBe(decoded.customerId);
      expect(r.key).toMatch(/^c-\d{6}$/);
      eventIds.add(decoded.eventId);
    }
    expect(eventIds.size).toBe(valid.length);
  });

  it('is in event-time order by default; late records stay within the max lateness', () => {
    for (let i = 1; i < valid.length; i++) {
      expect(valid[i]!.event!.occurredAt).toBeGreaterThanOrEqual(valid[i - 1]!.event!.occurredAt);
    }
    const maxLatenessMs = 6 * 3600_000;
    const { records, sim } = run({ seed: 9, customers: 500, events: 5000, maxLatenessMs });
    let streamTime = Number.NEGATIVE_INFINITY;
    let emitAt = Number.NEGATIVE_INFINITY;
    let late = 0;
    for (const r of records) {
      expect(r.emitAt).toBeGreaterThanOrEqual(emitAt);
      emitAt = r.emitAt;
      if (!r.event) continue;
      if (r.event.occurredAt < streamTime) late++;
      expect(streamTime - r.event.occurredAt).toBeLessThanOrEqual(maxLatenessMs);
      streamTime = Math.max(streamTime, r.event.occurredAt);
    }
    expect(late).toBeGreaterThan(0);
    expect(sim.stats().lateRecords).toBeGreaterThanOrEqual(late);
  });

  it('returns refer to an earlier sale of the same customer, for at most what was bought', () => {
    const sales = new Map<string, Purchase>();
    let returns = 0;
    for (const r of valid) {
      const e = r.event!;
      if (e.kind === 'SALE') {
        sales.set(e.eventId, e);
        continue;
      }
      returns++;
      const sale = sales.get(e.returnOfEventId!);
      expect(sale, 'referenced sale seen before').toBeDefined();
      expect(sale!.customerId).toBe(e.customerId);
      expect(e.occurredAt).toBeGreaterThanOrEqual(sale!.occurredAt);
      for (const line of e.lines) {
        const sold = sale!.lines.find((l) => l.sku === line.sku)!;
        expect(line.quantity).toBeGreaterThan(0);
        expect(line.quantity).toBeLessThanOrEqual(sold.quantity);
        expect(line.unitPriceMinor).toBe(sold.unitPriceMinor);
      }
    }
    expect(returns / valid.length).toBeGreaterThan(0.02);
    expect(returns / valid.length).toBeLessThan(0.04);
  });

  it('sells groceries with food energy and services with usage, in stores and online', () => {
    const lines = valid.flatMap((r) => r.event!.lines);
    expect(
      lines.filter((l) => l.category.startsWith('groceries/')).every((l) => l.kcalPerUnit !== null),
    ).toBe(true);
    expect(lines.filter((l) => l.category.startsWith('services/')).every((l) => l.usage !== null)).toBe(true);
    expect(lines.some((l) => l.usage?.unit === 'GB')).toBe(true);
    const channels = new Set(valid.map((r) => r.event!.channel));
    expect(channels).toContain('store');
    expect(channels).toContain('web');
    expect(valid.every((r) => (r.event!.channel === 'store') === (r.event!.storeId !== null))).toBe(true);
  });

  it('paced: holds the aggregate rate and replaces lapsers to run forever', () => {
    const from = Date.UTC(2024, 5, 1);
    const sim = new PurchaseSimulation({
      seed: 11,
      customers: 200,
      startTime: from - 30 * DAY_MS,
      spanMs: 30 * DAY_MS,
      until: Number.POSITIVE_INFINITY,
      paced: { from, eventsPerSecond: 50 },
      replaceLapsed: true,
      malformedShare: 0,
    });
    let live = 0;
    let last = 0;
    for (let r = sim.next(); r && r.emitAt < from + 600_000; r = sim.next()) {
      if (r.emitAt >= from) live++;
      last = r.emitAt;
    }
    expect(last).toBeGreaterThan(from + 590_000);
    // 50/s over 600 s = 30,000 expected; Poisson noise is about 0.6%.
    expect(live).toBeGreaterThan(29_000);
    expect(live).toBeLessThan(31_000);
    expect(sim.stats().customersReplaced).toBeGreaterThan(0);
  });

  it('rejects nonsense options', () => {
    expect(() => new PurchaseSimulation({ customers: 0 })).toThrow(RangeError);
    expect(() => new PurchaseSimulation({ malformedShare: 1.5 })).toThrow(RangeError);
    expect(() => new PurchaseSimulation({ currency: 'ZZZ' })).toThrow(/currency/);
  });

  it('uses minor units of the currency', () => {
    const { records } = run({ seed: 1, customers: 50, events: 200, currency: 'JPY', malformedShare: 0 });
    expect(records.every((r) => r.event!.currency === 'JPY')).toBe(true);
  });
});

describe('Random and WeightedSlots', () => {
  it('draws reproducibly with the expected moments', () => {
    const a = new Random(123);
    const b = new Random(123);
    const xs = Array.from({ length: 20_000 }, () => a.next());
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b.next()));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeCloseTo(0.5, 1);
    const g = Array.from({ length: 20_000 }, () => a.gamma(0.5));
    expect(g.reduce((s, x) => s + x, 0) / g.length).toBeCloseTo(0.5, 1);
    const beta = Array.from({ length: 20_000 }, () => a.beta(1, 20));
    expect(beta.reduce((s, x) => s + x, 0) / beta.length).toBeCloseTo(1 / 21, 2);
  });

  it('finds slots in proportion to their weights', () => {
    const slots = new WeightedSlots(5);
    slots.set(1, 1);
    slots.set(3, 3);
    expect(slots.total).toBe(4);
    const rng = new Random(1);
    const counts = [0, 0, 0, 0, 0];
    for (let i = 0; i < 10_000; i++) counts[slots.find(rng.next() * slots.total)]!++;
    expect(counts[0]! + counts[2]! + counts[4]!).toBe(0);
    expect(counts[3]! / counts[1]!).toBeGreaterThan(2.6);
    expect(counts[3]! / counts[1]!).toBeLessThan(3.4);
    slots.set(1, 0);
    slots.set(3, 0);
    expect(slots.total).toBe(0);
  });
});
