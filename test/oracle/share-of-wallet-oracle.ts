// An independent batch computation of share of wallet, straight from
// services/share-of-wallet/SEMANTICS.md, the slow and obvious way: raw purchase lists per customer
// instead of day buckets, plain lists of peers' cells instead of histogram counters, every
// evaluation recomputed from scratch, and one global loop over stream-time instants across all
// partitions instead of a runtime. It shares only the settings, the peer cell functions and the
// segment key, the purchase contract's validator and the runtime's event id function with the
// streaming worker; everything else is re-implemented here on purpose, so that a mistake in the
// worker is not repeated.
//
// Stream time, instants, the population barrier and stalls follow the runtime
// (services/value-segmentation/SEMANTICS.md, "Stream time and instants", and in-memory-driver.ts):
// - per partition, records that do not decode, fail the purchase contract, are in another
//   currency or are later than stream time minus the allowed lateness are dead letters and move
//   nothing;
// - the instants of a partition are the times in (first applied event time, final stream time]
//   that are boundaries (snapshot, multiples of P) or boundaries plus D (view application); the
//   records applied before instant x are those before the first applied record with time >= x
//   (that record is the one advancing stream time through x);
// - at one time a snapshot comes before an application;
// - the view of b is applied at b + D in a partition only when every partition has snapshotted b
//   (its stream time reached b after it started) or started at or after b; a partition without
//   any applied record has not started and is never ready. A partition that cannot apply a view
//   stalls at that instant and processes nothing after it (it has taken its snapshot there).
//
// Erasures (SEMANTICS.md, "Erasure"), the runtime's rules restated: an erasure request in a
// partition's log acts where it stands, after every instant its stream time has passed: the
// customer is gone (its contribution is out of every later snapshot, it is evaluated no more),
// its later records are skipped (not dead letters, not late, they move no stream time) until a
// valid profile whose occurredAt is after the request's re-admits it, as a new customer that
// starts from that profile; its old contribution in views taken before the erasure is then
// another business's, not its own.

import {
  type PeerCell,
  peerCellOf,
  peerSegmentOf,
  representativeOf,
} from '../../services/share-of-wallet/peer-segment.js';
import {
  checkShareOfWalletSettings,
  DAY_MS,
  type ShareOfWalletSettings,
} from '../../services/share-of-wallet/settings.js';
import type { CustomerProfile, Purchase } from '../../shared/contracts/generated.js';
import { ReasonCode } from '../../shared/contracts/reason-codes.js';
import { validatePurchase } from '../../shared/contracts/validate-purchase.js';
import { outputEventId } from './in-memory-driver.js';

export interface SowPurchaseRecord {
  readonly offset: string;
  readonly customerId: string;
  /** Null: the record did not decode; it is a dead letter. */
  readonly purchase: Purchase | null;
}

/** A valid profile read in the partition's order among the purchases (a table record). */
export interface SowProfileRecord {
  readonly offset: string;
  readonly customerId: string;
  readonly profile: CustomerProfile;
}

/** An erasure request in the partition's order (a table record). */
export interface SowErasureRecord {
  readonly offset: string;
  readonly customerId: string;
  readonly erasure: { readonly eventId: string; readonly occurredAt: number };
}

export type SowOracleRecord = SowPurchaseRecord | SowProfileRecord | SowErasureRecord;

export interface SowOracleInput {
  readonly settings: ShareOfWalletSettings;
  /**
   * Records of each partition in the order the worker consumes them (purchases; profiles and
   * erasure requests where they are interleaved with them); partition number = index.
   */
  readonly partitions: ReadonlyArray<readonly SowOracleRecord[]>;
  /**
   * Profile versions received by each partition BEFORE any purchase of that partition (validated
   * ones only), in arrival order. A partition listed here but not in `partitions` has no purchase.
   */
  readonly profiles: ReadonlyArray<readonly CustomerProfile[]>;
  /** The topic set's TOPIC_PREFIX, which every causation id (and so every event id) carries. */
  readonly topicPrefix?: string;
}

export type SowOracleBasis = 'household-calories' | 'headcount-peer-usage';

