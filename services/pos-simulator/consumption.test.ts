import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { codecFor } from '../../shared/avro/index.js';
import type { AgeBand } from '../../shared/contracts/generated.js';
import { validateCustomerProfile } from '../../shared/contracts/validate-profile.js';
import { validatePurchase } from '../../shared/contracts/validate-purchase.js';
import { peerSegmentOf } from '../share-of-wallet/peer-segment.js';
import { DEFAULT_KCAL_PER_DAY } from '../share-of-wallet/settings.js';
import {
  type ConsumptionTraffic,
  type ConsumptionTruth,
  type ConsumptionUnit,
  consumptionOf,
  DAY_MS,
  generateConsumptionTraffic,
  HEADCOUNT_BANDS,
  INDUSTRIES,
  needBetween,
  segmentQuotas,
} from './consumption.js';

// One shared run for the statistical checks: 600 customers over the default 240 days.
const traffic = generateConsumptionTraffic({ seed: 11, customers: 600 });
const { startTime, spanDays } = traffic.options;
const end = startTime + spanDays * DAY_MS;

function digest(t: ConsumptionTraffic): string {
  const hash = createHash('sha256');
  for (const r of t.profiles) hash.update(r.key).update(r.value).update(String(r.emitAt));
  for (const r of t.purchases) hash.update(r.key).update(r.value).update(String(r.emitAt));
  return hash.digest('hex');
}

/** Per customer: kcal or usage bought per day of the span (net of returns). */
function dailyConsumption(t: ConsumptionTraffic, unitOf: (truth: ConsumptionTruth) => ConsumptionUnit) {
  const days = new Map<string, Float64Array>();
  for (const r of t.purchases) {
    const truth = t.truth.get(r.key)!;
    let a = days.get(r.key);
    if (!a) {
      a = new Float64Array(spanDays);
      days.set(r.key, a);
    }
    a[Math.floor((r.event.occurredAt - startTime) / DAY_MS)]! += consumptionOf(r.event, unitOf(truth));
  }
  return days;
}

/** Ratios bought / need over every 91-day window ending on a day boundary after warm-up. */
function windowRatios(
  truth: ConsumptionTruth,
  daily: Float64Array | undefined,
  unit: ConsumptionUnit,
  windowDays = 91,
  warmUpDays = 14,
): number[] {
  const ratios: number[] = [];
  const firstEnd = Math.ceil((truth.joinedAt - startTime) / DAY_MS) + windowDays + warmUpDays;
  for (let e = firstEnd; e <= spanDays; e++) {
    let bought = 0;
    for (let d = e - windowDays; d < e; d++) bought += daily?.[d] ?? 0;
    const need = needBetween(truth, unit, startTime + (e - windowDays) * DAY_MS, startTime + e * DAY_MS);
    ratios.push(bought / need);
  }
  return ratios;
}

