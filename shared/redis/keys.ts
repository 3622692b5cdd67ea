// The one place that builds Redis keys. Every key of a partition carries the hash tag
// {<worker>:<partition>}, so a whole batch of one partition is applied by one script in one
// slot and the same layout runs on Redis Cluster.

export interface PartitionKeys {
  /** Hash: epoch, version, offset:<topic>, streamTime, startedAt, snapshotBoundary, appliedBoundary, viewBoundary, recentEventsSweep (the sweep's HSCAN cursor). */
  readonly meta: string;
  /** Hash: customerId -> encoded state. */
  readonly customers: string;
  /**
   * Base of the population index buckets `<index>:<n>`, hashes customerId -> population score
   * (e.g. ranking value), chosen by customer id (shared/redis/lua/library-prelude.lua). Earlier
   * releases kept one sorted set under this name; claiming the partition moves it into buckets.
   */
  readonly index: string;
  /** Hash: counter field -> integer (histogram cells, tier sizes). */
  readonly counters: string;
  /**
   * Base of the timer buckets `<timers>:<kind>:<n>`, hashes customerId -> due stream time, chosen
   * by customer id like the index's (a sorted set of "<kind>|<customerId>" under this name in
   * earlier releases).
   */
  readonly timers: string;
  /** Sorted set: timer bucket "<kind>|<n>" -> the earliest due time in it. */
  readonly timerDue: string;
  /** List: encoded output events and dead letters not yet acknowledged as produced. */
  readonly outbox: string;
  /** Hash: boundary -> snapshot of the population counters. */
  readonly snapshots: string;
  /** Hash: customerId -> the event ids applied lately (idempotent intake, shared/runtime/recent-events.ts). */
  readonly recentEvents: string;
  /**
   * Hash: SHA-1 of an erased customer's id -> the erasure's event time. Their later records are
   * skipped until a newer profile re-admits them; the id itself is nowhere in Redis.
   */
  readonly erased: string;
}

export function partitionKeys(prefix: string, worker: string, partition: number): PartitionKeys {
  const base = `${prefix}:{${worker}:${partition}}`;
  return {
    meta: `${base}:meta`,
    customers: `${base}:customers`,
    index: `${base}:index`,
    counters: `${base}:counters`,
    timers: `${base}:timers`,
    timerDue: `${base}:timer-due`,
    outbox: `${base}:outbox`,
    snapshots: `${base}:snapshots`,
    recentEvents: `${base}:recent-events`,
    erased: `${base}:erased`,
  };
}

/**
 * The merged population view of a boundary; one key per boundary, outside partition slots, all
 * of a worker's in one slot of their own (one call agrees on many at once, also on Cluster).
 */
export function populationViewKey(prefix: string, worker: string, boundary: number): string {
  return `${prefix}:{${worker}:population}:${boundary}`;
}

/**
 * Pub/sub channel on which partitions announce population snapshots ("<partition> <boundary>")
 * and waits ("wait <boundary> <streamTime> <missing partitions...>"), so that a partition waiting
 * for a view is woken, in any process, as soon as the view can be merged.
 */
export function populationChannel(prefix: string, worker: string): string {
  return `${prefix}:${worker}:population-events`;
}

export function timerMember(kind: string, customerId: string): string {
  return `${kind}|${customerId}`;
}

export function parseTimerMember(member: string): { kind: string; customerId: string } {
  const at = member.indexOf('|');
  return { kind: member.slice(0, at), customerId: member.slice(at + 1) };
}
