// How far each owned partition is from the end of its log, and whether it is stuck there. Pure:
// fed by the runtime's events (shared/observability/metrics.ts), read by /metrics and /readyz.

/**
 * Records of a partition not yet settled: `endOffset` (the high watermark, the offset the next
 * record will get) minus the first offset not settled. Settled is Redis's applied offset + 1
 * (records applied or dead-lettered) or, when further, the offset committed (a commit past
 * transaction markers and aborted records, which are never applied), unless a claim found Redis
 * behind Kafka since.
 * With neither known the lag is the end offset itself: the log start is unknown here, so a
 * partition whose oldest records were deleted by retention reads high until its first apply.
 */
export function consumerLag(
  endOffset: bigint,
  applied: bigint | null,
  committed: bigint | null = null,
): number {
  let settled = applied === null ? 0n : applied + 1n;
  if (committed !== null && committed > settled) settled = committed;
  const lag = endOffset - settled;
  return lag > 0n ? Number(lag) : 0;
}

/** An offset of an event, or null when it is not one (a listener must never throw into the runtime). */
export function parseOffset(text: string): bigint | null {
  return /^-?\d+$/.test(text) ? BigInt(text) : null;
}

interface TopicPosition {
  end: bigint | null;
  applied: bigint | null;
  committed: bigint | null;
}

/** The end, applied and committed offsets of each (topic, partition) this member owns. */
export class LagTracker {
  private readonly positions = new Map<number, Map<string, TopicPosition>>();

  private position(topic: string, partition: number): TopicPosition {
    let topics = this.positions.get(partition);
    if (!topics) {
      topics = new Map();
      this.positions.set(partition, topics);
    }
    let position = topics.get(topic);
    if (!position) {
      position = { end: null, applied: null, committed: null };
      topics.set(topic, position);
    }
    return position;
  }

  private settledOf(p: TopicPosition): bigint | null {
    const applied = p.applied === null ? null : p.applied + 1n;
    if (applied === null) return p.committed;
    return p.committed !== null && p.committed > applied ? p.committed : applied;
  }

  /** The high watermark the last fetch saw. */
  end(topic: string, partition: number, endOffset: bigint): void {
    this.position(topic, partition).end = endOffset;
  }

  /**
   * Redis's applied offset; true when the settled position moved forward (records were settled).
   * The first offset known (a claim's) is a starting point, not progress.
   */
  applied(topic: string, partition: number, offset: bigint): boolean {
    const p = this.position(topic, partition);
    const before = this.settledOf(p);
    p.applied = offset;
    const after = this.settledOf(p);
    return before !== null && after !== null && after > before;
  }

  /** An offset this process committed; true when it settled records the applied offset had not. */
  committed(topic: string, partition: number, offset: bigint): boolean {
    const p = this.position(topic, partition);
    const before = this.settledOf(p);
    p.committed = offset;
    const after = this.settledOf(p);
    return before !== null && after !== null && after > before;
  }

  /**
   * A claim that found Redis behind Kafka (lost writes): the offsets committed so far are ahead of
   * what Redis holds, and say nothing of what is settled any more.
   */
  claimed(partition: number): void {
    for (const p of this.positions.get(partition)?.values() ?? []) p.committed = null;
  }

  /** Lag of each (topic, partition) whose end offset is known. */
  lags(): Array<{ topic: string; partition: number; lag: number }> {
    const out: Array<{ topic: string; partition: number; lag: number }> = [];
    for (const [partition, topics] of [...this.positions].sort(([a], [b]) => a - b))
      for (const [topic, p] of topics)
        if (p.end !== null) out.push({ topic, partition, lag: consumerLag(p.end, p.applied, p.committed) });
    return out;
  }

  /** The lag of a partition over all its topics (topics without an end offset count 0). */
  partitionLag(partition: number): number {
    let lag = 0;
    for (const p of this.positions.get(partition)?.values() ?? [])
      if (p.end !== null) lag += consumerLag(p.end, p.applied, p.committed);
    return lag;
  }

  release(partition: number): void {
    this.positions.delete(partition);
  }

  keepOnly(partitions: readonly number[]): void {
    const kept = new Set(partitions);
    for (const partition of [...this.positions.keys()])
      if (!kept.has(partition)) this.positions.delete(partition);
  }
}

export interface Stall {
  readonly partition: number;
  /** Records waiting (the partition's lag). */
  readonly lag: number;
  /** Since the last record applied or dead-lettered, or since records started waiting. */
  readonly waitingMs: number;
}

/**
 * A partition is stalled when records wait (lag > 0) and none has been applied or dead-lettered
 * for `stallAfterMs`. The clock starts at the later of the last progress and the moment records
 * started waiting (lag 0 → positive), or when the partition was first seen: an idle partition
 * that receives a record is not stalled at once, however old its last apply. A partition waiting
 * at a population barrier is stalled once that lasts `stallAfterMs` with records waiting.
 * `stallAfterMs` 0 turns detection off.
 */
export class StallDetector {
  private readonly partitions = new Map<number, { lag: number; since: number }>();

  constructor(
    private readonly stallAfterMs: number,
    private readonly now: () => number,
  ) {}

  /** The partition's records waiting, over all its topics. */
  lag(partition: number, lag: number): void {
    const state = this.partitions.get(partition);
    if (!state) {
      this.partitions.set(partition, { lag, since: this.now() });
      return;
    }
    if (state.lag <= 0 && lag > 0) state.since = this.now();
    state.lag = lag;
  }

  /** A record of the partition was applied or dead-lettered (or its position moved past records). */
  progress(partition: number): void {
    const state = this.partitions.get(partition);
    if (state) state.since = this.now();
    else this.partitions.set(partition, { lag: 0, since: this.now() });
  }

  release(partition: number): void {
    this.partitions.delete(partition);
  }

  keepOnly(partitions: readonly number[]): void {
    const kept = new Set(partitions);
    for (const partition of [...this.partitions.keys()])
      if (!kept.has(partition)) this.partitions.delete(partition);
  }

  /** Every partition tracked, stalled or not, by partition number. */
  states(): Array<Stall & { stalled: boolean }> {
    const now = this.now();
    return [...this.partitions]
      .sort(([a], [b]) => a - b)
      .map(([partition, { lag, since }]) => ({
        partition,
        lag,
        waitingMs: now - since,
        stalled: this.stallAfterMs > 0 && lag > 0 && now - since >= this.stallAfterMs,
      }));
  }

  /** The stalled partitions, by partition number. */
  stalled(): Stall[] {
    return this.states()
      .filter((s) => s.stalled)
      .map(({ partition, lag, waitingMs }) => ({ partition, lag, waitingMs }));
  }
}

/** The readiness reason of stalled partitions: "partition 3 stalled: ...; partition 7 stalled: ...". */
export function describeStalls(stalls: readonly Stall[]): string {
  return stalls
    .map(
      (s) =>
        `partition ${s.partition} stalled: ${s.lag} record${s.lag === 1 ? '' : 's'} waiting, none applied or dead-lettered for ${Math.floor(s.waitingMs / 1000)} s`,
    )
    .join('; ');
}
