import type { RawRecord } from '../runtime/raw-record.js';
import type { PreparedRecord } from '../runtime/record-intake.js';

/**
 * Everything the consumer knows about one assigned partition, in one object: the records Kafka
 * handed over and the processor has not applied yet, what the partition waits for, and where
 * Kafka's positions and commits stand. Kafka fetches into it; the step loop drains it. A record
 * is fetched and decoded once: a partition that must wait for a population view keeps what it
 * has (`leftover`) instead of seeking back and fetching it again.
 */
export class PartitionTask {
  /** Generation of the consumer group in which the buffered records were fetched. */
  generation = 0;
  /** Fetched, not yet prepared, in fetch order (several input topics interleave). */
  private fetched: RawRecord[] = [];
  private fetchedBytes = 0;
  /** Prepared records a step left because it had to wait; they run before anything fetched later. */
  leftover: PreparedRecord<unknown>[] = [];
  /** The population view this partition waits for, and the partitions that have no snapshot of it yet. */
  waitingFor: { boundary: number; missing: Set<number>; since: number } | null = null;
  /** The boundary at which a blocked step last skipped waiting because its snapshots had been seen since. */
  lookedAgainAt: number | null = null;
  /** A stream time to advance to with no record (caught up while others wait, or idle advance). */
  advanceTo: number | null = null;
  /** Wall clock before which the partition is not retried (after a failure with an unknown outcome). */
  retryAt = 0;
  attempt = 0;
  /**
   * A step failed with its outcome unknown: the partition is claimed again even if no record is
   * left, since the claim produces what its outbox still holds. A quiet partition whose last
   * send failed (a broker killed) kept its outputs in Redis until a new record came.
   */
  reclaim = false;
  /** Tries in a row that could not fetch the writer schemas of the next records (registry down). */
  schemaWaits = 0;
  claimedInGeneration: number | null = null;
  fencedInGeneration: number | null = null;
  /** Paused in kafkajs because the buffer is full (or fenced). */
  pausedInKafka = false;
  /** Next offset expected from Kafka, per cluster topic: a batch starting later leaves a gap. */
  readonly expected = new Map<string, bigint>();
  /** Per cluster topic, the position already sought back to once for a gap (see consumer). */
  readonly seekedBack = new Map<string, bigint>();
  /** Offsets committed to Kafka, per cluster topic. */
  readonly committed = new Map<string, bigint>();
  lastCommitAt = 0;
  /** End offsets (high watermarks) per cluster topic, as the last fetch or admin call saw them. */
  readonly endOffsets = new Map<string, bigint>();
  lastActivityAt = 0;
  /**
   * Wall clock when Kafka last handed this partition a record, or it was assigned: a partition
   * moved to a boundary with no record must have been quiet for a while (a send still on its way).
   */
  lastRecordAt = 0;
  /** A move to a boundary put off until the partition has been quiet long enough. */
  quietMove: { readonly target: number; readonly timer: NodeJS.Timeout } | null = null;
  /** A step of this partition is in flight. */
  running = false;

  constructor(readonly partition: number) {}

  get bufferedBytes(): number {
    return this.fetchedBytes;
  }

  get hasRecords(): boolean {
    return this.leftover.length > 0 || this.fetched.length > 0;
  }

  get bufferedRecords(): number {
    return this.leftover.length + this.fetched.length;
  }

  /** Offset of the first record kept for a cluster topic, if any (where Kafka's position stands). */
  firstOffset(topic: string): bigint | null {
    for (const p of this.leftover) if (p.record.topic === topic) return BigInt(p.record.offset);
    for (const r of this.fetched) if (r.topic === topic) return BigInt(r.offset);
    return null;
  }

  hasRecordsOf(topic: string): boolean {
    return this.firstOffset(topic) !== null;
  }

  /**
   * How much longer the partition must stay quiet (no record from Kafka) before it may be moved
   * to a boundary with no record; zero or less: it may now.
   */
  quietWaitLeft(now: number, waitMs: number): number {
    return waitMs - (now - this.lastRecordAt);
  }

  /** Drops a move put off until the partition is quiet (its timer too). */
  cancelQuietMove(): void {
    if (this.quietMove) clearTimeout(this.quietMove.timer);
    this.quietMove = null;
  }

  append(records: readonly RawRecord[], now: number): void {
    if (records.length > 0) this.lastRecordAt = now;
    for (const record of records) {
      this.fetched.push(record);
      this.fetchedBytes += (record.value?.length ?? 0) + (record.key?.length ?? 0);
    }
  }

  /** Takes up to `limit` fetched records, oldest first. */
  take(limit: number): RawRecord[] {
    const taken = this.fetched.splice(0, limit);
    for (const record of taken) this.fetchedBytes -= (record.value?.length ?? 0) + (record.key?.length ?? 0);
    return taken;
  }

  /** The next `limit` fetched records, left in place (to look up what they need before taking them). */
  peek(limit: number): readonly RawRecord[] {
    return this.fetched.slice(0, limit);
  }

  /** Puts taken records back in front, in their order (a step that could not prepare them). */
  putBack(records: readonly RawRecord[]): void {
    this.fetched.unshift(...records);
    for (const record of records)
      this.fetchedBytes += (record.value?.length ?? 0) + (record.key?.length ?? 0);
  }

  /** Forgets every buffered record (a seek, a new generation, a partition lost). */
  clear(): void {
    this.cancelQuietMove();
    this.fetched = [];
    this.fetchedBytes = 0;
    this.leftover = [];
    this.waitingFor = null;
    this.advanceTo = null;
    this.reclaim = false;
    this.expected.clear();
  }

  /** Ready for a step: something to apply or advance, not waiting, not backing off, not fenced. */
  runnable(generation: number, now: number): boolean {
    return !this.running && this.ready(generation, now);
  }

  /** Has work it may do now (whether or not a step of it is in flight). */
  ready(generation: number, now: number): boolean {
    if (this.fencedInGeneration === generation) return false;
    if (this.waitingFor !== null) return false;
    if (now < this.retryAt) return false;
    return this.hasRecords || this.advanceTo !== null || this.reclaim;
  }
}

/**
 * The partition to serve next: among the runnable ones, the one furthest behind in stream time
 * (a partition that has not started comes first), the way Kafka Streams picks the task with the
 * lowest head timestamp. Ties go to the lowest partition number, so the order is reproducible.
 */
export function pickFurthestBehind<T extends { readonly partition: number }>(
  candidates: readonly T[],
  streamTimeOf: (candidate: T) => number | null,
): T | null {
  let best: T | null = null;
  let bestTime = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const time = streamTimeOf(candidate) ?? Number.NEGATIVE_INFINITY;
    if (best === null || time < bestTime || (time === bestTime && candidate.partition < best.partition)) {
      best = candidate;
      bestTime = time;
    }
  }
  return best;
}
