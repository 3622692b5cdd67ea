import {
  PartitionFencedError,
  PartitionStateLostError,
  SnapshotBaseMissingError,
  StateVersionConflictError,
  ValuestreamError,
} from '../errors.js';
import { decodeSnapshot, snapshotBaseOf } from '../runtime/snapshot-codec.js';
import type {
  AppliedStep,
  ClaimResult,
  DueTimer,
  IndexEntry,
  OutboxEntry,
  PartitionMeta,
  PartitionProgress,
  PartitionRead,
  PartitionStore,
  PopulationStore,
  SegmentWrite,
} from '../runtime/state-store.js';
import { AnnouncedSnapshots } from './announced-snapshots.js';
import { type RedisClient, waitDurable } from './connection.js';
import type { FunctionCaller } from './function-caller.js';
import {
  type PartitionKeys,
  parseTimerMember,
  partitionKeys,
  populationChannel,
  populationViewKey,
} from './keys.js';

/** Most fields per HMGET sent from here (any number is read, in chunks). */
const HMGET_CHUNK = 1000;

export function parseMeta(flat: readonly string[]): PartitionMeta {
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i]!, flat[i + 1]!);
  const num = (name: string): number | null => {
    const v = fields.get(name);
    return v === undefined ? null : Number(v);
  };
  const offsets = new Map<string, bigint>();
  for (const [field, value] of fields) {
    if (field.startsWith('offset:')) offsets.set(field.slice('offset:'.length), BigInt(value));
  }
  return {
    epoch: num('epoch'),
    version: num('version') ?? 0,
    offsets,
    streamTime: num('streamTime'),
    startedAt: num('startedAt'),
    snapshotBoundary: num('snapshotBoundary'),
    appliedBoundary: num('appliedBoundary'),
    viewBoundary: num('viewBoundary'),
  };
}

/** Builds the flat ARGV of apply-batch-11.lua (pure, unit-tested). */
export function applyBatchArgs(write: SegmentWrite, channel = '', partition = 0): string[] {
  const args: string[] = [
    String(write.epoch),
    String(write.expectedVersion),
    write.offset ? `offset:${write.offset.topic}` : '',
    write.offset ? write.offset.offset.toString() : '',
    String(write.producedBefore ?? 0),
  ];
  const pairs = (m: ReadonlyMap<string, string | number>) => {
    args.push(String(m.size));
    for (const [k, v] of m) args.push(k, String(v));
  };
  const list = (l: readonly string[]) => {
    // A loop, not push(...l): spreading ~125,000 values into a call overflows V8's stack.
    args.push(String(l.length));
    for (const item of l) args.push(item);
  };
  pairs(write.statePuts);
  list(write.stateDeletes);
  pairs(write.indexPuts);
  list(write.indexDeletes);
  pairs(write.counters);
  for (const member of write.timerSets.keys()) {
    const bar = member.indexOf('|');
    const kind = bar < 0 ? member : member.slice(0, bar);
    // The kind names timer buckets (`<timers>:<kind>:<n>`) and is listed in meta comma-separated.
    if (bar < 0 || !/^[A-Za-z0-9_.-]+$/.test(kind))
      throw new ValuestreamError(
        'INVALID_TIMER_KIND',
        `timer kind ${JSON.stringify(kind)}: letters, digits, _ . - only`,
      );
  }
  pairs(write.timerSets);
  list(write.timerDeletes);
  list(write.outbox.map((entry) => JSON.stringify(entry)));
  pairs(write.metaSets);
  pairs(write.recentEvents?.puts ?? new Map());
  list(write.recentEvents?.deletes ?? []);
  pairs(write.erased?.puts ?? new Map());
  list(write.erased?.deletes ?? []);
  const sweep = write.recentEventsSweep;
  args.push(sweep ? String(sweep.floor) : '', sweep ? String(sweep.fields) : '0');
  const snapshots = write.snapshots?.taken ?? [];
  args.push(String(snapshots.length));
  for (const { boundary, counters } of snapshots) args.push(String(boundary), counters);
  if (snapshots.length > 0) args.push(String(write.snapshots!.dropBefore), channel, String(partition));
  return args;
}

function mapReturnCode(partition: number, code: number, epoch: number): number {
  if (code === -1) throw new PartitionFencedError(partition, `epoch ${epoch} is stale`);
  if (code === -2) throw new StateVersionConflictError(partition);
  if (code === -3) throw new StateVersionConflictError(partition);
  if (code === -4)
    throw new PartitionStateLostError(partition, `Redis holds an older epoch than ${epoch}, or none`);
  if (code < 0) throw new ValuestreamError('REDIS_SCRIPT_ERROR', `unexpected return code ${code}`);
  return code;
}

