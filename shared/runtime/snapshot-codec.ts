// How a partition's population snapshot is stored in its snapshots hash. With an hourly refresh a
// partition passes 8,760 instants a year and most of its histogram does not move between two of
// them: storing every snapshot whole wrote ~15 kB per partition and instant to Redis and its AOF.
// A snapshot is stored whole (`{...}`), or as the fields that differ from a whole one stored
// earlier in the same hash (`@<boundary>{...}`, a field now at zero written as 0). A delta always
// refers to a whole snapshot, never to another delta, so reading one takes at most two fields; the
// apply script keeps, below its drop boundary, the newest whole snapshot a kept delta may refer to.

import { plainSnapshot } from './chained-snapshot.js';

export type Counters = Readonly<Record<string, number>>;

/**
 * JSON.stringify(Object.fromEntries(fields)) for counter fields (never integer-like: they start
 * with the worker's prefix), without building the object: an hourly refresh encodes a delta of up
 * to a quarter of the histogram at each of its 8,760 instants a year.
 */
function jsonOfFields(fields: ReadonlyMap<string, number>): string {
  let json = '{';
  for (const [field, value] of fields) {
    if (json.length > 1) json += ',';
    json += `${JSON.stringify(field)}:${JSON.stringify(value)}`;
  }
  return `${json}}`;
}

/** A whole snapshot this partition stored, that later deltas refer to. */
export interface StoredWholeSnapshot {
  readonly boundary: number;
  readonly counters: Counters;
}

/** A delta larger than this share of the snapshot's fields is stored whole instead. */
const WHOLE_WHEN_DELTA_EXCEEDS = 0.25;

/** The stored form of `counters`, as a delta from `base` when that is small enough. */
export function encodeSnapshot(
  counters: Counters,
  base: StoredWholeSnapshot | null,
): { readonly value: string; readonly whole: boolean } {
  if (base !== null) {
    const delta: Record<string, number> = {};
    let changed = 0;
    const limit = Math.max(8, Object.keys(counters).length * WHOLE_WHEN_DELTA_EXCEEDS);
    for (const field in counters) {
      if (counters[field] !== base.counters[field]) {
        delta[field] = counters[field]!;
        changed += 1;
      }
    }
    for (const field in base.counters) {
      if (!(field in counters)) {
        delta[field] = 0;
        changed += 1;
      }
    }
    if (changed <= limit) return { value: `@${base.boundary}${JSON.stringify(delta)}`, whole: false };
  }
  return { value: JSON.stringify(counters), whole: true };
}

/** The boundary of the whole snapshot a stored value refers to, or null when it is whole. */
export function snapshotBaseOf(value: string): number | null {
  if (!value.startsWith('@')) return null;
  const boundary = Number(value.slice(1, value.indexOf('{')));
  if (!Number.isSafeInteger(boundary)) throw new Error(`snapshot delta names no base: ${value.slice(0, 40)}`);
  return boundary;
}

/** The counters of a stored snapshot; `base` is the stored whole snapshot a delta refers to. */
export function decodeSnapshot(value: string, base: string | null): Record<string, number> {
  const baseBoundary = snapshotBaseOf(value);
  if (baseBoundary === null) return JSON.parse(value) as Record<string, number>;
  if (base === null || snapshotBaseOf(base) !== null)
    throw new Error(`snapshot delta refers to ${baseBoundary}, which is not a stored whole snapshot`);
  const counters = JSON.parse(base) as Record<string, number>;
  const delta = JSON.parse(value.slice(value.indexOf('{'))) as Record<string, number>;
  for (const field in delta) {
    if (delta[field] === 0) delete counters[field];
    else counters[field] = delta[field]!;
  }
  return counters;
}

/**
 * The stored forms of one partition's successive snapshots, kept by its owner: the whole snapshot
 * stored last and the fields that differ from it now, moved by the fields each step touched, so
 * that a snapshot costs what changed since the previous one, not the size of the histogram.
 * Gives the same values as encodeSnapshot with the same base.
 */
export class SnapshotEncoder {
  private constructor(
    private whole: StoredWholeSnapshot | null,
    private readonly delta: Map<string, number>,
    /**
     * The stored form of the snapshot encoded last, as a delta (`@<whole>{}` right after a whole
     * one): an unchanged snapshot is stored as this, never as another whole copy, which the
     * apply script would keep in place of the whole one later deltas refer to.
     */
    private lastDelta: string | null,
  ) {}

  /** An owner's first: the first snapshot it stores is whole. */
  static start(): SnapshotEncoder {
    return new SnapshotEncoder(null, new Map(), null);
  }

  /** A copy for a step, which becomes the owner's once the step is applied. */
  copy(): SnapshotEncoder {
    return new SnapshotEncoder(this.whole, new Map(this.delta), this.lastDelta);
  }

  /**
   * The stored form of `counters` at `boundary`; `touched` holds every field that moved since the
   * previous call, or is null when that is not known (every field is compared then); `fields` is
   * the number of fields of `counters` (counted as the runtime builds it).
   */
  encode(boundary: number, counters: Counters, touched: ReadonlySet<string> | null, fields: number): string {
    const whole = this.whole;
    if (whole !== null) {
      const compare = (field: string): void => {
        if ((counters[field] ?? 0) === (whole.counters[field] ?? 0)) this.delta.delete(field);
        else this.delta.set(field, counters[field] ?? 0);
      };
      if (touched === null) {
        this.delta.clear();
        for (const field in counters) compare(field);
        for (const field in whole.counters) compare(field);
        this.lastDelta = null;
      } else {
        for (const field of touched) compare(field);
        if (touched.size === 0 && this.lastDelta !== null) return this.lastDelta;
      }
      if (this.delta.size <= Math.max(8, fields * WHOLE_WHEN_DELTA_EXCEEDS)) {
        this.lastDelta = `@${whole.boundary}${jsonOfFields(this.delta)}`;
        return this.lastDelta;
      }
    }
    const plain = plainSnapshot(counters);
    this.whole = { boundary, counters: plain };
    this.delta.clear();
    this.lastDelta = `@${boundary}{}`;
    return JSON.stringify(plain);
  }
}
