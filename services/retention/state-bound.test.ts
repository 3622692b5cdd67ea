import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CustomerProfile, Purchase } from '../../shared/contracts/generated.js';
import { sampleConsumerProfile, samplePurchase } from '../../shared/contracts/samples.js';
import { type DriverRecord, InMemoryRuntime } from '../../test/oracle/in-memory-driver.js';
import { retentionPopulation } from '../../test/support/retention-population.js';
import { purchaseSummary, type RetentionInput } from './decide.js';
import { defaultLadderSettings, ladderSettings } from './ladder/ladder-settings.js';
import { parseOfferPolicy } from './offers/offer-policy.js';
import { retainedDaysMs } from './purchase-days.js';
import { DAY_MS, retentionSettings } from './settings.js';
import { decodeState, encodeState, maxEncodedStateBytes, type RetentionState } from './state.js';
import { createRetentionWorker } from './worker.js';

// A customer's retention state is bounded whatever the length of its history: the stated bound
// (services/retention/state.ts, README "Retention") for the default settings is 18,606 bytes.
// Folding the old purchase days into the summary changes no decision: the same population gives
// the same outputs, counters, fits and timers as without folding.

const STATED_BOUND_BYTES = 18_606;
const policy = parseOfferPolicy(
  readFileSync(new URL('../../deploy/retention-offer-policy.json', import.meta.url), 'utf8'),
  'policy',
);
const START = Date.UTC(2024, 0, 1);

const purchase = (customerId: string, day: number, spendMinor: number): Purchase => {
  const sale = samplePurchase();
  return {
    ...sale,
    eventId: `${customerId}-${day}`,
    customerId,
    occurredAt: START + day * DAY_MS + 15 * 3_600_000,
    lines: [{ ...sale.lines[0]!, quantity: 1, unitPriceMinor: spendMinor }],
  };
};
const profile = (customerId: string): CustomerProfile => ({
  ...sampleConsumerProfile(),
  eventId: `p-${customerId}`,
  customerId,
  occurredAt: START,
  signedUpAt: START,
  marketingConsent: true,
});