export interface SowOracleAlert {
  readonly eventId: string;
  readonly customerId: string;
  readonly occurredAt: number;
  readonly windowDays: number;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly unit: string;
  readonly basis: SowOracleBasis;
  readonly actual: number;
  readonly expected: number;
  readonly share: number;
  readonly gapUnits: number;
  readonly gapMinor: number;
  readonly currency: string;
  readonly peerCount: number | null;
  readonly peerUsagePerEmployee: number | null;
  /** No segment changes are fed to the oracle: always null. */
  readonly valueTier: null;
}

export interface SowOracleDeadLetter {
  readonly partition: number;
  readonly offset: string;
  readonly reasonCode: string;
}

export type SowOutcome =
  | 'no-profile'
  | 'empty-household'
  | 'missing-headcount'
  | 'insufficient-history'
  | 'no-peer-benchmark'
  | 'no-peer-usage'
  | 'evaluated';

export interface SowOracleOutput {
  /** In the order decided: by evaluation time, then partition, then customer id, then window and unit. */
  readonly alerts: SowOracleAlert[];
  /**
   * Evaluation outcomes, one per (customer, evaluation, window) — per (customer, evaluation,
   * window, unit) for a business with a usable profile. Outcomes that never occurred are absent.
   */
  readonly outcomes: Record<string, number>;
  readonly stalledPartitions: number[];
  /** (partition, e) evaluation instants applied. */
  readonly evaluations: number;
  /** Records that went to the dead letters (records after a stall are not consumed, so not here). */
  readonly deadLetters: SowOracleDeadLetter[];
  /**
   * The peer histograms at the end, summed over partitions (what the partitions' counters hold
   * once every record is consumed): `W|unit|segment|cell` -> businesses counted there (> 0).
   */
  readonly peerCounts: Record<string, number>;
}

const WORKER = 'share-of-wallet';
const DECISION_KIND = 'under-consumption';

// ---- records ---------------------------------------------------------------------------------

interface Classified {
  /** Position of the record in its partition. */
  readonly index: number;
  readonly record: SowOracleRecord;
  /** Null when the record is applied (or skipped). */
  readonly deadLetter: string | null;
  /** A record of an erased customer: neither applied nor a dead letter. */
  readonly skipped: boolean;
  /** A profile or an erasure: applied on arrival, never late, moves no stream time. */
  readonly table: boolean;
  readonly eventTime: number;
}

/**
 * Dead letter, skipped or applied, per record; this depends only on the records before it (stream
 * time, and which customers are erased).
 */
function classify(records: readonly SowOracleRecord[], settings: ShareOfWalletSettings): Classified[] {
  let streamTime: number | null = null;
  /** Erased customer -> occurredAt of its erasure request. */
  const erased = new Map<string, number>();
  return records.map((record, index) => {
    const dead = (reasonCode: string): Classified => ({
      index,
      record,
      deadLetter: reasonCode,
      skipped: false,
      table: false,
      eventTime: Number.NaN,
    });
    const table = (eventTime: number, skipped: boolean): Classified => ({
      index,
      record,
      deadLetter: null,
      skipped,
      table: true,
      eventTime,
    });
    // An erased customer's bad records are not dead letters either: nothing names it after.
    const skipped = (eventTime: number): Classified => ({
      index,
      record,
      deadLetter: null,
      skipped: true,
      table: false,
      eventTime,
    });
    if ('erasure' in record) {
      if (record.erasure.eventId.trim() === '')
        return erased.has(record.customerId) ? skipped(Number.NaN) : dead(ReasonCode.INVALID_FIELD);
      erased.set(record.customerId, record.erasure.occurredAt);
      return table(record.erasure.occurredAt, false);
    }
    if ('profile' in record) {
      const t = record.profile.occurredAt;
      const erasedAt = erased.get(record.customerId);
      if (erasedAt === undefined) return table(t, false);
      if (t <= erasedAt) return table(t, true);
      erased.delete(record.customerId);
      return table(t, false);
    }
    const purchase = record.purchase;
    if (erased.has(record.customerId)) return skipped(purchase?.occurredAt ?? Number.NaN);
    if (purchase === null) return dead(ReasonCode.AVRO_DECODE);
    const rejection = validatePurchase(purchase, { valueCurrency: settings.currency });
    if (rejection !== null) return dead(rejection.reasonCode);
    if (purchase.currency !== settings.currency) return dead(ReasonCode.CURRENCY_MISMATCH);
    const t = purchase.occurredAt;
    if (streamTime !== null && t < streamTime - settings.allowedLatenessMs)
      return dead(ReasonCode.LATE_EVENT);
    streamTime = streamTime === null ? t : Math.max(streamTime, t);
    return { index, record, deadLetter: null, skipped: false, table: false, eventTime: t };
  });
}

