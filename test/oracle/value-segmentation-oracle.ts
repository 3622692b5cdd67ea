// An independent batch computation of value segmentation, straight from SEMANTICS.md, the slow and
// obvious way: raw event lists per customer instead of buckets, sorted value lists instead of
// histogram counters, every active customer re-evaluated at every view instead of affected
// ranges, and age-outs found by scanning every event. It shares only the histogram's cell
// functions, the settings (with their share rounding) and the purchase contract's validator with
// the streaming worker; everything else is re-implemented here on purpose, so that a mistake in
// the worker is not repeated.

import { createHash } from 'node:crypto';
import { cellOf, lowerEdgeOf } from '../../services/value-segmentation/histogram.js';
import type { PurchaseLike } from '../../services/value-segmentation/purchase-value.js';
import {
  customersInShare,
  DAY_MS,
  type ValueSegmentationSettings,
} from '../../services/value-segmentation/settings.js';
import { validatePurchase as validatePurchaseContract } from '../../shared/contracts/validate-purchase.js';

/** A record of the purchases topic. */
export interface OraclePurchaseRecord {
  readonly topic?: 'purchases';
  readonly offset: string;
  readonly customerId: string;
  /** Null: the record did not decode; it is skipped. */
  readonly purchase: PurchaseLike | null;
}

/**
 * A record of a table the worker reads besides purchases, in its place among the partition's
 * records (the order the worker consumed them in): an erasure request, or a profile (which only
 * matters to a customer erased before its event time).
 */
export interface OracleTableRecord {
  readonly topic: 'customer-erasures' | 'customer-profiles';
  /** The offset in its own topic. */
  readonly offset: string;
  readonly customerId: string;
  /** The record's event time; null: it did not decode or is invalid (a dead letter), skipped. */
  readonly occurredAt: number | null;
}

export type OracleRecord = OraclePurchaseRecord | OracleTableRecord;

export interface OracleInput {
  readonly settings: ValueSegmentationSettings;
  /** Records of each partition in offset order; partition number = index. */
  readonly partitions: ReadonlyArray<readonly OracleRecord[]>;
  /** The topic set's TOPIC_PREFIX, which every causation id (and so every event id) carries. */
  readonly topicPrefix?: string;
}

export type OracleTier = 'top2' | 'top' | 'middle' | 'bottom';
export type OracleCause = 'purchase' | 'return' | 'value-aged-out' | 'threshold-refresh';

export interface OracleThresholds {
  readonly top2: number | null;
  readonly top: number;
  readonly bottom: number;
}

export interface OracleSegmentChange {
  readonly eventId: string;
  readonly customerId: string;
  readonly fromSegment: string | null;
  readonly toSegment: string;
  readonly cause: OracleCause;
  readonly occurredAt: number;
}

export interface OracleOutput {
  /** Customers that end with state and a tier (lapsed customers have no state left). */
  readonly finalTiers: Map<string, OracleTier>;
  /** Ranking values of the customers in the population at the end (each at its partition's last instant). */
  readonly finalValues: Map<string, number>;
  readonly segmentChanges: OracleSegmentChange[];
  readonly lateDeadLetters: Array<{ partition: number; offset: string }>;
  /** Records of erased customers (bad ones too: no dead letter names an erased customer), skipped. */
  readonly erasedSkips: Array<{ partition: number; offset: string }>;
  readonly stalledPartitions: number[];
  /** Partitions whose records ended before the last boundary another needed: moved there with no record. */
  readonly drainedPartitions: number[];
  /** Views reached somewhere, by boundary; thresholds null when no customer was active (N = 0: not applied). */
  readonly views: Array<{ boundary: number; thresholds: OracleThresholds | null }>;
  /** Erasure requests applied, in partition order; hadState: the customer was in the population. */
  readonly erasures: Array<{ partition: number; offset: string; customerId: string; hadState: boolean }>;
}

const WORKER = 'value-segmentation';

function eventIdOf(cause: string): string {
  return createHash('sha256').update(`${WORKER}|${cause}|segment-changed|0`).digest('hex').slice(0, 32);
}