describe('retention state size', () => {
  it('stays under the stated bound, and stops growing, with 3 years of daily purchases', () => {
    const worker = createRetentionWorker({
      settings: retentionSettings(),
      policy,
      partitionCount: 1,
      ladder: defaultLadderSettings,
    });
    const runtime = new InMemoryRuntime(worker, 1);
    runtime.append(0, [{ offset: 'p', topic: 'customer-profiles', value: profile('c-daily') }]);
    const sizeAfterDays = new Map<number, number>();
    let offset = 0;
    for (const days of [365, 730, 1095]) {
      const records: DriverRecord<RetentionInput>[] = [];
      for (; offset < days; offset += 1) {
        // Spends of four to six digits, as a daily shopper's receipts.
        const spend = 1_000 + ((offset * 7_919) % 150_000);
        records.push({
          offset: String(offset),
          topic: 'purchases',
          value: purchase('c-daily', offset, spend),
        });
      }
      runtime.append(0, records);
      runtime.runUntilIdle();
      const encoded = runtime.result().partitions[0]!.states.get('c-daily')!;
      sizeAfterDays.set(days, Buffer.byteLength(encoded, 'utf8'));
    }
    expect(runtime.result().deadLetters).toEqual([]);
    const [oneYear, twoYears, threeYears] = [...sizeAfterDays.values()];
    expect(threeYears, `encoded state after 3 years: ${threeYears} bytes`).toBeLessThanOrEqual(
      STATED_BOUND_BYTES,
    );
    // Bounded by the retained window, not by the history: a year more adds (almost) nothing.
    expect(twoYears! - oneYear!).toBeLessThan(100);
    expect(threeYears! - twoYears!).toBeLessThan(100);

    // Its summary still counts every day: x = 1,094 repeat days after 1,095 purchase days.
    const state = decodeState(runtime.result().partitions[0]!.states.get('c-daily')!);
    expect(purchaseSummary(state)).toMatchObject({
      x: 1_094,
      firstDay: START,
      lastDay: START + 1_094 * DAY_MS,
    });
    expect(state.days).toHaveLength(365);
    expect(state.earlier?.days).toBe(730);

    // Silent for more than every window (another customer's purchase moves stream time on): the
    // ladder's timers fold the listed days away, and the state keeps its fixed fields only.
    runtime.append(0, [{ offset: 'late', topic: 'purchases', value: purchase('c-other', 1_095 + 400, 1) }]);
    runtime.runUntilIdle();
    const silent = runtime.result().partitions[0]!.states.get('c-daily')!;
    expect(decodeState(silent).days).toEqual([]);
    expect(decodeState(silent).ladder.evidence.purchaseDays).toEqual([]);
    expect(Buffer.byteLength(silent, 'utf8')).toBeLessThan(400);
  });

  it('reads states written before folding (no `earlier`: every day listed)', () => {
    const written = JSON.stringify({
      days: [
        [START, 500],
        [START + 9 * DAY_MS, 700],
      ],
      consent: true,
      consentAt: START,
      valueTier: 'top',
      atRisk: null,
      lastTreatment: null,
      ladder: {
        evidence: { purchaseDays: [], supportAt: [], referralsAt: [], partnershipsAt: [] },
        rung: null,
      },
      activePeriod: null,
    });
    const state = decodeState(written);
    expect(state.earlier).toBeNull();
    expect(purchaseSummary(state)).toEqual({
      x: 1,
      firstDay: START,
      lastDay: START + 9 * DAY_MS,
      repeatSpendMinor: 700,
    });
  });

  it('is the bound the formula gives, and no state as wide as the fields allow exceeds it', () => {
    const settings = retentionSettings();
    expect(maxEncodedStateBytes(settings, defaultLadderSettings)).toBe(STATED_BOUND_BYTES);
    expect(retainedDaysMs(settings, defaultLadderSettings)).toBe(365 * DAY_MS);
    // Every listed and ladder day, the longest times (11 base-36 digits: not on a day boundary),
    // the longest spends (24 characters and '~') and other numbers (25 and '~').
    const time = (i: number) => 9_007_199_254_740_991 - i * DAY_MS;
    const spend = 0.0000012345678901234567;
    const n = -spend;
    const widest: RetentionState = {
      days: Array.from({ length: 365 }, (_, i) => [time(365 - i), spend] as const),
      earlier: { days: n, firstDay: n, lastDay: n, repeatSpendMinor: n },
      consent: false,
      consentAt: n,
      valueTier: 'unknown',
      atRisk: {
        since: n,
        reasons: ['silence', 'dissatisfaction', 'cancellation-request', 'price', 'spend-decline'],
      },
      lastTreatment: { at: n, kind: 'holdout', tier: 'unknown', expiresAt: n, retained: false },
      ladder: {
        evidence: {
          purchaseDays: Array.from({ length: 365 }, (_, i) => time(365 - i)),
          supportAt: [],
          referralsAt: [],
          partnershipsAt: [],
        },
        rung: 'supporter',
      },
      activePeriod: { period: n, tier: 'unknown' },
    };
    const bytes = Buffer.byteLength(encodeState(widest), 'utf8');
    expect(bytes).toBeLessThanOrEqual(STATED_BOUND_BYTES);
    expect(bytes).toBe(STATED_BOUND_BYTES - 2); // tight: only the last separator of each list
  });
});

// Short windows, so that three years fold a lot. In each case another window is the longest:
// folding by anything shorter changes ladder moves (their spend and purchase days in the window)
// or spend-decline decisions.
const cases = [
  { name: 'the ladder window (70 days) the longest', ladderDays: 70, declineDays: 20, retainedDays: 70 },
  {
    name: 'twice the spend-decline window (2 × 45 days) the longest',
    ladderDays: 30,
    declineDays: 45,
    retainedDays: 90,
  },
];