export type DurabilityMode = 'waitaof' | 'fsync-always' | 'none';

/** Boundaries of a partition's snapshots read in one call (see snapshotOf). */
const READ_AHEAD = 32;
/** Views agreed on per Redis call (see setViewsIfAbsent). */
const VIEWS_PER_CALL = 500;

export class RedisPartitionStore implements PartitionStore {
  private readonly keys: PartitionKeys;
  constructor(
    private readonly redis: RedisClient,
    private readonly functions: FunctionCaller,
    prefix: string,
    worker: string,
    readonly partition: number,
    private readonly durability: DurabilityMode,
    private readonly durabilityTimeoutMs: number,
  ) {
    this.keys = partitionKeys(prefix, worker, partition);
    this.channel = populationChannel(prefix, worker);
  }

  private readonly channel: string;

  async claim(highestSeenEpoch = 0): Promise<ClaimResult> {
    const [epoch, metaFlat, outbox, pendingTimers] = (await this.functions.call(
      'claimPartition',
      [this.keys.meta, this.keys.outbox, this.keys.index, this.keys.timers, this.keys.timerDue],
      [String(highestSeenEpoch)],
    )) as [number, string[], string[], number];
    return {
      epoch: Number(epoch),
      meta: parseMeta(metaFlat),
      outbox: outbox.map((e) => JSON.parse(e) as OutboxEntry),
      pendingTimers: Number(pendingTimers),
    };
  }

  async read(
    customerIds: readonly string[],
    maxTimerDue: number | null,
    timerLimit: number,
  ): Promise<PartitionRead> {
    const [metaFlat, timersFlat, ids, states, recent, erasedAt] = (await this.functions.call(
      'readPartition',
      [
        this.keys.meta,
        this.keys.customers,
        this.keys.timers,
        this.keys.recentEvents,
        this.keys.erased,
        this.keys.timerDue,
      ],
      [maxTimerDue === null ? '' : String(maxTimerDue), String(timerLimit)].concat(customerIds),
    )) as [string[], string[], string[], Array<string | null>, Array<string | null>, Array<string | null>];
    const timers: DueTimer[] = [];
    for (let i = 0; i + 1 < timersFlat.length; i += 2) {
      const { kind, customerId } = parseTimerMember(timersFlat[i]!);
      timers.push({ kind, customerId, dueAt: Number(timersFlat[i + 1]) });
    }
    const stateMap = new Map<string, string>();
    const recentEvents = new Map<string, string>();
    const erased = new Map<string, number>();
    ids.forEach((id, i) => {
      const s = states[i];
      if (s !== null && s !== undefined) stateMap.set(id, s);
      const r = recent[i];
      if (r !== null && r !== undefined) recentEvents.set(id, r);
      const e = erasedAt[i];
      if (e !== null && e !== undefined) erased.set(id, Number(e));
    });
    return { meta: parseMeta(metaFlat), timers, states: stateMap, recentEvents, erased };
  }

  async apply(write: SegmentWrite): Promise<AppliedStep> {
    const k = this.keys;
    const reply = await this.functions.call(
      'applyBatch',
      [
        k.meta,
        k.customers,
        k.index,
        k.counters,
        k.timers,
        k.outbox,
        k.snapshots,
        k.recentEvents,
        k.erased,
        k.timerDue,
      ],
      applyBatchArgs(write, this.channel, this.partition),
    );
    if (!Array.isArray(reply)) {
      mapReturnCode(this.partition, Number(reply), write.epoch);
      throw new ValuestreamError('REDIS_SCRIPT_ERROR', `unexpected apply reply ${String(reply)}`);
    }
    return { version: Number(reply[0]), pendingTimers: Number(reply[1]) };
  }

  async ackOutbox(epoch: number, produced: number): Promise<void> {
    const code = Number(
      await this.functions.call(
        'ackOutbox',
        [this.keys.meta, this.keys.outbox],
        [String(epoch), String(produced)],
      ),
    );
    if (code < 0) mapReturnCode(this.partition, code, epoch);
  }

  async readCountersWithPrefix(prefix: string): Promise<ReadonlyMap<string, number>> {
    const all = await this.redis.hgetall(this.keys.counters);
    const counters = new Map<string, number>();
    for (const [field, value] of Object.entries(all))
      if (field.startsWith(prefix)) counters.set(field, Number(value));
    return counters;
  }

  async readCounters(fields: readonly string[]): Promise<ReadonlyMap<string, number>> {
    const values = await this.hmgetChunked(this.keys.counters, fields);
    return new Map(fields.map((field, i) => [field, Number(values[i] ?? 0)]));
  }