// ---- purchases ---------------------------------------------------------------------------

/** The purchase contract (shared with every consumer), then whole amounts in the value currency. */
function isUsable(purchase: PurchaseLike, settings: ValueSegmentationSettings): boolean {
  if (validatePurchaseContract(purchase, { valueCurrency: settings.valueCurrency }) !== null) return false;
  if (purchase.currency !== settings.valueCurrency) return false;
  if (!Number.isSafeInteger(purchase.occurredAt)) return false;
  for (const line of purchase.lines) {
    if (!Number.isSafeInteger(line.quantity) || line.quantity <= 0) return false;
    if (!Number.isSafeInteger(line.unitPriceMinor)) return false;
    if (line.marginMinor != null && !Number.isSafeInteger(line.marginMinor)) return false;
  }
  return Number.isSafeInteger(purchaseValueOf(purchase, settings));
}

function purchaseValueOf(purchase: PurchaseLike, settings: ValueSegmentationSettings): number {
  let amount = 0;
  for (const line of purchase.lines) {
    const perUnit =
      settings.valueBasis === 'margin' && line.marginMinor != null ? line.marginMinor : line.unitPriceMinor;
    amount += line.quantity * perUnit;
  }
  if (purchase.kind === 'RETURN') return -amount;
  return amount - settings.costToServeMinor;
}

/** A purchase that was applied: its value and the start of its bucket. */
interface RawEvent {
  readonly bucketStart: number;
  readonly valueMinor: number;
}

interface Classified {
  readonly record: OracleRecord;
  /**
   * skip: did not decode or is invalid (a dead letter); erased: a record of an erased customer,
   * ignored (it moves nothing, not even stream time, and is never late); erase: an erasure request;
   * table: a profile, which changes no value.
   */
  readonly verdict: 'skip' | 'late' | 'apply' | 'erased' | 'erase' | 'table';
  readonly eventTime: number;
}

/**
 * Which records apply, which are late and which belong to an erased customer; this depends only
 * on the records before them. A customer is erased from its erasure request on, until a profile
 * whose event time is later than the request's re-admits it.
 */
function classify(records: readonly OracleRecord[], settings: ValueSegmentationSettings): Classified[] {
  let streamTime: number | null = null;
  const erasedAt = new Map<string, number>();
  return records.map((record): Classified => {
    if ('occurredAt' in record) {
      const t = record.occurredAt;
      // An erased customer's bad records are not dead letters either: nothing names it after.
      if (t === null)
        return {
          record,
          verdict: erasedAt.has(record.customerId) ? 'erased' : 'skip',
          eventTime: Number.NaN,
        };
      if (record.topic === 'customer-erasures') {
        erasedAt.set(record.customerId, t);
        return { record, verdict: 'erase', eventTime: t };
      }
      const erased = erasedAt.get(record.customerId);
      if (erased === undefined) return { record, verdict: 'table', eventTime: t };
      if (t <= erased) return { record, verdict: 'erased', eventTime: t };
      erasedAt.delete(record.customerId);
      return { record, verdict: 'table', eventTime: t };
    }
    const purchase = record.purchase;
    if (erasedAt.has(record.customerId))
      return { record, verdict: 'erased', eventTime: purchase?.occurredAt ?? Number.NaN };
    if (purchase === null || !isUsable(purchase, settings)) {
      return { record, verdict: 'skip', eventTime: Number.NaN };
    }
    const t = purchase.occurredAt;
    if (streamTime !== null && t < streamTime - settings.allowedLatenessMs) {
      return { record, verdict: 'late', eventTime: t };
    }
    streamTime = streamTime === null ? t : Math.max(streamTime, t);
    return { record, verdict: 'apply', eventTime: t };
  });
}

function purchaseOf(c: Classified): PurchaseLike {
  const record = c.record as OraclePurchaseRecord;
  return record.purchase!;
}

// ---- values --------------------------------------------------------------------------------