describe.each(cases)('folding old purchase days, with $name', ({ ladderDays, declineDays, retainedDays }) => {
  const ladder = ladderSettings({ customerWindowDays: ladderDays, clientWindowDays: ladderDays });
  const base = {
    fitPeriodMs: 28 * DAY_MS,
    publishDelayMs: DAY_MS,
    minFitCustomers: 100,
    spendDecline: { windowDays: declineDays, share: 0.5, risk: 0.5 },
  };
  const folding = retentionSettings({ ...base, allowedLatenessMs: 3 * DAY_MS });
  // The allowed lateness only decides which records are late, and none is later than 3 days
  // here; as the longest retained window it keeps every day listed for 5,000 days (no folding).
  const listing = retentionSettings({ ...base, allowedLatenessMs: 5_000 * DAY_MS });
  const PARTITIONS = 2;
  const { purchases, profiles, tiers, complaints } = retentionPopulation({
    customers: 600,
    start: START,
    weeks: 156,
    seed: 11,
  });
  /** The purchases in time order, except every 40th, which arrives 1.5 days late. */
  const withLate = (list: readonly Purchase[]): Purchase[] => {
    const log = list.filter((_, i) => i % 40 !== 39);
    list.forEach((late, i) => {
      if (i % 40 !== 39) return;
      const at = log.findIndex((p) => p.occurredAt > late.occurredAt + 1.5 * DAY_MS);
      log.splice(at === -1 ? log.length : at, 0, late);
    });
    return log;
  };
  const run = (settings: typeof folding) => {
    const worker = createRetentionWorker({ settings, policy, partitionCount: PARTITIONS, ladder });
    const runtime = new InMemoryRuntime(worker, PARTITIONS);
    for (let p = 0; p < PARTITIONS; p += 1) {
      const mine = <T extends { customerId: string }>(list: readonly T[]) =>
        list.filter((e) => Number(e.customerId.slice(2)) % PARTITIONS === p);
      runtime.append(p, [
        ...mine(profiles).map((value, i) => ({ offset: `p${i}`, value, topic: 'customer-profiles' })),
        ...mine(tiers).map((value, i) => ({ offset: `t${i}`, value, topic: 'segment-changes' })),
        ...withLate(mine(purchases)).map((value, i) => ({ offset: String(i), value, topic: 'purchases' })),
        ...mine(complaints).map((value, i) => ({ offset: `i${i}`, value, topic: 'interactions' })),
      ] as DriverRecord<RetentionInput>[]);
    }
    runtime.runUntilIdle();
    return runtime.result();
  };
  const folded = run(folding);
  const listed = run(listing);

  it('changes no output, counter, fit, index entry or timer', () => {
    expect(retainedDaysMs(folding, ladder)).toBe(retainedDays * DAY_MS);
    expect(folded.deadLetters).toEqual([]);
    expect(folded.stalledPartitions).toEqual([]);
    expect(folded.outputs.filter((o) => o.topic === 'retention-offers').length).toBeGreaterThan(50);
    const reasons = new Set(folded.outputs.flatMap((o) => (o.value.reasons as string[] | undefined) ?? []));
    expect(reasons).toEqual(new Set(['silence', 'dissatisfaction', 'spend-decline']));
    expect(folded.outputs.filter((o) => o.decisionKind === 'ladder-move').length).toBeGreaterThan(100);
    expect(folded.outputs).toEqual(listed.outputs);
    expect(folded.views).toEqual(listed.views);
    for (let p = 0; p < PARTITIONS; p += 1) {
      const [f, l] = [folded.partitions[p]!, listed.partitions[p]!];
      expect(f.counters).toEqual(l.counters);
      expect(f.index).toEqual(l.index);
      expect(f.timers).toEqual(l.timers);
      expect(f.snapshots).toEqual(l.snapshots);
    }
  });

  it('keeps every summary, and lists only the days of the retained window', () => {
    let foldedCustomers = 0;
    for (let p = 0; p < PARTITIONS; p += 1) {
      const [f, l] = [folded.partitions[p]!, listed.partitions[p]!];
      expect([...f.states.keys()].sort()).toEqual([...l.states.keys()].sort());
      for (const [customerId, encoded] of f.states) {
        const short = decodeState(encoded);
        const long = decodeState(l.states.get(customerId)!);
        expect(long.earlier).toBeNull();
        expect(purchaseSummary(short), customerId).toEqual(purchaseSummary(long));
        expect(long.days.slice(long.days.length - short.days.length)).toEqual(short.days);
        const { days: _d, earlier: _e, ...rest } = short;
        const { days: _ld, earlier: _le, ...longRest } = long;
        expect(rest).toEqual(longRest);
        if (short.earlier !== null) foldedCustomers += 1;
        // Folded at the latest at the next refit (every 28 days) or ladder timer.
        const oldest = f.streamTime! - (retainedDays + 28) * DAY_MS;
        expect(short.days.every(([day]) => day > oldest)).toBe(true);
      }
    }
    expect(foldedCustomers).toBeGreaterThan(100);
  });
});