  /**
   * HMGET of any number of fields: chunks of HMGET_CHUNK, all in flight together (one key, so one
   * slot, also on Cluster), each passed as an array (a spread of ~125,000 values overflows V8's
   * stack). The values in the order of `fields`.
   */
  private async hmgetChunked(key: string, fields: readonly string[]): Promise<Array<string | null>> {
    const chunks: Array<Promise<Array<string | null>>> = [];
    for (let i = 0; i < fields.length; i += HMGET_CHUNK) {
      chunks.push(
        this.redis.call('HMGET', [key].concat(fields.slice(i, i + HMGET_CHUNK))) as Promise<
          Array<string | null>
        >,
      );
    }
    return (await Promise.all(chunks)).flat();
  }

  async readIndexRanges(
    ranges: ReadonlyArray<readonly [number, number]>,
  ): Promise<ReadonlyMap<string, IndexEntry>> {
    const entries = new Map<string, IndexEntry>();
    if (ranges.length === 0) return entries;
    const bound = (n: number, inf: string) => (Number.isFinite(n) ? String(n) : inf);
    const [ids, scores, values] = (await this.functions.call(
      'readIndexRanges',
      [this.keys.meta, this.keys.index, this.keys.customers],
      ranges.flatMap(([min, max]) => [bound(min, '-inf'), bound(max, '+inf')]),
    )) as [string[], string[], Array<string | null>];
    ids.forEach((id, j) => {
      const state = values[j];
      if (state !== null && state !== undefined) entries.set(id, { score: Number(scores[j]), state });
    });
    return entries;
  }

  makeDurable(): Promise<void> {
    return waitDurable(this.redis, this.durability, this.durabilityTimeoutMs, this.keys.meta);
  }
}