// ---- customers ---------------------------------------------------------------------------------

interface AlertState {
  armed: boolean;
  lastAlertAt: number | null;
  /** Time of the first evaluation of the current run below the threshold. */
  belowSince: number | null;
}

interface Customer {
  readonly id: string;
  /** How many times the id had been erased when this customer began: erased and re-admitted is someone new. */
  readonly incarnation: number;
  /** Profile versions in arrival order. */
  readonly profiles: CustomerProfile[];
  /** Applied purchases in application order. */
  readonly purchases: Array<{ readonly t: number; readonly purchase: Purchase }>;
  /** Peer key `W|unit|segment` → cell, from the customer's latest evaluation. */
  contribution: Map<string, PeerCell>;
  /** Per `W|unit`. */
  readonly alertStates: Map<string, AlertState>;
}

function newCustomer(id: string, incarnation = 0): Customer {
  return { id, incarnation, profiles: [], purchases: [], contribution: new Map(), alertStates: new Map() };
}

/** The version with the greatest occurredAt <= e; ties: the one received last. */
function profileInForce(customer: Customer, e: number): CustomerProfile | null {
  let best: CustomerProfile | null = null;
  for (const profile of customer.profiles) {
    if (profile.occurredAt > e) continue;
    if (best === null || profile.occurredAt >= best.occurredAt) best = profile;
  }
  return best;
}

/** The smallest occurredAt of every purchase applied and every profile received (SEMANTICS.md). */
function historyStartOf(customer: Customer): number | null {
  const times = [...customer.purchases.map((p) => p.t), ...customer.profiles.map((p) => p.occurredAt)];
  return times.length === 0 ? null : Math.min(...times);
}

interface Sums {
  kcal: number;
  kcalSpendMinor: number;
  readonly amount: Map<string, number>;
  readonly spendMinor: Map<string, number>;
}

/** Sums over the purchases whose UTC-day bucket starts in [from, to). */
function sumsOver(customer: Customer, from: number, to: number, units: readonly string[]): Sums {
  const sums: Sums = { kcal: 0, kcalSpendMinor: 0, amount: new Map(), spendMinor: new Map() };
  for (const u of units) {
    sums.amount.set(u, 0);
    sums.spendMinor.set(u, 0);
  }
  for (const { t, purchase } of customer.purchases) {
    const bucketStart = Math.floor(t / DAY_MS) * DAY_MS;
    if (bucketStart < from || bucketStart >= to) continue;
    const sign = purchase.kind === 'RETURN' ? -1 : 1;
    for (const line of purchase.lines) {
      const quantity = sign * line.quantity;
      const money = quantity * line.unitPriceMinor;
      if (line.kcalPerUnit !== null) {
        sums.kcal += line.kcalPerUnit * quantity;
        sums.kcalSpendMinor += money;
      }
      if (line.usage !== null && units.includes(line.usage.unit)) {
        const u = line.usage.unit;
        sums.amount.set(u, sums.amount.get(u)! + line.usage.amountPerUnit * quantity);
        sums.spendMinor.set(u, sums.spendMinor.get(u)! + money);
      }
    }
  }
  return sums;
}

/** Money per unit over the window, else over every kept bucket, else 0 (no price known). */
function priceOf(window: { units: number; spend: number }, kept: { units: number; spend: number }): number {
  if (window.units > 0) return window.spend / window.units;
  if (kept.units > 0) return kept.spend / kept.units;
  return 0;
}

// ---- peers -----------------------------------------------------------------------------------

/** Cells' order: 'z' first, then ascending. */
function cellOrder(a: PeerCell, b: PeerCell): number {
  if (a === b) return 0;
  if (a === 'z') return -1;
  if (b === 'z') return 1;
  return a - b;
}

/** One business's contribution as counted in a partition's snapshot. */
interface CountedPeer {
  readonly partition: number;
  readonly customerId: string;
  readonly incarnation: number;
  readonly cell: PeerCell;
}

type PeerView = Map<string, CountedPeer[]>;

/** Snapshot at b: every customer's contribution from its latest evaluation before b. */
type Snapshot = Map<string, { readonly incarnation: number; readonly contribution: Map<string, PeerCell> }>;

// ---- partitions ------------------------------------------------------------------------------