function bucketOf(t: number, settings: ValueSegmentationSettings): number {
  return Math.floor(t / settings.bucketWidthMs) * settings.bucketWidthMs;
}

function rankingMs(settings: ValueSegmentationSettings): number {
  return settings.rankingWindowDays * DAY_MS;
}

function countingEvents(
  events: readonly RawEvent[],
  at: number,
  settings: ValueSegmentationSettings,
): RawEvent[] {
  return events.filter((e) => e.bucketStart > at - rankingMs(settings));
}

function rankingValue(events: readonly RawEvent[], at: number, settings: ValueSegmentationSettings): number {
  return countingEvents(events, at, settings).reduce((sum, e) => sum + e.valueMinor, 0);
}

function isActive(events: readonly RawEvent[], at: number, settings: ValueSegmentationSettings): boolean {
  return countingEvents(events, at, settings).length > 0;
}

// ---- views ---------------------------------------------------------------------------------

/**
 * Sorted values of the customers of one partition active at boundary b, from the records applied
 * before instant b: those before the first applied record at or after b (that record advances
 * stream time through b; if it is the partition's first record, no instant is processed and the
 * snapshot is empty anyway), less the customers erased before it.
 */
function snapshotValues(classified: readonly Classified[], b: number, settings: ValueSegmentationSettings) {
  const events = new Map<string, RawEvent[]>();
  for (const c of classified) {
    // An erasure before the instant: the customer is not in the population at b.
    if (c.verdict === 'erase') events.delete(c.record.customerId);
    if (c.verdict !== 'apply') continue;
    if (c.eventTime >= b) break;
    const list = events.get(c.record.customerId) ?? [];
    list.push({
      bucketStart: bucketOf(c.eventTime, settings),
      valueMinor: purchaseValueOf(purchaseOf(c), settings),
    });
    events.set(c.record.customerId, list);
  }
  const values: number[] = [];
  for (const list of events.values())
    if (isActive(list, b, settings)) values.push(rankingValue(list, b, settings));
  return values;
}

function thresholdsOf(
  values: readonly number[],
  settings: ValueSegmentationSettings,
): OracleThresholds | null {
  const n = values.length;
  if (n === 0) return null;
  const descending = [...values].sort((a, b) => b - a);
  // Cut = lower edge of the cell holding the customer of that rank (rank 1 = highest).
  const cutAtRank = (rank: number) => lowerEdgeOf(cellOf(descending[rank - 1]!));
  return {
    top2: settings.top2Share > 0 ? cutAtRank(customersInShare(settings.top2Share, n, 'up')) : null,
    top: cutAtRank(customersInShare(settings.topShare, n, 'up')),
    bottom: cutAtRank(n - customersInShare(settings.bottomShare, n, 'down')),
  };
}

// ---- tiers ---------------------------------------------------------------------------------

const TIER_RANK: Record<OracleTier, number> = { top2: 3, top: 2, middle: 1, bottom: 0 };

/** Highest tier whose threshold, shifted by `shift` bands, the value reaches (bottom: always). */
function reached(v: number, th: OracleThresholds, hysteresis: number, shift: -1 | 0 | 1): OracleTier {
  const lowerThresholds: Array<[OracleTier, number]> = [];
  if (th.top2 !== null) lowerThresholds.push(['top2', th.top2]);
  lowerThresholds.push(['top', th.top], ['middle', th.bottom]);
  for (const [tier, t] of lowerThresholds) {
    const band = Math.round(hysteresis * Math.abs(t)); // whole minor units
    const edge = shift === 1 ? t + band : shift === -1 ? t - band : t;
    if (v >= edge) return tier;
  }
  return 'bottom';
}

function nextTier(current: OracleTier | null, v: number, th: OracleThresholds, s: ValueSegmentationSettings) {
  if (current === null) return reached(v, th, s.hysteresisShare, 0);
  const up = reached(v, th, s.hysteresisShare, 1);
  if (TIER_RANK[up] > TIER_RANK[current]) return up;
  const down = reached(v, th, s.hysteresisShare, -1);
  if (TIER_RANK[down] < TIER_RANK[current]) return down;
  return current;
}

