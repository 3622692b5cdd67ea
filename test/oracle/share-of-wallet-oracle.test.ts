// Hand-computed cases for the share-of-wallet batch oracle: every expected number below is worked
// out in the comments from services/share-of-wallet/SEMANTICS.md, not taken from a run.

import { describe, expect, it } from 'vitest';
import {
  DAY_MS,
  DEFAULT_KCAL_PER_DAY,
  type ShareOfWalletSettings,
  shareOfWalletSettings,
} from '../../services/share-of-wallet/settings.js';
import type { AgeBand, CustomerProfile, Purchase, PurchaseLine } from '../../shared/contracts/generated.js';
import { outputEventId } from './in-memory-driver.js';
import { computeShareOfWallet, type SowOracleInput, type SowOracleRecord } from './share-of-wallet-oracle.js';

const HOUR_MS = 3_600_000;
/** 2024-01-01T00:00Z, a UTC day start (and so a boundary of a 1-day period). */
const T0 = Date.UTC(2024, 0, 1);
/** Day d at noon (or at `hours`). */
const day = (d: number, hours = 12) => T0 + d * DAY_MS + hours * HOUR_MS;
/** The boundary / evaluation instant at the start of day d. */
const at = (d: number) => T0 + d * DAY_MS;

const food = (kcalPerUnit: number, quantity: number, unitPriceMinor: number): PurchaseLine => ({
  sku: 'G-FOOD',
  category: 'groceries/food',
  quantity,
  unitPriceMinor,
  marginMinor: null,
  kcalPerUnit,
  usage: null,
});

const data = (gbPerUnit: number, quantity: number, unitPriceMinor: number): PurchaseLine => ({
  sku: 'S-DATA',
  category: 'services/mobile-data',
  quantity,
  unitPriceMinor,
  marginMinor: null,
  kcalPerUnit: null,
  usage: { unit: 'GB', amountPerUnit: gbPerUnit },
});

/** Neither food nor a configured usage unit: counts only in total spend. */
const other = (): PurchaseLine => ({
  sku: 'H-SOAP',
  category: 'household/soap',
  quantity: 1,
  unitPriceMinor: 300,
  marginMinor: null,
  kcalPerUnit: null,
  usage: null,
});

let purchaseSeq = 0;
function purchase(customerId: string, occurredAt: number, lines: PurchaseLine[], currency = 'EUR'): Purchase {
  purchaseSeq += 1;
  return {
    eventId: `pos-${purchaseSeq}`,
    customerId,
    occurredAt,
    kind: 'SALE',
    currency,
    lines,
    channel: 'store',
    storeId: null,
    returnOfEventId: null,
  };
}

/** Records with offsets 0, 1, 2, … (profiles and erasure requests where they stand). */
function records(
  ...items: Array<Purchase | { nullFor: string } | { erase: string; occurredAt: number } | CustomerProfile>
): SowOracleRecord[] {
  return items.map((item, i): SowOracleRecord => {
    if ('nullFor' in item) return { offset: String(i), customerId: item.nullFor, purchase: null };
    if ('erase' in item)
      return {
        offset: String(i),
        customerId: item.erase,
        erasure: { eventId: `erase-${i}`, occurredAt: item.occurredAt },
      };
    if ('customerType' in item) return { offset: String(i), customerId: item.customerId, profile: item };
    return { offset: String(i), customerId: item.customerId, purchase: item };
  });
}

let profileSeq = 0;
function consumer(customerId: string, occurredAt: number, members: AgeBand[]): CustomerProfile {
  profileSeq += 1;
  return {
    eventId: `crm-${profileSeq}`,
    customerId,
    occurredAt,
    customerType: 'CONSUMER',
    displayName: null,
    householdMembers: members.map((ageBand) => ({ ageBand })),
    business: null,
    marketingConsent: true,
    signedUpAt: occurredAt,
    country: 'DE',
  };
}

function business(
  customerId: string,
  occurredAt: number,
  b: { headcount: number; industry: string } | null,
): CustomerProfile {
  profileSeq += 1;
  return {
    eventId: `crm-${profileSeq}`,
    customerId,
    occurredAt,
    customerType: 'BUSINESS',
    displayName: null,
    householdMembers: [],
    business: b,
    marketingConsent: true,
    signedUpAt: occurredAt,
    country: 'DE',
  };
}

