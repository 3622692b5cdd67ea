import { decodeSnapshot, snapshotBaseOf } from '../runtime/snapshot-codec.js';

/**
 * Announced snapshots kept per partition, the first announced going first: a step of an hourly
 * backfill announces dozens, and a process behind the announcer takes them over many steps. A
 * partition cannot pass a view's boundary before every partition's snapshot of it exists, so the
 * gap is a few boundaries unless stored views let one run ahead (a restart); what is dropped is
 * read from Redis. Bounded because a member owning no partition never takes them.
 */
const KEPT_PER_PARTITION = 512;
/**
 * Whole snapshots kept per partition for the deltas that refer to them: a delta names the whole
 * one stored last, so a process at most this many wholes behind the announcer decodes its deltas.
 */
const WHOLES_PER_PARTITION = 16;

/**
 * The snapshots other partitions announced on the population channel, as stored (whole json or
 * a delta naming its whole base), decoded only when a view asks for one: a process sees every
 * partition's snapshot at every boundary, and most of them it never merges. An announcement is
 * the value written in the same atomic step as the stored one, so taking it is taking the stored
 * snapshot; one this process missed (subscribed after its whole base, a lost message) is read
 * from Redis instead.
 */
export class AnnouncedSnapshots {
  private readonly values = new Map<number, Map<number, string>>();
  private readonly wholes = new Map<number, Map<number, string>>();
  /** The highest boundary each partition announced since announcements were last forgotten. */
  private readonly highest = new Map<number, number>();
  /** The first boundary heard from each partition since then: what it stored before is not known. */
  private readonly first = new Map<number, number>();
  /** Since when a partition's snapshot of a boundary has been taken as absent without a read. */
  private readonly absentSince = new Map<number, { readonly boundary: number; at: number }>();

  /**
   * @param trustMs how long a snapshot not announced yet is taken as absent without asking Redis;
   *   after that it is read once (a message lost on the cluster bus), and trusted again as long.
   */
  constructor(
    private readonly trustMs: number,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  remember(partition: number, boundary: number, value: string): void {
    // Not a stored form: never trust a message.
    if (!value.startsWith('{') && !value.startsWith('@')) return;
    let base: number | null;
    try {
      base = snapshotBaseOf(value);
    } catch {
      return;
    }
    if (!((this.highest.get(partition) ?? Number.NEGATIVE_INFINITY) >= boundary))
      this.highest.set(partition, boundary);
    if (!this.first.has(partition)) this.first.set(partition, boundary);
    if (base === null) keepNewest(this.mapOf(this.wholes, partition), boundary, value, WHOLES_PER_PARTITION);
    keepNewest(this.mapOf(this.values, partition), boundary, value, KEPT_PER_PARTITION);
  }

  /**
   * A whole snapshot read from Redis: the announced deltas that refer to it decode from now on
   * (after forgetAll the next whole one may be many boundaries away).
   */
  rememberWhole(partition: number, boundary: number, value: string): void {
    if (value.startsWith('{'))
      keepNewest(this.mapOf(this.wholes, partition), boundary, value, WHOLES_PER_PARTITION);
  }

  /**
   * The counters json of the partition's snapshot of `boundary`, or null when not in hand. What
   * was announced before `boundary` is dropped: views are asked for in boundary order.
   */
  take(partition: number, boundary: number): string | null {
    const values = this.values.get(partition);
    if (!values) return null;
    // Announcements come in boundary order (a replay's repeat aside): the oldest are first.
    for (const b of values.keys()) {
      if (b >= boundary) break;
      values.delete(b);
    }
    const value = values.get(boundary);
    if (value === undefined) return null;
    values.delete(boundary);
    const base = snapshotBaseOf(value);
    if (base === null) return value;
    const whole = this.wholes.get(partition)?.get(base);
    if (whole === undefined) return null;
    try {
      return JSON.stringify(decodeSnapshot(value, whole));
    } catch {
      return null;
    }
  }

  /**
   * Whether the partition's snapshot of `boundary` can be taken as not stored without asking
   * Redis: it announced an earlier boundary and not this one (not stored yet: announcements come
   * in the order they were stored), or a later one and not this one (not stored at all: its owner
   * passed the boundary's view, which is stored instead; see PartitionProcessor.snapshotsToStore).
   * A partition not heard from since the last forgetAll, or a boundary before the first heard, is
   * never absent by hearsay (stored before this process listened, or while it was its own).
   * Trusted for trustMs at a time, then read: a message may be lost.
   */
  knownAbsent(partition: number, boundary: number): boolean {
    const highest = this.highest.get(partition);
    const first = this.first.get(partition);
    if (highest === undefined || first === undefined || highest === boundary || boundary < first)
      return false;
    const now = this.clock();
    const since = this.absentSince.get(partition);
    if (since === undefined || since.boundary !== boundary) {
      this.absentSince.set(partition, { boundary, at: now });
      return true;
    }
    if (now - since.at < this.trustMs) return true;
    since.at = now;
    return false;
  }

  /** Whether the partition announced an earlier boundary's snapshot and none from `boundary` on. */
  announcedBefore(partition: number, boundary: number): boolean {
    const highest = this.highest.get(partition);
    return highest !== undefined && highest < boundary;
  }

  /**
   * Forgets every announcement: the partitions moved between processes (what a partition announced
   * while it was this process's own was not kept), or the subscription broke (messages lost).
   */
  forgetAll(): void {
    this.values.clear();
    this.wholes.clear();
    this.highest.clear();
    this.first.clear();
    this.absentSince.clear();
  }

  private mapOf(maps: Map<number, Map<number, string>>, partition: number): Map<number, string> {
    let map = maps.get(partition);
    if (!map) {
      map = new Map();
      maps.set(partition, map);
    }
    return map;
  }
}

/** Sets `boundary` and drops the first set while more than `limit` are kept. */
function keepNewest(map: Map<number, string>, boundary: number, value: string, limit: number): void {
  map.delete(boundary);
  map.set(boundary, value);
  for (const b of map.keys()) {
    if (map.size <= limit) break;
    map.delete(b);
  }
}