export class RedisPopulationStore implements PopulationStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly functions: FunctionCaller,
    private readonly prefix: string,
    private readonly worker: string,
    /** How long a snapshot not announced yet is taken as absent before it is read (BARRIER_RETRY_MS). */
    announcementTrustMs = 1000,
  ) {
    this.announced = new AnnouncedSnapshots(announcementTrustMs);
  }

  getView(boundary: number): Promise<string | null> {
    return this.redis.get(populationViewKey(this.prefix, this.worker, boundary));
  }

  async setViewsIfAbsent(
    views: ReadonlyArray<{ readonly boundary: number; readonly encoded: string }>,
    ttlMs: number,
  ): Promise<Map<number, string>> {
    const held = new Map<number, string>();
    // Chunks bound the time one script holds Redis (an hourly backfill agrees on thousands).
    for (let i = 0; i < views.length; i += VIEWS_PER_CALL) {
      const chunk = views.slice(i, i + VIEWS_PER_CALL);
      const before = (await this.functions.call(
        'agreeViews',
        chunk.map((v) => populationViewKey(this.prefix, this.worker, v.boundary)),
        [String(ttlMs)].concat(chunk.map((v) => v.encoded)),
      )) as Array<string | null>;
      chunk.forEach((v, j) => {
        held.set(v.boundary, before[j] ?? v.encoded);
      });
    }
    return held;
  }

  /** Snapshots other processes' partitions announced with their signals (not read back). */
  readonly announced: AnnouncedSnapshots;
  /** Snapshots of other processes' partitions read ahead (partition -> boundary -> counters JSON). */
  private readonly readAhead = new Map<number, Map<number, string>>();
  private readonly startedAtKnown = new Map<number, number>();

  async readSnapshots(
    boundary: number,
    partitions: readonly number[],
    periodMs?: number,
  ): Promise<PartitionProgress[]> {
    // One command per key, all in flight together: a cross-slot pipeline would fail on Cluster.
    // The start of a partition matters only where its snapshot is missing.
    return Promise.all(
      partitions.map(async (partition) => {
        const snapshot = await this.snapshotOf(partition, boundary, periodMs);
        if (snapshot !== null) return { partition, snapshot, startedAt: null };
        return {
          partition,
          snapshot,
          startedAt: await this.startedAt(partition),
          notAnnouncedYet: this.announced.announcedBefore(partition, boundary),
        };
      }),
    );
  }

  /**
   * When a partition's first record was: read until known, then kept (it never changes, and a
   * partition waited for is asked at every look).
   */
  private async startedAt(partition: number): Promise<number | null> {
    const known = this.startedAtKnown.get(partition);
    if (known !== undefined) return known;
    const stored = await this.redis.hget(
      partitionKeys(this.prefix, this.worker, partition).meta,
      'startedAt',
    );
    if (stored === null) return null;
    this.startedAtKnown.set(partition, Number(stored));
    return Number(stored);
  }

  /**
   * A partition's snapshot of a boundary, decoded (null when it has none yet). With the period,
   * the snapshots of the next READ_AHEAD boundaries come in the same call and are kept: the views
   * of a backfill need every partition's snapshot at every boundary, and the partitions of other
   * processes were read a boundary at a time (two calls each per view).
   */
  private async snapshotOf(partition: number, boundary: number, periodMs?: number): Promise<string | null> {
    const key = partitionKeys(this.prefix, this.worker, partition).snapshots;
    let kept = this.readAhead.get(partition);
    if (!kept) {
      kept = new Map();
      this.readAhead.set(partition, kept);
    }
    for (const b of kept.keys()) if (b < boundary) kept.delete(b);
    const known = kept.get(boundary);
    if (known !== undefined) return known;
    const announced = this.announced.take(partition, boundary);
    if (announced !== null) {
      kept.set(boundary, announced);
      return announced;
    }
    // Partitions in lock-step ask before the other has stored it: nothing to read yet.
    if (this.announced.knownAbsent(partition, boundary)) return null;
    const boundaries = periodMs
      ? Array.from({ length: READ_AHEAD }, (_, i) => boundary + i * periodMs)
      : [boundary];
    const found = await this.readSnapshotFields(key, boundaries, partition);
    for (const [b, value] of found) this.announced.rememberWhole(partition, b, value);
    for (const b of boundaries) {
      const value = found.get(b);
      if (value === undefined) continue;
      const base = snapshotBaseOf(value);
      kept.set(b, base === null ? value : JSON.stringify(decodeSnapshot(value, found.get(base) ?? null)));
    }
    return kept.get(boundary) ?? null;
  }

  /**
   * The stored snapshots of `boundaries` and the whole ones their deltas refer to. Two reads: a
   * delta names its base. The owner may drop old snapshots between them (a delta and its base go
   * in the same apply, when the owner is 60 periods past them): a delta whose base is gone is read
   * again, and is gone too. Seen after a restart with partitions months apart in stream time.
   */
  private async readSnapshotFields(
    key: string,
    boundaries: readonly number[],
    partition: number,
  ): Promise<Map<number, string>> {
    for (let attempt = 1; ; attempt += 1) {
      const stored = (await this.redis.hmget(key, ...boundaries.map(String))) as Array<string | null>;
      const found = new Map<number, string>();
      boundaries.forEach((b, i) => {
        if (stored[i] !== null && stored[i] !== undefined) found.set(b, stored[i]!);
      });
      const bases = [...new Set([...found.values()].flatMap((v) => snapshotBaseOf(v) ?? []))].filter(
        (b) => !found.has(b),
      );
      if (bases.length > 0) {
        const values = (await this.redis.hmget(key, ...bases.map(String))) as Array<string | null>;
        bases.forEach((b, i) => {
          if (values[i] !== null && values[i] !== undefined) found.set(b, values[i]!);
        });
      }
      const dangling = [...found.values()].some((value) => {
        const base = snapshotBaseOf(value);
        if (base === null) return false;
        const whole = found.get(base);
        return whole === undefined || snapshotBaseOf(whole) !== null;
      });
      if (!dangling) return found;
      if (attempt >= 3) throw new SnapshotBaseMissingError(partition, boundaries[0]!);
    }
  }

  /** Sum of the counters with a prefix over all partitions (e.g. tier sizes). */
  async readCounterTotals(partitions: readonly number[], prefix: string): Promise<Map<string, number>> {
    const totals = new Map<string, number>();
    const all = await Promise.all(
      partitions.map((p) => this.redis.hgetall(partitionKeys(this.prefix, this.worker, p).counters)),
    );
    for (const counters of all) {
      for (const [field, value] of Object.entries(counters)) {
        if (field.startsWith(prefix)) totals.set(field, (totals.get(field) ?? 0) + Number(value));
      }
    }
    return totals;
  }

  /**
   * The newest population view in force in any partition: that of its `viewBoundary`, the last
   * applied boundary whose merge gave a view. The last applied boundary's may be null (a model fit
   * rejected, no customer active), while the partition goes on deciding with the view before it.
   */
  async latestAppliedView(partitions: readonly number[]): Promise<string | null> {
    const boundaries = await Promise.all(
      partitions.map((p) => this.redis.hget(partitionKeys(this.prefix, this.worker, p).meta, 'viewBoundary')),
    );
    const latest = Math.max(...boundaries.map((b) => (b === null ? Number.NEGATIVE_INFINITY : Number(b))));
    return Number.isFinite(latest) ? this.getView(latest) : null;
  }
}