interface PartitionRun {
  readonly partition: number;
  readonly classified: Classified[];
  /** Purchases applied, and table records (profiles, erasures) not skipped, in order. */
  readonly applied: Classified[];
  /** Customer id -> erasures so far (the incarnation of a re-admitted customer). */
  readonly erasures: Map<string, number>;
  /** Number of applied records applied so far. */
  next: number;
  readonly firstTime: number | null;
  readonly finalTime: number | null;
  stalledAt: number | null;
  readonly customers: Map<string, Customer>;
  readonly snapshots: Map<number, Snapshot>;
}

function isMultiple(x: number, period: number, offset: number): boolean {
  return (((x - offset) % period) + period) % period === 0;
}

/** Snapshot and application instants of a partition: times in (first, final]. */
function instantTimesOf(run: PartitionRun, settings: ShareOfWalletSettings): number[] {
  if (run.firstTime === null || run.finalTime === null) return [];
  const period = settings.evaluationPeriodMs;
  const delay = settings.publishDelayMs;
  const times: number[] = [];
  for (let b = (Math.floor(run.firstTime / period) + 1) * period; b <= run.finalTime; b += period)
    times.push(b);
  for (
    let a = (Math.floor((run.firstTime - delay) / period) + 1) * period + delay;
    a <= run.finalTime;
    a += period
  )
    times.push(a);
  return times;
}