// ---- the computation ------------------------------------------------------------------------

interface Customer {
  readonly events: RawEvent[];
  /** In the population (active at its last evaluation). */
  member: boolean;
  /** Ranking value at its last evaluation. */
  value: number;
  tier: OracleTier | null;
}

export function computeValueSegmentation(input: OracleInput): OracleOutput {
  const { settings } = input;
  const classified = input.partitions.map((records) => classify(records, settings));
  // View(b) exists once every partition has reached stream time b (or started after it). A
  // partition with no record left is moved, with no record, to the boundary another partition
  // waits for (never further), so the last view needed — the latest boundary b with
  // b + publishDelay at or before the largest final stream time — exists: every partition whose
  // records end earlier (or that has none) is taken to that boundary.
  const period = settings.refreshPeriodMs;
  const delay = settings.publishDelayMs;
  const finals = classified.map((list) => {
    const times = list.filter((c) => c.verdict === 'apply').map((c) => c.eventTime);
    return times.length === 0 ? null : Math.max(...times);
  });
  const present = finals.filter((f): f is number => f !== null);
  const lastNeeded =
    present.length === 0 ? null : Math.floor((Math.max(...present) - delay) / period) * period;
  const lastReady =
    lastNeeded === null
      ? null
      : Math.min(...finals.map((f) => (f === null ? lastNeeded : Math.max(f, lastNeeded))));
  const viewCache = new Map<number, OracleThresholds | null>();
  const viewAt = (b: number): { thresholds: OracleThresholds | null } | undefined => {
    if (lastReady === null || b > lastReady) return undefined;
    if (!viewCache.has(b)) {
      const values = classified.flatMap((list) => snapshotValues(list, b, settings));
      viewCache.set(b, thresholdsOf(values, settings));
    }
    return { thresholds: viewCache.get(b)! };
  };

  const segmentChanges: OracleSegmentChange[] = [];
  const lateDeadLetters: Array<{ partition: number; offset: string }> = [];
  const erasedSkips: Array<{ partition: number; offset: string }> = [];
  const stalledPartitions: number[] = [];
  const drainedPartitions: number[] = [];
  const finalTiers = new Map<string, OracleTier>();
  const finalValues = new Map<string, number>();
  const appliedBoundaries = new Set<number>();
  const erasures: OracleOutput['erasures'] = [];

  classified.forEach((records, partition) => {
    const customers = new Map<string, Customer>();
    // The thresholds in force: null before the first view with customers.
    let thresholdsInForce: OracleThresholds | null = null;
    let streamTime: number | null = null;
    const emit = (
      customerId: string,
      from: string | null,
      to: string,
      cause: OracleCause,
      causeId: string,
      at: number,
    ) =>
      segmentChanges.push({
        eventId: eventIdOf(`${input.topicPrefix ?? ''}${causeId}`),
        customerId,
        fromSegment: from,
        toSegment: to,
        cause,
        occurredAt: at,
      });

    /** Re-values and re-tiers one customer at time `at`. */
    const evaluate = (customerId: string, at: number, cause: OracleCause, causeId: string) => {
      const customer = customers.get(customerId)!;
      if (!isActive(customer.events, at, settings)) {
        if (customer.member && customer.tier !== null)
          emit(customerId, customer.tier, 'lapsed', cause, causeId, at);
        customer.member = false;
        customer.tier = null;
        return;
      }
      customer.member = true;
      customer.value = rankingValue(customer.events, at, settings);
      if (thresholdsInForce === null) return; // before any view: no tiers
      const tier = nextTier(customer.tier, customer.value, thresholdsInForce, settings);
      if (tier !== customer.tier) emit(customerId, customer.tier, tier, cause, causeId, at);
      customer.tier = tier;
    };

    /** Processes every instant in (from, to]; false when the partition stalls on a missing view. */
    const processInstants = (from: number, to: number): boolean => {
      const times = new Set<number>();
      for (const customer of customers.values()) {
        if (!customer.member) continue;
        for (const e of customer.events) {
          const agesOut = e.bucketStart + rankingMs(settings);
          if (agesOut > from && agesOut <= to) times.add(agesOut);
        }
      }
      for (let b = (Math.floor(from / period) + 1) * period; b <= to; b += period) times.add(b);
      for (let a = (Math.floor((from - delay) / period) + 1) * period + delay; a <= to; a += period)
        times.add(a);
      for (const x of [...times].sort((a, b) => a - b)) {
        // 1. age-outs, by customer id: those with an event leaving the ranking window at x.
        const ageing = [...customers]
          .filter(([, c]) => c.member && c.events.some((e) => e.bucketStart + rankingMs(settings) === x))
          .map(([id]) => id)
          .sort();
        for (const id of ageing) evaluate(id, x, 'value-aged-out', `timer/${partition}/age-out/${id}/${x}`);
        // 2. the snapshot needs nothing here: snapshotValues recomputes it from the records.
        // 3. the view of boundary x - delay.
        if ((((x - delay) % period) + period) % period === 0) {
          const boundary = x - delay;
          const view = viewAt(boundary);
          if (view === undefined) return false;
          appliedBoundaries.add(boundary);
          // A view of N = 0 has no thresholds and is not applied: the one in force stays.
          if (view.thresholds === null) continue;
          thresholdsInForce = view.thresholds;
          for (const [id, c] of customers) {
            if (c.member) evaluate(id, x, 'threshold-refresh', `population/${partition}/${boundary}/${id}`);
          }
        }
      }
      return true;
    };

    for (const c of records) {
      if (c.verdict === 'erased') erasedSkips.push({ partition, offset: c.record.offset });
      if (c.verdict === 'skip' || c.verdict === 'erased' || c.verdict === 'table') continue;
      if (c.verdict === 'erase') {
        // Gone at once, with no segment change (not even lapsed): no timer, no value, no tier.
        const id = c.record.customerId;
        erasures.push({
          partition,
          offset: c.record.offset,
          customerId: id,
          hadState: customers.get(id)?.member === true,
        });
        customers.delete(id);
        continue;
      }
      if (c.verdict === 'late') {
        lateDeadLetters.push({ partition, offset: c.record.offset });
        continue;
      }
      const t = c.eventTime;
      if (streamTime !== null && t > streamTime) {
        if (!processInstants(streamTime, t)) {
          stalledPartitions.push(partition);
          break;
        }
      }
      streamTime = streamTime === null ? t : Math.max(streamTime, t);
      const purchase = purchaseOf(c);
      const customer = customers.get(c.record.customerId) ?? {
        events: [],
        member: false,
        value: 0,
        tier: null,
      };
      customers.set(c.record.customerId, customer);
      customer.events.push({
        bucketStart: bucketOf(t, settings),
        valueMinor: purchaseValueOf(purchase, settings),
      });
      const cause = purchase.kind === 'RETURN' ? 'return' : 'purchase';
      evaluate(c.record.customerId, streamTime, cause, `purchases/${partition}/${c.record.offset}`);
    }
    // Its records ended before the last boundary another partition needed: moved there.
    if (
      !stalledPartitions.includes(partition) &&
      streamTime !== null &&
      lastNeeded !== null &&
      streamTime < lastNeeded
    ) {
      drainedPartitions.push(partition);
      if (processInstants(streamTime, lastNeeded)) streamTime = lastNeeded;
      else stalledPartitions.push(partition);
    }
    for (const [id, customer] of customers) {
      if (!customer.member) continue;
      finalValues.set(id, customer.value);
      if (customer.tier !== null) finalTiers.set(id, customer.tier);
    }
  });

  const views = [...appliedBoundaries]
    .sort((a, b) => a - b)
    .map((boundary) => ({ boundary, thresholds: viewCache.get(boundary) ?? null }));
  return {
    finalTiers,
    finalValues,
    segmentChanges,
    lateDeadLetters,
    erasedSkips,
    stalledPartitions,
    drainedPartitions,
    views,
    erasures,
  };
}