const idOf = (partition: number, boundary: number, customerId: string, n: number) =>
  outputEventId(
    'share-of-wallet',
    `population/${partition}/${boundary}/${customerId}`,
    'under-consumption',
    n,
  );

/** Daily purchases of one customer at noon of days 0, 1, …: kcal bought each day (1 unit at 100). */
function dailyFood(customerId: string, kcalByDay: number[]): Purchase[] {
  return kcalByDay.map((kcal, d) => purchase(customerId, day(d), [food(kcal, 1, 100)]));
}

/** One 1-day window, 1000 kcal a day for an adult, all of it expected from the grocer. */
function dailySettings(overrides: Partial<ShareOfWalletSettings>): ShareOfWalletSettings {
  return shareOfWalletSettings({
    confirmationMs: 0,
    windowsDays: [1],
    minHistoryWindows: 2,
    grocerShare: 1,
    kcalPerDay: { ...DEFAULT_KCAL_PER_DAY, ADULT_19_64: 1000 },
    ...overrides,
  });
}

describe('share-of-wallet oracle', () => {
  it('alerts a household once each window has enough history, with hand-computed numbers and ids', () => {
    const settings = shareOfWalletSettings({
      confirmationMs: 0,
      windowsDays: [7, 14],
      minHistoryWindows: 1,
      grocerShare: 0.5,
    });
    const input: SowOracleInput = {
      settings,
      partitions: [
        records(
          purchase('h1', day(0), [other()]), // starts the partition: instants from day 1 on
          purchase('h1', day(6), [food(800, 10, 400)]), // 8000 kcal for 4000 cents: 0.5 cent/kcal
          purchase('h1', day(14), [other()]), // stream time to day 14 noon: last evaluation at day 14
        ),
      ],
      profiles: [[consumer('h1', at(0), ['ADULT_19_64', 'CHILD_4_8'])]],
    };
    const out = computeShareOfWallet(input);

    // Evaluations at e = day 1 … day 14 (views of b = e - 1 day); history start = day 0 (profile).
    // Need per day: 2300 + 1500 = 3800 kcal. Expected: W7 = 3800 × 7 × 0.5 = 13300, W14 = 26600.
    // W7 has history from e = day 7: e = 7 … 13 the window holds day 6 (8000 / 13300 = 0.6015,
    // not below 0.6, still armed); e = 14: window [day 7, day 14) holds nothing → share 0 → alert.
    // W14 has history only at e = 14: [day 0, day 14) holds 8000 → 8000 / 26600 = 0.3008 → alert.
    expect(out.evaluations).toBe(14);
    expect(out.outcomes).toEqual({
      'insufficient-history': 6 + 13, // W7 at e = 1…6, W14 at e = 1…13
      evaluated: 8 + 1, // W7 at e = 7…14, W14 at e = 14
    });
    expect(out.stalledPartitions).toEqual([]);
    expect(out.deadLetters).toEqual([]);
    expect(out.alerts).toEqual([
      {
        eventId: idOf(0, at(13), 'h1', 0),
        customerId: 'h1',
        occurredAt: at(14),
        windowDays: 7,
        windowStart: at(7),
        windowEnd: at(14),
        unit: 'kcal',
        basis: 'household-calories',
        actual: 0,
        expected: 13300,
        share: 0,
        gapUnits: 13300,
        // No kcal in the window: price over the kept buckets [day 0, day 14): 4000 / 8000 = 0.5;
        // 13300 × 0.5 = 6650.
        gapMinor: 6650,
        currency: 'EUR',
        peerCount: null,
        peerUsagePerEmployee: null,
        valueTier: null,
      },
      {
        eventId: idOf(0, at(13), 'h1', 1), // second alert of the same evaluation: n = 1
        customerId: 'h1',
        occurredAt: at(14),
        windowDays: 14,
        windowStart: at(0),
        windowEnd: at(14),
        unit: 'kcal',
        basis: 'household-calories',
        actual: 8000,
        expected: 26600,
        share: 8000 / 26600,
        gapUnits: 18600,
        gapMinor: 9300, // 18600 × (4000 / 8000)
        currency: 'EUR',
        peerCount: null,
        peerUsagePerEmployee: null,
        valueTier: null,
      },
    ]);
    // Deterministic: the same input gives the same ids, and they differ by n.
    expect(computeShareOfWallet(input).alerts.map((a) => a.eventId)).toEqual(
      out.alerts.map((a) => a.eventId),
    );
    expect(out.alerts[0]!.eventId).not.toBe(out.alerts[1]!.eventId);
  });

  it('re-arms only at threshold + band, then alerts again once the cooldown has passed', () => {
    // Window 1 day, expected 1000 kcal: the share at e = day k + 1 is (kcal of day k) / 1000.
    // History start day 0, 2 windows of history: evaluated from e = day 2 on.
    const kcal = [900, 900, 500, 500, 500, 500, 650, 500, 750, 500, 500];
    const out = computeShareOfWallet({
      settings: dailySettings({ cooldownMs: 3 * DAY_MS }),
      partitions: [records(...dailyFood('h', kcal), purchase('h', day(11), [other()]))],
      profiles: [[consumer('h', at(0), ['ADULT_19_64'])]],
    });
    // e=2: 0.9 · e=3: 0.5 → ALERT (armed, no alert yet) · e=4,5: 0.5 disarmed ·
    // e=6: 0.5, cooldown over (6 - 3 = 3 days) but still disarmed → none ·
    // e=7: 0.65 (< 0.7: stays disarmed) · e=8: 0.5 → none · e=9: 0.75 ≥ 0.6 + 0.1 → re-armed ·
    // e=10: 0.5, armed, 10 - 3 = 7 days ≥ 3 → ALERT · e=11: 0.5 disarmed.
    expect(out.evaluations).toBe(11);
    expect(out.outcomes).toEqual({ 'insufficient-history': 1, evaluated: 10 });
    expect(out.alerts.map((a) => [a.occurredAt, a.share])).toEqual([
      [at(3), 0.5],
      [at(10), 0.5],
    ]);
    // actual 500, expected 1000, gap 500 kcal at 100 cents / 500 kcal = 0.2 → 100 cents.
    expect(out.alerts[1]).toMatchObject({ actual: 500, expected: 1000, gapUnits: 500, gapMinor: 100 });
    expect(out.alerts[1]!.eventId).toBe(idOf(0, at(9), 'h', 0));
  });

  it('suppresses a re-armed alert within the cooldown', () => {
    const kcal = [900, 900, 500, 800, 500, 500, 500, 500, 500, 500, 500];
    const out = computeShareOfWallet({
      settings: dailySettings({ cooldownMs: 7 * DAY_MS }),
      partitions: [records(...dailyFood('h', kcal))],
      profiles: [[consumer('h', at(0), ['ADULT_19_64'])]],
    });
    // Stream time ends at day 10 noon: evaluations e = 1 … 10.
    // e=3: 0.5 → ALERT · e=4: 0.8 → re-armed · e=5…9: 0.5, armed, but only 2…6 days since day 3
    // (< 7) → suppressed · e=10: 0.5, 7 days since day 3 → ALERT.
    expect(out.evaluations).toBe(10);
    expect(out.alerts.map((a) => a.occurredAt)).toEqual([at(3), at(10)]);
  });

  it('counts no-profile, empty-household and missing-headcount before history, per window', () => {
    const out = computeShareOfWallet({
      settings: shareOfWalletSettings({ confirmationMs: 0, windowsDays: [1, 2], minHistoryWindows: 2 }),
      partitions: [records(purchase('a', day(0), [other()]), purchase('a', day(3), [other()]))],
      profiles: [
        [
          consumer('a', day(2), ['ADULT_19_64']), // in force from day 2 noon
          consumer('a', day(5), []), // in force only after every evaluation here
          consumer('b', at(0), ['ADULT_19_64']),
          consumer('b', at(0), []), // same occurredAt, received last: in force (empty household)
          business('c', at(0), { headcount: 0, industry: 'retail' }),
          business('d', at(0), null),
        ],
      ],
    });
    // Evaluations at e = day 1, 2, 3; 2 windows each.
    // a: e=1,2: no profile in force → 2 × 2 no-profile. e=3: the day-2 consumer profile; history
    //    start = min(day 0 noon purchase, day 2 noon first profile) = day 0 noon, e - start = 2.5
    //    days: W1 (needs 2 days) evaluated, W2 (needs 4 days) insufficient-history.
    //    W1 window [day 2, day 3) holds no food: actual 0, expected 2300 × 1 × 0.65 → share 0 →
    //    alert; no kcal in the window nor in the kept buckets [day 1, day 3) → price 0, gap 0.
    // b: 3 × 2 empty-household; c (headcount 0) and d (no business): 3 × 2 missing-headcount each.
    expect(out.evaluations).toBe(3);
    expect(out.outcomes).toEqual({
      'no-profile': 4,
      evaluated: 1,
      'insufficient-history': 1,
      'empty-household': 6,
      'missing-headcount': 12,
    });
    expect(out.alerts).toHaveLength(1);
    const alert = out.alerts[0]!;
    expect(alert).toMatchObject({ customerId: 'a', occurredAt: at(3), windowDays: 1, actual: 0, share: 0 });
    expect(alert.expected).toBeCloseTo(1495, 9);
    expect(alert.gapMinor).toBe(0);
  });

  describe('business peer benchmark', () => {
    const profiles = (): CustomerProfile[][] => [
      [
        business('p1', at(0), { headcount: 10, industry: 'retail' }),
        business('p2', at(0), { headcount: 20, industry: ' Retail ' }),
        business('x', at(0), { headcount: 20, industry: 'retail' }),
        business('i1', at(0), { headcount: 10, industry: 'idle' }),
        business('i2', at(0), { headcount: 10, industry: 'idle' }),
      ],
      [
        business('p3', at(0), { headcount: 10, industry: 'RETAIL' }),
        business('p4', at(0), { headcount: 40, industry: 'retail' }),
        business('b1', at(0), { headcount: 10, industry: 'bakery' }),
        business('b2', at(0), { headcount: 10, industry: 'bakery' }),
        business('i3', at(0), { headcount: 10, industry: 'idle' }),
        business('i4', at(0), { headcount: 10, industry: 'idle' }),
      ],
    ];
    // GB bought on day 3; clocks run both partitions from day 0 noon to day 9 noon.
    const partitions = () => [
      records(
        purchase('clock0', day(0), [other()]),
        purchase('p1', day(3), [data(10, 15, 100)]), // 150 GB / 10 = 15 per employee
        purchase('p2', day(3), [data(10, 40, 100)]), // 400 GB / 20 = 20
        purchase('x', day(3), [data(10, 10, 100)]), // 100 GB / 20 = 5, 1000 cents: 10 cents/GB
        purchase('clock0', day(9), [other()]),
      ),
      records(
        purchase('clock1', day(0), [other()]),
        purchase('p3', day(3), [data(10, 30, 100)]), // 300 GB / 10 = 30
        purchase('p4', day(3), [data(10, 160, 100)]), // 1600 GB / 40 = 40
        purchase('clock1', day(9), [other()]),
      ),
    ];
    const settings = (minPeers: number) =>
      shareOfWalletSettings({
        confirmationMs: 0,
        windowsDays: [7],
        minHistoryWindows: 1,
        minPeers,
        usageUnits: ['GB'],
      });

    it('benchmarks against the lower median of the other businesses of the segment', () => {
      const out = computeShareOfWallet({
        settings: settings(3),
        partitions: partitions(),
        profiles: profiles(),
      });
      // Evaluations at e = day 1 … 9 in both partitions. History from day 0: W7 from e = day 7.
      // e = 7 is the first qualifying evaluation: contributions counted in the snapshot at b = 8,
      // applied at e = 9. The views of b = 6 and 7 are empty: no-peer-benchmark at e = 7, 8.
      // retail|10-49 at b = 8 (window [day 0, day 7)): p1 15, p2 20, x 5, p3 30, p4 40 per employee.
      // x: peers 15, 20, 30, 40 (n = 4 ≥ 3), rank ceil(4/2) = 2 → 20: cell floor(32 log2 20) =
      //    floor(138.30) = 138, typical T = 2^(138.5/32) = 20.086092112395058; window [day 2, day 9)
      //    holds 100 GB: expected 20 T = 401.7218, share 100 / 401.72 = 0.2489 → alert;
      //    gap 301.7218 GB × 10 cents = 3017.218 → 3017.
      // p1: peers 5, 20, 30, 40 → 20 → share 15 / 20.086 = 0.747 → none. p2: peers 5, 15, 30, 40 →
      //    15 (cell 125, 15.14): 20 / 15.14 → none; p3, p4 likewise above the median → none.
      // bakery: one peer each (< 3) → no-peer-benchmark. idle: i1…i4 all 'z', three peers each →
      //    typical 0 → no-peer-usage.
      // Outcomes: clocks no-profile 2 × 8 (after e = 8 a clock's day-0 purchase has left the 7-day
      // window and, without a profile, it is forgotten until its day-9 purchase); 11 businesses
      // insufficient at e = 1…6 (66), no-peer-benchmark at e = 7, 8 (22) + bakery at 9 (2).
      expect(out.evaluations).toBe(18);
      expect(out.outcomes).toEqual({
        'no-profile': 16,
        'insufficient-history': 66,
        'no-peer-benchmark': 24,
        evaluated: 5,
        'no-peer-usage': 4,
      });
      expect(out.alerts).toHaveLength(1);
      const alert = out.alerts[0]!;
      const typical = 2 ** (138.5 / 32);
      expect(typical).toBeCloseTo(20.086092112395058, 12);
      expect(alert).toMatchObject({
        eventId: idOf(0, at(8), 'x', 0),
        customerId: 'x',
        occurredAt: at(9),
        windowDays: 7,
        windowStart: at(2),
        windowEnd: at(9),
        unit: 'GB',
        basis: 'headcount-peer-usage',
        actual: 100,
        peerCount: 4,
        gapMinor: 3017,
        currency: 'EUR',
        valueTier: null,
      });
      expect(alert.peerUsagePerEmployee).toBeCloseTo(20.086092112395058, 12);
      expect(alert.expected).toBeCloseTo(401.7218422479012, 9);
      expect(alert.share).toBeCloseTo(0.24893, 5);
      expect(alert.gapUnits).toBeCloseTo(301.7218422479012, 9);
    });

    it('has no benchmark when fewer than minPeers others are in the segment (the customer excluded)', () => {
      // minPeers 5: retail has 5 businesses, so each has 4 peers; idle has 3 → no-peer-benchmark.
      const out = computeShareOfWallet({
        settings: settings(5),
        partitions: partitions(),
        profiles: profiles(),
      });
      expect(out.alerts).toEqual([]);
      expect(out.outcomes).toEqual({
        'no-profile': 16,
        'insufficient-history': 66,
        'no-peer-benchmark': 22 + 11,
      });
    });

    describe('erasure', () => {
      // Partition 0 with p1 erased at stream time day 7 noon (after the evaluation at e = 7 that
      // made its first contribution, before the snapshot at b = 8), then records of p1 that the
      // worker skips: a late one (day 1 < day 7 noon − 3 days) that is no dead letter, one far
      // ahead (day 30) that would move stream time, and a profile older than the request.
      const erasedPartitions = (
        after: Array<Purchase | CustomerProfile | { erase: string; occurredAt: number }>,
      ) => [
        records(
          purchase('clock0', day(0), [other()]),
          purchase('p1', day(3), [data(10, 15, 100)]),
          purchase('p2', day(3), [data(10, 40, 100)]),
          purchase('x', day(3), [data(10, 10, 100)]),
          purchase('clock0', day(7), [other()]),
          { erase: 'p1', occurredAt: at(7) },
          ...after,
          purchase('clock0', day(9), [other()]),
        ),
        partitions()[1]!,
      ];

      it('takes the customer out of the next snapshot: peers as if it had never been there', () => {
        const out = computeShareOfWallet({
          settings: settings(3),
          partitions: erasedPartitions([
            purchase('p1', day(1), [data(10, 99, 100)]),
            purchase('p1', day(30), [other()]),
            purchase('p1', day(8), [data(10, 99, 100)]),
            business('p1', at(7), { headcount: 10, industry: 'retail' }),
          ]),
          profiles: profiles(),
        });
        // retail|10-49 at b = 8 without p1: x 5, p2 20, p3 30, p4 40. x at e = 9: peers 20, 30, 40
        // (n = 3 ≥ 3), rank 2 → 30: cell floor(32 log2 30) = floor(157.02) = 157, typical
        // 2^(157.5/32) = 30.3366; expected 20 × 30.3366 = 606.73, share 100 / 606.73 = 0.1648 → alert,
        // gap 506.73 GB × 10 cents → 5067. p2: peers 5, 30, 40 → 30.34: 20 / 30.34 = 0.659 → none.
        // p3: peers 5, 20, 40 → 20.09: 30 / 20.09 → none; p4 likewise.
        const typical = 2 ** (157.5 / 32);
        expect(out.alerts).toHaveLength(1);
        expect(out.alerts[0]).toMatchObject({
          eventId: idOf(0, at(8), 'x', 0),
          customerId: 'x',
          occurredAt: at(9),
          actual: 100,
          peerCount: 3,
          gapMinor: Math.round((20 * typical - 100) * 10),
        });
        expect(out.alerts[0]!.peerUsagePerEmployee).toBeCloseTo(typical, 12);
        // Skipped records are no dead letters and move no stream time: e = 1 … 9 in each partition.
        expect(out.deadLetters).toEqual([]);
        expect(out.evaluations).toBe(18);
        // p1 never had a contribution in a snapshot (its first is from e = 7, counted at b = 8), so
        // everyone else's results are those of a history without p1 at all.
        const without = computeShareOfWallet({
          settings: settings(3),
          partitions: erasedPartitions([]).map((list) => list.filter((r) => r.customerId !== 'p1')),
          profiles: profiles().map((list) => list.filter((p) => p.customerId !== 'p1')),
        });
        expect(without.alerts).toEqual(out.alerts);
        // p1's own outcomes: insufficient at e = 1 … 6, no-peer-benchmark at e = 7; none after.
        expect(out.outcomes['insufficient-history']).toBe(without.outcomes['insufficient-history']! + 6);
        expect(out.outcomes['no-peer-benchmark']).toBe(without.outcomes['no-peer-benchmark']! + 1);
      });

      it('re-admits on a newer profile as a new customer, whose old self is another peer', () => {
        // Erased at stream time day 8 noon (p1 was counted at b = 8), re-admitted at once by a
        // profile newer than the request (at(0) + 1 ms > at(0)), without a purchase since.
        const out = computeShareOfWallet({
          settings: settings(3),
          partitions: [
            records(
              purchase('clock0', day(0), [other()]),
              purchase('p1', day(3), [data(10, 15, 100)]),
              purchase('p2', day(3), [data(10, 40, 100)]),
              purchase('x', day(3), [data(10, 10, 100)]),
              purchase('clock0', day(8), [other()]),
              { erase: 'p1', occurredAt: at(0) },
              business('p1', at(0) + 1, { headcount: 10, industry: 'retail' }),
              purchase('clock0', day(9), [other()]),
            ),
            partitions()[1]!,
          ],
          profiles: profiles(),
        });
        // The view of b = 8 still counts the erased p1 (15): x's alert is the one without erasure.
        // The new p1 (history from at(0) + 1, nothing bought) at e = 9: its peers are x 5, the old
        // p1 15, p2 20, p3 30, p4 40 (n = 5: the old contribution is not its own), rank 3 → 20 →
        // typical 20.086, expected 200.86, share 0 → alert; no price known → gap 0.
        expect(out.alerts.map((a) => [a.customerId, a.occurredAt, a.peerCount])).toEqual([
          ['p1', at(9), 5],
          ['x', at(9), 4],
        ]);
        expect(out.alerts[0]).toMatchObject({
          eventId: idOf(0, at(8), 'p1', 0),
          actual: 0,
          share: 0,
          gapMinor: 0,
        });
        expect(out.alerts[0]!.expected).toBeCloseTo(10 * 2 ** (138.5 / 32), 9);
      });
    });
  });

  it('dead-letters late, undecodable and foreign-currency purchases without touching state', () => {
    const out = computeShareOfWallet({
      settings: shareOfWalletSettings({
        confirmationMs: 0,
        windowsDays: [7],
        minHistoryWindows: 1,
        grocerShare: 0.5,
      }),
      partitions: [
        records(
          purchase('h', day(10), [food(1000, 1, 500)]), // s = day 10 noon
          purchase('h', day(6), [food(1000, 1, 500)]), // day 6 noon < s - 3 days = day 7 noon: LATE
          purchase('h', day(7), [food(1000, 1, 500)]), // exactly s - 3 days: applied, s stays
          { nullFor: 'h' }, // did not decode
          purchase('h', day(8), [food(1000, 1, 500)], 'USD'), // CURRENCY_MISMATCH
          purchase('h', day(11), [other()]), // s = day 11 noon: the one instant is e = day 11
        ),
      ],
      profiles: [[consumer('h', at(0), ['ADULT_19_64'])]],
    });
    // e = day 11, window [day 4, day 11): day 10 and day 7 → 2000 kcal (not the late day-6 nor the
    // USD day-8 purchase). Expected 2300 × 7 × 0.5 = 8050; share 2000 / 8050; gap 6050 × 0.5 = 3025.
    expect(out.deadLetters).toEqual([
      { partition: 0, offset: '1', reasonCode: 'LATE_EVENT' },
      { partition: 0, offset: '3', reasonCode: 'AVRO_DECODE' },
      { partition: 0, offset: '4', reasonCode: 'CURRENCY_MISMATCH' },
    ]);
    expect(out.evaluations).toBe(1);
    expect(out.alerts).toHaveLength(1);
    expect(out.alerts[0]).toMatchObject({
      occurredAt: at(11),
      actual: 2000,
      expected: 8050,
      share: 2000 / 8050,
      gapUnits: 6050,
      gapMinor: 3025,
    });
  });

  it('erases a household: no later alert names it until a newer profile re-admits it afresh', () => {
    // Window 1 day, 1000 kcal expected, 2 windows of history, cooldown 28 days: the share at
    // e = day k + 1 is (kcal of day k) / 1000.
    const settings = dailySettings({});
    const out = computeShareOfWallet({
      settings,
      partitions: [
        records(
          ...dailyFood('h', [100, 100, 100, 100]), // days 0 … 3: s = day 3 noon
          { erase: 'h', occurredAt: at(3) },
          consumer('h', at(2), ['ADULT_19_64']), // older than the request: skipped
          purchase('h', day(4), [food(100, 1, 100)]), // skipped
          purchase('k', day(5), [other()]), // no profile: moves stream time
          consumer('h', day(5), ['ADULT_19_64']), // newer: re-admits, history from day 5 noon
          purchase('h', day(6), [food(100, 1, 100)]),
          purchase('h', day(7), [food(100, 1, 100)]),
          purchase('k', day(9), [other()]),
        ),
      ],
      profiles: [[consumer('h', at(0), ['ADULT_19_64'])]],
    });
    // e = 1: 1 day of history, insufficient. e = 2: day 1 → 0.1 → alert (armed, no cooldown yet).
    // e = 3: 0.1, disarmed → none. Erased at s = day 3 noon: not at e = 4, 5. Re-admitted at s = day 5
    // noon as someone new (armed, no alert in its past): e = 6, 7 insufficient (0.5 and 1.5 days),
    // e = 8: day 7 → 0.1 → alert, which the cooldown since e = 2 would have held back otherwise;
    // e = 9: nothing on day 8 → 0, disarmed → none. k: no-profile at e = 6 and 7, then forgotten
    // (its day-5 purchase out of the 1-day window) until its day-9 purchase, after the last instant.
    expect(out.alerts.map((a) => [a.eventId, a.customerId, a.occurredAt, a.share])).toEqual([
      [idOf(0, at(1), 'h', 0), 'h', at(2), 0.1],
      [idOf(0, at(7), 'h', 0), 'h', at(8), 0.1],
    ]);
    expect(out.outcomes).toEqual({ 'insufficient-history': 3, evaluated: 4, 'no-profile': 2 });
    expect(out.evaluations).toBe(9);
    expect(out.deadLetters).toEqual([]);

    // Without the re-admitting profile, nothing names h after the erasure.
    const final = computeShareOfWallet({
      settings,
      partitions: [
        records(
          ...dailyFood('h', [100, 100, 100, 100]),
          { erase: 'h', occurredAt: at(3) },
          consumer('h', at(3), ['ADULT_19_64']), // not after the request: skipped
          purchase('h', day(6), [food(100, 1, 100)]),
          purchase('k', day(9), [other()]),
        ),
      ],
      profiles: [[consumer('h', at(0), ['ADULT_19_64'])]],
    });
    expect(final.alerts.map((a) => a.occurredAt)).toEqual([at(2)]);
    // k's only purchase advances stream time through e = 9 and is applied after it: never evaluated.
    expect(final.outcomes).toEqual({ 'insufficient-history': 1, evaluated: 2 });
    expect(final.evaluations).toBe(9);
  });

  describe('stalls', () => {
    it('stalls a partition at the first view another partition never snapshots', () => {
      const settings = shareOfWalletSettings({ confirmationMs: 0, windowsDays: [1], minHistoryWindows: 1 });
      const p0 = [0, 1, 2].map((d) => purchase('h', day(d), [other()]));
      const usdBeforeStall = purchase('h', day(2), [other()], 'USD');
      const rest = [3, 4, 5, 6, 7, 8, 9, 10].map((d) => purchase('h', day(d), [other()]));
      const usdAfterStall = purchase('h', day(10), [other()], 'USD');
      const out = computeShareOfWallet({
        settings,
        partitions: [
          records(...p0, usdBeforeStall, ...rest, usdAfterStall),
          records(purchase('k', day(0), [other()]), purchase('k', day(3), [other()])),
        ],
        profiles: [[consumer('h', at(0), ['ADULT_19_64'])], []],
      });
      // Partition 1 reaches day 3 noon: it snapshots b ≤ day 3. Partition 0 applies the views of
      // b = 0…3 at e = 1…4, then waits at e = 5 for the view of day 4, which never comes: it
      // stalls there, so the record of day 5 and everything after it are never consumed (the
      // second USD record is no dead letter). Partition 1 applies b = 0…2 at e = 1…3.
      // Outcomes: h evaluated at e = 1…4 (W1, history from day 0); k (known from its day-0 purchase,
      // no profile) no-profile at e = 1, 2; then forgotten (its day-0 purchase left the 1-day
      // window) until its day-3 purchase, applied after the evaluation at e = 3.
      expect(out.stalledPartitions).toEqual([0]);
      expect(out.evaluations).toBe(4 + 3);
      expect(out.outcomes).toEqual({ evaluated: 4, 'no-profile': 2 });
      expect(out.deadLetters).toEqual([{ partition: 0, offset: '3', reasonCode: 'CURRENCY_MISMATCH' }]);
      // h buys no food: share 0 → one alert at e = 1, then disarmed; nothing after the stall.
      expect(out.alerts.map((a) => a.occurredAt)).toEqual([at(1)]);
    });

    it('stalls every other partition when one never applies a record', () => {
      const partition0 = records(...[0, 1, 2, 3].map((d) => purchase('h', day(d), [other()])));
      const settings = shareOfWalletSettings({ confirmationMs: 0 });
      const onlyUndecodable = computeShareOfWallet({
        settings,
        partitions: [partition0, records({ nullFor: 'k' })],
        profiles: [],
      });
      expect(onlyUndecodable.stalledPartitions).toEqual([0]);
      expect(onlyUndecodable.evaluations).toBe(0);
      expect(onlyUndecodable.deadLetters).toEqual([{ partition: 1, offset: '0', reasonCode: 'AVRO_DECODE' }]);
      // A partition that only received profiles has not started either.
      const onlyProfiles = computeShareOfWallet({
        settings,
        partitions: [partition0],
        profiles: [[], [consumer('k', at(0), ['ADULT_19_64'])]],
      });
      expect(onlyProfiles.stalledPartitions).toEqual([0]);
      expect(onlyProfiles.evaluations).toBe(0);
    });
  });
});
