// The runtime's view of partition state. The Redis implementation lives in
// shared/redis/partition-store.ts; the processor depends only on this interface.

export interface PartitionMeta {
  readonly epoch: number | null;
  readonly version: number;
  /** Highest applied offset per input topic. */
  readonly offsets: ReadonlyMap<string, bigint>;
  readonly streamTime: number | null;
  readonly startedAt: number | null;
  readonly snapshotBoundary: number | null;
  readonly appliedBoundary: number | null;
  /**
   * The boundary whose population view is in force: the last applied boundary whose merge gave a
   * view. A boundary without one (a model fit with too few customers, say) leaves the view before
   * it in force, so a new owner must reload that one, not the last applied boundary's.
   */
  readonly viewBoundary: number | null;
}

/** An output event or dead letter, stored in the outbox until produced. */
export interface OutboxEntry {
  readonly topic: string;
  readonly key: string | null;
  /** Base64 of the value bytes; null for tombstones. */
  readonly value: string | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly decisionKind: string;
  readonly decisionLabel?: string;
  readonly causedAtEventTime?: number;
}

export interface DueTimer {
  readonly kind: string;
  readonly customerId: string;
  readonly dueAt: number;
}

export interface PartitionRead {
  readonly meta: PartitionMeta;
  readonly timers: readonly DueTimer[];
  readonly states: ReadonlyMap<string, string>;
  /** The recent applied event ids of the same customers (idempotent intake), where they have any. */
  readonly recentEvents?: ReadonlyMap<string, string>;
  /** Erasure event times of the customers read that are erased (and not re-admitted). */
  readonly erased?: ReadonlyMap<string, number>;
}

export interface SegmentWrite {
  readonly epoch: number;
  readonly expectedVersion: number;
  /** Offset reached on an input topic, when records were applied. */
  readonly offset: { readonly topic: string; readonly offset: bigint } | null;
  readonly statePuts: ReadonlyMap<string, string>;
  readonly stateDeletes: readonly string[];
  readonly indexPuts: ReadonlyMap<string, number>;
  readonly indexDeletes: readonly string[];
  readonly counters: ReadonlyMap<string, number>;
  readonly timerSets: ReadonlyMap<string, number>;
  readonly timerDeletes: readonly string[];
  readonly outbox: readonly OutboxEntry[];
  /**
   * Entries at the head of the outbox that earlier steps produced and did not acknowledge: the
   * write removes them (one call fewer per step; see PartitionProcessor.ackOutbox).
   */
  readonly producedBefore?: number;
  readonly metaSets: ReadonlyMap<string, string>;
  /** Customers' recent applied event ids (shared/runtime/recent-events.ts): set, or deleted when none is left. */
  readonly recentEvents?: {
    readonly puts: ReadonlyMap<string, string>;
    readonly deletes: readonly string[];
  };
  /**
   * A step of the sweep through the recent-events hash: about `fields` fields visited from where
   * the last step stopped, each deleted whose newest id is older than `floor` (stream time minus
   * the horizon), so that customers idle beyond the horizon keep none without being touched.
   */
  readonly recentEventsSweep?: { readonly floor: number; readonly fields: number };
  /** Erasure marks (keys/erased: SHA-1 of the id -> erasure time): set, or cleared on re-admission. */
  readonly erased?: {
    readonly puts: ReadonlyMap<string, number>;
    readonly deletes: readonly string[];
  };
  /**
   * Population snapshots taken in the step (the counters with the population prefix as of each
   * snapshot instant passed), written in the same atomic step; older ones below `dropBefore` go.
   */
  readonly snapshots?: {
    readonly taken: ReadonlyArray<{ readonly boundary: number; readonly counters: string }>;
    readonly dropBefore: number;
  };
}

export interface ClaimResult {
  readonly epoch: number;
  readonly meta: PartitionMeta;
  readonly outbox: readonly OutboxEntry[];
  /** Timers scheduled and not yet fired (the pending-timers gauge). */
  readonly pendingTimers: number;
}

export interface PartitionStore {
  readonly partition: number;
  /**
   * Takes the partition: raises the owner epoch above the stored one and `highestSeenEpoch`
   * (what this claimant saw before, so epochs keep rising after Redis lost writes).
   */
  claim(highestSeenEpoch?: number): Promise<ClaimResult>;
  read(
    customerIds: readonly string[],
    maxTimerDue: number | null,
    timerLimit: number,
  ): Promise<PartitionRead>;
  /** Applies atomically; throws PartitionFencedError / StateVersionConflictError. */
  apply(write: SegmentWrite): Promise<AppliedStep>;
  ackOutbox(epoch: number, produced: number): Promise<void>;
  /** Current values of counter fields (0 when absent). */
  readCounters(fields: readonly string[]): Promise<ReadonlyMap<string, number>>;
  /** Every counter field with a prefix and its value (a population snapshot's base). */
  readCountersWithPrefix(prefix: string): Promise<ReadonlyMap<string, number>>;
  /** Every customer whose index score lies in one of the ranges, with its score and state. */
  readIndexRanges(ranges: ReadonlyArray<readonly [number, number]>): Promise<ReadonlyMap<string, IndexEntry>>;
  /** Makes every write so far durable (WAITAOF, or a no-op under appendfsync always). */
  makeDurable(): Promise<void>;
}

/** A customer's population index entry as Redis holds it, with the customer's encoded state. */
export interface IndexEntry {
  readonly score: number;
  readonly state: string;
}

/** What an applied step leaves: the partition's new state version and its timers still pending. */
export interface AppliedStep {
  readonly version: number;
  readonly pendingTimers: number;
}

export interface PartitionProgress {
  readonly partition: number;
  readonly snapshot: string | null;
  /** The event time of the partition's first record (read only where its snapshot is missing). */
  readonly startedAt: number | null;
  /**
   * Its snapshot is missing and the partition announced earlier boundaries' but not this one's
   * (shared/redis/announced-snapshots.ts): it has not got there yet, and its announcement will
   * wake the wait.
   */
  readonly notAnnouncedYet?: boolean;
}

export interface PopulationStore {
  getView(boundary: number): Promise<string | null>;
  /**
   * Stores each view unless one of its boundary is stored already, in one round trip; returns
   * the view each boundary holds afterwards (ours or the earlier one).
   */
  setViewsIfAbsent(
    views: ReadonlyArray<{ readonly boundary: number; readonly encoded: string }>,
    ttlMs: number,
  ): Promise<Map<number, string>>;
  /** Each partition's snapshot of the boundary; with the period, later boundaries' are read ahead and kept. */
  readSnapshots(
    boundary: number,
    partitions: readonly number[],
    periodMs?: number,
  ): Promise<PartitionProgress[]>;
  readCounterTotals(partitions: readonly number[], prefix: string): Promise<Map<string, number>>;
  latestAppliedView(partitions: readonly number[]): Promise<string | null>;
}