export function computeShareOfWallet(input: SowOracleInput): SowOracleOutput {
  const settings = checkShareOfWalletSettings(input.settings);
  const period = settings.evaluationPeriodMs;
  const delay = settings.publishDelayMs;
  const partitionCount = Math.max(input.partitions.length, input.profiles.length);

  const runs: PartitionRun[] = [];
  for (let partition = 0; partition < partitionCount; partition++) {
    const classified = classify(input.partitions[partition] ?? [], settings);
    const applied = classified.filter((c) => c.deadLetter === null && !c.skipped);
    const streamApplied = applied.filter((c) => !c.table);
    const customers = new Map<string, Customer>();
    for (const profile of input.profiles[partition] ?? []) {
      const customer = customers.get(profile.customerId) ?? newCustomer(profile.customerId);
      customer.profiles.push(profile);
      customers.set(profile.customerId, customer);
    }
    runs.push({
      partition,
      classified,
      applied,
      next: 0,
      erasures: new Map(),
      firstTime: streamApplied.length === 0 ? null : streamApplied[0]!.eventTime,
      finalTime: streamApplied.reduce<number | null>(
        (max, c) => (max === null ? c.eventTime : Math.max(max, c.eventTime)),
        null,
      ),
      stalledAt: null,
      customers,
      snapshots: new Map(),
    });
  }

  const alerts: SowOracleAlert[] = [];
  const outcomes: Record<string, number> = {};
  const count = (outcome: SowOutcome) => {
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  };
  let evaluations = 0;

  /**
   * Applies the records of `run` that come before its instant x: up to the first purchase at or
   * after x (table records on the way are applied where they stand).
   */
  const applyRecordsBefore = (run: PartitionRun, x: number) => {
    while (run.next < run.applied.length) {
      const c = run.applied[run.next]!;
      if (!c.table && c.eventTime >= x) break;
      applyRecord(run, c);
      run.next += 1;
    }
  };

  const applyRecord = (run: PartitionRun, c: Classified) => {
    const id = c.record.customerId;
    if ('erasure' in c.record) {
      run.customers.delete(id);
      run.erasures.set(id, (run.erasures.get(id) ?? 0) + 1);
      return;
    }
    const customer = run.customers.get(id) ?? newCustomer(id, run.erasures.get(id) ?? 0);
    if ('profile' in c.record) customer.profiles.push(c.record.profile);
    else customer.purchases.push({ t: c.eventTime, purchase: c.record.purchase! });
    run.customers.set(id, customer);
  };

  const takeSnapshot = (run: PartitionRun, b: number) => {
    const snapshot: Snapshot = new Map();
    for (const [id, customer] of run.customers) {
      if (customer.contribution.size > 0)
        snapshot.set(id, { incarnation: customer.incarnation, contribution: new Map(customer.contribution) });
    }
    run.snapshots.set(b, snapshot);
  };

  /**
   * Every partition has snapshotted b or started at or after b. A partition reaches its final
   * stream time unless it stalls; when it stalls at y it has done every instant through y.
   */
  const viewReady = (b: number) =>
    runs.every((q) => q.finalTime !== null && (q.stalledAt ?? q.finalTime) >= b);

  const views = new Map<number, PeerView>();
  const viewOf = (b: number): PeerView => {
    const cached = views.get(b);
    if (cached !== undefined) return cached;
    const view: PeerView = new Map();
    for (const q of runs) {
      // No snapshot at b: the partition started at or after b, its snapshot is empty.
      const snapshot = q.snapshots.get(b);
      if (snapshot === undefined) continue;
      for (const [customerId, { incarnation, contribution }] of snapshot) {
        for (const [key, cell] of contribution) {
          const peers = view.get(key) ?? [];
          peers.push({ partition: q.partition, customerId, incarnation, cell });
          view.set(key, peers);
        }
      }
    }
    views.set(b, view);
    return view;
  };

  const evaluate = (run: PartitionRun, customer: Customer, e: number, b: number, view: PeerView) => {
    const profile = profileInForce(customer, e);
    const historyStart = historyStartOf(customer);
    const contribution = new Map<string, PeerCell>();
    const largestWindowMs = Math.max(...settings.windowsDays) * DAY_MS;
    const cause = `${input.topicPrefix ?? ''}population/${run.partition}/${b}/${customer.id}`;
    let n = 0;

    const decide = (
      windowDays: number,
      unit: string,
      basis: SowOracleBasis,
      actual: number,
      expected: number,
      price: number,
      peer: { count: number; typical: number } | null,
    ) => {
      count('evaluated');
      const share = actual / expected;
      const key = `${windowDays}|${unit}`;
      const state = customer.alertStates.get(key) ?? { armed: true, lastAlertAt: null, belowSince: null };
      customer.alertStates.set(key, state);
      if (share < settings.threshold) state.belowSince ??= e;
      else state.belowSince = null;
      const cooledDown = state.lastAlertAt === null || e - state.lastAlertAt >= settings.cooldownMs;
      const confirmed = state.belowSince !== null && e - state.belowSince >= settings.confirmationMs;
      if (share < settings.threshold && state.armed && cooledDown && confirmed) {
        const gapUnits = expected - actual;
        alerts.push({
          eventId: outputEventId(WORKER, cause, DECISION_KIND, n),
          customerId: customer.id,
          occurredAt: e,
          windowDays,
          windowStart: e - windowDays * DAY_MS,
          windowEnd: e,
          unit,
          basis,
          actual,
          expected,
          share,
          gapUnits,
          gapMinor: Math.round(gapUnits * price),
          currency: settings.currency,
          peerCount: peer === null ? null : peer.count,
          peerUsagePerEmployee: peer === null ? null : peer.typical,
          valueTier: null,
        });
        n += 1;
        state.armed = false;
        state.lastAlertAt = e;
      }
      if (share >= settings.threshold + settings.recoveryBand) state.armed = true;
    };

    for (const windowDays of settings.windowsDays) {
      const windowMs = windowDays * DAY_MS;
      if (profile === null) {
        count('no-profile');
        continue;
      }
      if (profile.customerType === 'CONSUMER' && profile.householdMembers.length === 0) {
        count('empty-household');
        continue;
      }
      if (
        profile.customerType === 'BUSINESS' &&
        (profile.business === null || !(profile.business.headcount >= 1))
      ) {
        count('missing-headcount');
        continue;
      }
      const enoughHistory =
        historyStart !== null && e - historyStart >= settings.minHistoryWindows * windowMs;
      const inWindow = sumsOver(customer, e - windowMs, e, settings.usageUnits);
      const kept = sumsOver(customer, e - largestWindowMs, e, settings.usageUnits);

      if (profile.customerType === 'CONSUMER') {
        if (!enoughHistory) {
          count('insufficient-history');
          continue;
        }
        let kcalPerDay = 0;
        for (const member of profile.householdMembers) kcalPerDay += settings.kcalPerDay[member.ageBand];
        const expected = kcalPerDay * windowDays * settings.grocerShare;
        const actual = Math.max(0, inWindow.kcal);
        const price = priceOf(
          { units: inWindow.kcal, spend: inWindow.kcalSpendMinor },
          { units: kept.kcal, spend: kept.kcalSpendMinor },
        );
        decide(windowDays, 'kcal', 'household-calories', actual, expected, price, null);
        continue;
      }

      const business = profile.business!;
      const segment = peerSegmentOf(business.industry, business.headcount, settings.sizeBandEdges);
      for (const unit of settings.usageUnits) {
        if (!enoughHistory) {
          count('insufficient-history');
          continue;
        }
        const actual = Math.max(0, inWindow.amount.get(unit)!);
        const peerKey = `${windowDays}|${unit}|${segment}`;
        contribution.set(peerKey, peerCellOf(actual / business.headcount));
        // The view minus the customer's own contribution as counted at b.
        const peers = (view.get(peerKey) ?? [])
          .filter(
            (peer) =>
              !(
                peer.partition === run.partition &&
                peer.customerId === customer.id &&
                peer.incarnation === customer.incarnation
              ),
          )
          .map((peer) => peer.cell)
          .sort(cellOrder);
        if (peers.length < settings.minPeers || peers.length === 0) {
          count('no-peer-benchmark');
          continue;
        }
        const typical = representativeOf(peers[Math.ceil(peers.length / 2) - 1]!);
        if (typical === 0) {
          count('no-peer-usage');
          continue;
        }
        const price = priceOf(
          { units: inWindow.amount.get(unit)!, spend: inWindow.spendMinor.get(unit)! },
          { units: kept.amount.get(unit)!, spend: kept.spendMinor.get(unit)! },
        );
        decide(windowDays, unit, 'headcount-peer-usage', actual, business.headcount * typical, price, {
          count: peers.length,
          typical,
        });
      }
    }
    // Replaces the previous contribution; a customer that stops qualifying withdraws it.
    customer.contribution = contribution;
  };

  const times = [...new Set(runs.flatMap((run) => instantTimesOf(run, settings)))].sort((a, b) => a - b);
  for (const x of times) {
    const live = runs.filter(
      (run) =>
        run.stalledAt === null &&
        run.firstTime !== null &&
        run.finalTime !== null &&
        run.firstTime < x &&
        x <= run.finalTime,
    );
    // Snapshots at x in every partition before any application at x.
    for (const run of live) {
      applyRecordsBefore(run, x);
      if (isMultiple(x, period, 0)) takeSnapshot(run, x);
    }
    if (!isMultiple(x, period, delay)) continue;
    const b = x - delay;
    for (const run of live) {
      if (!viewReady(b)) {
        run.stalledAt = x;
        continue;
      }
      evaluations += 1;
      const view = viewOf(b);
      const ids = [...run.customers.keys()].sort((a, c) => (a < c ? -1 : a > c ? 1 : 0));
      for (const id of ids) {
        const customer = run.customers.get(id)!;
        evaluate(run, customer, x, b, view);
        // SEMANTICS: a customer with no profile and no purchase in the largest window is forgotten.
        const oldest = x - Math.max(...settings.windowsDays) * DAY_MS;
        const keptDay = customer.purchases.some((p) => Math.floor(p.t / DAY_MS) * DAY_MS >= oldest);
        if (customer.profiles.length === 0 && !keptDay) run.customers.delete(id);
      }
    }
  }

  // Records after the last instant (profiles, erasures, purchases) change no decision, but they
  // do change who counts where: an erasure there withdraws its customer.
  const peerCounts: Record<string, number> = {};
  for (const run of runs) {
    if (run.stalledAt === null) applyRecordsBefore(run, Number.POSITIVE_INFINITY);
    for (const customer of run.customers.values())
      for (const [key, cell] of customer.contribution) {
        const field = `${key}|${cell}`;
        peerCounts[field] = (peerCounts[field] ?? 0) + 1;
      }
  }

  const deadLetters: SowOracleDeadLetter[] = [];
  const stalledPartitions: number[] = [];
  for (const run of runs) {
    // A stalled partition stopped in the middle of the record that advances stream time through
    // its stall instant: nothing from that record on is consumed.
    const consumedBefore = run.stalledAt === null ? Number.POSITIVE_INFINITY : run.applied[run.next]!.index;
    if (run.stalledAt !== null) stalledPartitions.push(run.partition);
    for (const c of run.classified) {
      if (c.deadLetter !== null && c.index < consumedBefore)
        deadLetters.push({ partition: run.partition, offset: c.record.offset, reasonCode: c.deadLetter });
    }
  }

  return { alerts, outcomes, stalledPartitions, evaluations, deadLetters, peerCounts };
}