describe('consumption-driven traffic', () => {
  it('is deterministic: the same seed gives the same bytes, another seed other bytes', () => {
    const a = generateConsumptionTraffic({ seed: 5, customers: 150 });
    const b = generateConsumptionTraffic({ seed: 5, customers: 150 });
    const c = generateConsumptionTraffic({ seed: 6, customers: 150 });
    expect(a.purchases.length).toBeGreaterThan(1000);
    expect(digest(a)).toBe(digest(b));
    expect(digest(a)).not.toBe(digest(c));
    expect([...a.truth.values()]).toEqual([...b.truth.values()]);
  });

  it('gives records that decode to their events and pass the contracts, except unusable profiles', () => {
    const purchaseCodec = codecFor('Purchase');
    const profileCodec = codecFor('CustomerProfile');
    // Plain checks per record (expect per record would dominate the run time), one expect at the end.
    const problems: string[] = [];
    for (const r of traffic.purchases) {
      const id = r.event.eventId;
      if (r.key !== r.event.customerId) problems.push(`${id}: key`);
      if (r.emitAt !== r.event.occurredAt) problems.push(`${id}: emitAt`);
      if (JSON.stringify(purchaseCodec.decode(r.value)) !== JSON.stringify(r.event))
        problems.push(`${id}: decode`);
      const rejection = validatePurchase(r.event, { valueCurrency: 'EUR' });
      if (rejection) problems.push(`${id}: ${rejection.message}`);
    }
    expect(problems).toEqual([]);
    expect(purchaseCodec.decode(traffic.purchases[0]!.value)).toEqual(traffic.purchases[0]!.event);
    const eventIds = new Set(traffic.purchases.map((r) => r.event.eventId));
    expect(eventIds.size).toBe(traffic.purchases.length);
    for (const r of traffic.profiles) {
      expect(r.key).toBe(r.event.customerId);
      expect(r.emitAt).toBe(r.event.occurredAt);
      expect(profileCodec.decode(r.value)).toEqual(r.event);
      expect(r.event.signedUpAt).toBeLessThanOrEqual(r.event.occurredAt);
      expect(r.event.country).toBe('DE');
      const truth = traffic.truth.get(r.key)!;
      expect(r.event.customerType).toBe(truth.customerType);
      const problem = validateCustomerProfile(r.event);
      if (truth.profileStatus === 'unusable' && truth.customerType === 'BUSINESS') {
        // headcount 0: valid-but-unusable once the profile contract allows it; rejected before.
        expect(r.event.business).toEqual({ headcount: 0, industry: truth.business!.industry });
        if (problem) expect(problem.message).toMatch(/headcount/);
      } else {
        expect(problem).toBeNull();
      }
    }
  });

  it('emits purchases and profiles in event-time order within the span', () => {
    const inOrder = (times: number[]) => times.every((t, i) => i === 0 || times[i - 1]! <= t);
    expect(inOrder(traffic.purchases.map((r) => r.emitAt))).toBe(true);
    expect(inOrder(traffic.profiles.map((r) => r.emitAt))).toBe(true);
    const sales = new Map(traffic.purchases.map((r) => [r.event.eventId, r.event]));
    const problems: string[] = [];
    let returns = 0;
    for (const r of traffic.purchases) {
      const truth = traffic.truth.get(r.key)!;
      const { eventId, occurredAt } = r.event;
      if (!(occurredAt > truth.joinedAt && occurredAt < end)) problems.push(`${eventId}: outside`);
      if (r.event.kind === 'RETURN') {
        returns++;
        const sale = sales.get(r.event.returnOfEventId!);
        const line = r.event.lines[0]!;
        const sold = sale?.lines.find((l) => l.sku === line.sku);
        if (
          sale?.customerId !== r.key ||
          !(sale.occurredAt < occurredAt) ||
          !(sold!.quantity >= line.quantity)
        )
          problems.push(`${eventId}: not a return of an earlier sale`);
      }
    }
    expect(problems).toEqual([]);
    expect(returns).toBeGreaterThan(50);
    // Customers join over the first 10 % of the span, so two 91-day windows fit before its end.
    for (const truth of traffic.truth.values()) {
      expect(truth.joinedAt).toBeGreaterThanOrEqual(startTime);
      expect(truth.joinedAt).toBeLessThan(startTime + 0.1 * spanDays * DAY_MS);
      expect(end - truth.joinedAt).toBeGreaterThanOrEqual(2 * 91 * DAY_MS);
    }
  });

  it('has the profile cases: none, unusable, a second household version, and consent for most', () => {
    const all = [...traffic.truth.values()];
    const byCustomer = new Map<string, typeof traffic.profiles>();
    for (const r of traffic.profiles) byCustomer.set(r.key, [...(byCustomer.get(r.key) ?? []), r]);
    const count = (status: string) => all.filter((t) => t.profileStatus === status).length;
    expect(count('none')).toBeGreaterThan(5);
    expect(count('none')).toBeLessThan(40);
    expect(count('unusable')).toBeGreaterThan(2);
    expect(count('unusable')).toBeLessThan(30);
    expect(count('changed')).toBeGreaterThan(0);
    const consent = all.filter((t) => t.marketingConsent).length / all.length;
    expect(consent).toBeGreaterThan(0.6);
    expect(consent).toBeLessThan(0.8);
    for (const truth of all) {
      const versions = byCustomer.get(truth.customerId) ?? [];
      if (truth.profileStatus === 'none') {
        expect(versions).toHaveLength(0);
        continue;
      }
      const first = versions[0]!.event;
      expect(first.occurredAt).toBe(truth.joinedAt);
      expect(first.marketingConsent).toBe(truth.marketingConsent);
      if (truth.profileStatus === 'changed') {
        expect(versions).toHaveLength(2);
        const second = versions[1]!.event;
        expect(second.occurredAt).toBe(truth.changedAt);
        expect(second.householdMembers).toHaveLength(first.householdMembers.length + 1);
        expect(truth.needs).toHaveLength(2);
        expect(truth.needs[1]!.perDay.kcal).toBeGreaterThan(truth.needs[0]!.perDay.kcal!);
      } else {
        expect(versions).toHaveLength(1);
        expect(truth.needs).toHaveLength(1);
      }
      if (truth.profileStatus === 'unusable' && truth.customerType === 'CONSUMER') {
        expect(first.householdMembers).toEqual([]);
      }
    }
  });

  it('models households: 1-6 members with an adult, need = Σ kcal x 0.65 x factor', () => {
    const households = [...traffic.truth.values()].filter((t) => t.customerType === 'CONSUMER');
    expect(households.length / traffic.truth.size).toBeGreaterThan(0.65);
    const sizes = new Set<number>();
    for (const t of households) {
      const members = t.household!.members;
      sizes.add(members.length);
      expect(members.length).toBeGreaterThanOrEqual(1);
      expect(members.length).toBeLessThanOrEqual(6);
      expect(members.some((b) => b === 'ADULT_19_64' || b === 'SENIOR_65_PLUS')).toBe(true);
      const kcal = members.reduce((sum, b: AgeBand) => sum + DEFAULT_KCAL_PER_DAY[b], 0);
      expect(t.household!.nominalKcalPerDay).toBeCloseTo(kcal * 0.65, 6);
      expect(t.needPerDay.kcal).toBeCloseTo(kcal * 0.65 * t.needFactor, 6);
      expect(t.needFactor).toBeGreaterThanOrEqual(0.9);
      expect(t.needFactor).toBeLessThanOrEqual(1.1);
      expect(t.meanIntervalDays).toBeGreaterThanOrEqual(2);
      expect(t.meanIntervalDays).toBeLessThanOrEqual(8);
      if (t.profileStatus === 'ok' || t.profileStatus === 'changed') {
        const profile = traffic.profiles.find((r) => r.key === t.customerId)!.event;
        expect(profile.householdMembers.map((m) => m.ageBand)).toEqual(members);
      }
    }
    expect(sizes.size).toBeGreaterThanOrEqual(5);
  });

  it('splits full and partial buyers by shareHere', () => {
    const all = [...traffic.truth.values()];
    const partial = all.filter((t) => t.buyer === 'partial');
    expect(partial.length / all.length).toBeGreaterThan(0.22);
    expect(partial.length / all.length).toBeLessThan(0.38);
    for (const t of all) {
      if (t.buyer === 'full') {
        expect(t.shareHere).toBeGreaterThanOrEqual(0.9);
        expect(t.shareHere).toBeLessThanOrEqual(1.1);
      } else {
        expect(t.shareHere).toBeGreaterThanOrEqual(0.1);
        expect(t.shareHere).toBeLessThanOrEqual(0.5);
      }
    }
  });

  it('lets households buy kcal that match their need x shareHere over every 91-day window', () => {
    const daily = dailyConsumption(traffic, () => 'kcal');
    let fullWindows = 0;
    let partialWindows = 0;
    const problems: string[] = [];
    for (const t of traffic.truth.values()) {
      if (t.customerType !== 'CONSUMER') continue;
      const ratios = windowRatios(t, daily.get(t.customerId), 'kcal');
      expect(ratios.length).toBeGreaterThan(100);
      for (const r of ratios) {
        // Bought / (need x shareHere): only trip timing and whole articles make it differ from 1.
        if (!(Math.abs(r / t.shareHere - 1) < 0.2))
          problems.push(`${t.customerId}: ${r} vs share ${t.shareHere}`);
        if (t.buyer === 'full') {
          if (!(Math.abs(r - 1) < 0.25)) problems.push(`${t.customerId}: full buyer at ${r}`);
          fullWindows++;
        } else {
          if (!(r < 0.6)) problems.push(`${t.customerId}: partial buyer at ${r}`);
          partialWindows++;
        }
      }
      if (t.buyer === 'partial') {
        // Over everything after warm-up, a partial buyer stays below 0.55 of its need.
        const from = t.joinedAt + 14 * DAY_MS;
        let bought = 0;
        const a = daily.get(t.customerId)!;
        for (let d = Math.ceil((from - startTime) / DAY_MS); d < spanDays; d++) bought += a[d]!;
        const fromDay = startTime + Math.ceil((from - startTime) / DAY_MS) * DAY_MS;
        expect(bought / needBetween(t, 'kcal', fromDay, end)).toBeLessThan(0.55);
      }
    }
    expect(problems).toEqual([]);
    expect(fullWindows).toBeGreaterThan(10_000);
    expect(partialWindows).toBeGreaterThan(5_000);
  });

  it('lets businesses buy minutes and GB that match headcount x usage x shareHere', () => {
    const businesses = [...traffic.truth.values()].filter((t) => t.customerType === 'BUSINESS');
    expect(businesses.length / traffic.truth.size).toBeGreaterThan(0.18);
    expect(businesses.length / traffic.truth.size).toBeLessThan(0.32);
    const problems: string[] = [];
    for (const unit of ['minutes', 'GB'] as const) {
      const daily = dailyConsumption(traffic, () => unit);
      for (const t of businesses) {
        const b = t.business!;
        expect(t.needPerDay[unit]).toBeCloseTo(
          b.headcount * b.usagePerEmployeePerDay[unit] * t.needFactor,
          9,
        );
        // Purchases every 7-30 days: a 91-day window can be up to about a third off.
        for (const r of windowRatios(t, daily.get(t.customerId), unit)) {
          if (!(Math.abs(r / t.shareHere - 1) < 0.36)) problems.push(`${t.customerId} ${unit}: ${r}`);
          if (t.buyer === 'partial' && !(r < 0.7)) problems.push(`${t.customerId} ${unit}: partial at ${r}`);
        }
        // Since joining, what was bought equals need x shareHere up to the last purchase's lag.
        let bought = 0;
        for (const x of daily.get(t.customerId) ?? []) bought += x;
        const covered = needBetween(t, unit, t.joinedAt, end) * t.shareHere;
        expect(bought).toBeLessThanOrEqual(covered * 1.01 + 1);
        expect(bought).toBeGreaterThan(covered * 0.8);
      }
    }
    expect(problems).toEqual([]);
  });

  it('describes businesses by industry and headcount band, with populated peer segments', () => {
    const t = generateConsumptionTraffic({ seed: 3, customers: 1000 });
    const segments = new Map<string, number>();
    const partial = new Map<string, number>();
    for (const truth of t.truth.values()) {
      if (truth.customerType !== 'BUSINESS') continue;
      const b = truth.business!;
      expect(Object.keys(INDUSTRIES)).toContain(b.industry);
      expect(b.headcount).toBeGreaterThanOrEqual(1);
      expect(b.headcount).toBeLessThanOrEqual(400);
      expect(b.segment).toBe(peerSegmentOf(b.industry, b.headcount, [10, 50, 250]));
      if (truth.profileStatus === 'ok') segments.set(b.segment, (segments.get(b.segment) ?? 0) + 1);
      if (truth.profileStatus === 'ok' && truth.buyer === 'partial')
        partial.set(b.segment, (partial.get(b.segment) ?? 0) + 1);
    }
    expect(segments.size).toBeGreaterThanOrEqual(8);
    for (const [segment, n] of segments) {
      expect(n, segment).toBeGreaterThanOrEqual(10);
      // Partial buyers by quota in every segment: the peers' median is a full buyer's.
      expect(partial.get(segment) ?? 0, segment).toBe(Math.round(0.3 * n));
    }
    for (const r of t.profiles) {
      const truth = t.truth.get(r.key)!;
      if (truth.customerType === 'BUSINESS' && truth.profileStatus === 'ok') {
        expect(r.event.business).toEqual({
          headcount: truth.business!.headcount,
          industry: truth.business!.industry,
        });
        expect(r.event.householdMembers).toEqual([]);
      }
    }
    expect(HEADCOUNT_BANDS).toHaveLength(4);
  });

  it('allocates segment quotas by weight and drops segments below the minimum size', () => {
    expect(segmentQuotas([0.5, 0.3, 0.2], 100, 10)).toEqual([50, 30, 20]);
    expect(segmentQuotas([0.5, 0.3, 0.2], 40, 10)).toEqual([25, 15, 0]);
    expect(segmentQuotas([0.6, 0.4], 5, 10)).toEqual([5, 0]);
    expect(segmentQuotas([0.6, 0.4], 0, 10)).toEqual([0, 0]);
    const q = segmentQuotas([0.34, 0.33, 0.33], 101, 1);
    expect(q.reduce((a, b) => a + b, 0)).toBe(101);
  });

  it('uses the need in force: a changed household buys more after its second profile version', () => {
    const t = generateConsumptionTraffic({ seed: 2, customers: 400, changedProfileShare: 0.2 });
    const changed = [...t.truth.values()].filter((x) => x.profileStatus === 'changed');
    expect(changed.length).toBeGreaterThan(30);
    const daily = dailyConsumption(t, () => 'kcal');
    let before = 0;
    let after = 0;
    let needBefore = 0;
    let needAfter = 0;
    for (const truth of changed) {
      const a = daily.get(truth.customerId)!;
      const change = Math.ceil((truth.changedAt! - startTime) / DAY_MS);
      for (let d = 0; d < spanDays; d++) {
        if (d < change) before += a[d]!;
        else after += a[d]!;
      }
      needBefore += needBetween(truth, 'kcal', startTime, startTime + change * DAY_MS) * truth.shareHere;
      needAfter += needBetween(truth, 'kcal', startTime + change * DAY_MS, end) * truth.shareHere;
    }
    expect(before / needBefore).toBeGreaterThan(0.93);
    expect(before / needBefore).toBeLessThan(1.03);
    expect(after / needAfter).toBeGreaterThan(0.9);
    expect(after / needAfter).toBeLessThan(1.05);
  });

  it('rejects bad options', () => {
    expect(() => generateConsumptionTraffic({ customers: 0 })).toThrow(/customers/);
    expect(() => generateConsumptionTraffic({ partialShare: 1.5 })).toThrow(/partialShare/);
    expect(() => generateConsumptionTraffic({ currency: 'XXX' })).toThrow(/currency/);
    expect(() => generateConsumptionTraffic({ spanDays: 0 })).toThrow(/spanDays/);
  });
});
