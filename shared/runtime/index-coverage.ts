/** An inclusive range of population index scores. */
export type ScoreRange = readonly [number, number];

/**
 * The part of a partition's population index a step has read from Redis (as of the step's
 * start), kept so that the views the step passes ask Redis only for ranges it has not read yet.
 * An hourly refresh moves thresholds a little at every instant: without this, each instant read
 * the index again (one Redis call per view per partition, most of a year's calls); with it, a
 * step reads a range widened around what it needed once and answers the next instants from
 * memory until the thresholds drift out of it.
 */
export class IndexCoverage {
  /** Disjoint, sorted ranges read so far. */
  private covered: Array<[number, number]> = [];
  /** Entries read, sorted by score then id. */
  private entries: Array<{ readonly score: number; readonly id: string }> = [];

  /** The parts of `ranges` not read yet, widened (see widen) within what was not read, merged and sorted; [] when all are covered. */
  toRead(ranges: readonly ScoreRange[]): ScoreRange[] {
    const missing: Array<[number, number]> = [];
    for (const range of ranges)
      for (const part of subtract(range, this.covered)) missing.push(...subtract(widen(part), this.covered));
    return mergeRanges(missing);
  }

  /** Records what Redis answered for `ranges` (read with toRead's result). */
  add(ranges: readonly ScoreRange[], read: ReadonlyMap<string, { readonly score: number }>): void {
    const known = new Set(this.entries.map((e) => e.id));
    for (const [id, { score }] of read) if (!known.has(id)) this.entries.push({ score, id });
    this.entries.sort((a, b) => a.score - b.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.covered = mergeRanges([...this.covered, ...ranges]);
  }

  /** Ids of the entries read whose score lies in one of `ranges` (which must be covered). */
  idsIn(ranges: readonly ScoreRange[]): string[] {
    const ids: string[] = [];
    for (const [lo, hi] of ranges) {
      for (let i = lowerBound(this.entries, lo); i < this.entries.length; i += 1) {
        const entry = this.entries[i]!;
        if (entry.score > hi) break;
        ids.push(entry.id);
      }
    }
    return ids;
  }
}

/**
 * A range read with room around it: its own width again on each side (at least 1), so that a
 * threshold drifting by less than the width of its band since the last read needs no new read.
 * Infinite ends stay infinite.
 */
export function widen([lo, hi]: ScoreRange): [number, number] {
  const width = Number.isFinite(hi - lo) ? Math.max(hi - lo, 1) : 0;
  return [lo - width, hi + width];
}

/** The parts of `range` outside every range of `covered` (disjoint, sorted). */
export function subtract(range: ScoreRange, covered: readonly ScoreRange[]): Array<[number, number]> {
  let [lo, hi] = range;
  const parts: Array<[number, number]> = [];
  for (const [clo, chi] of covered) {
    if (chi < lo) continue;
    if (clo > hi) break;
    if (clo > lo) parts.push([lo, clo]);
    if (chi >= hi) return parts;
    lo = chi;
  }
  parts.push([lo, hi]);
  return parts;
}

/** Sorted, with overlapping ranges joined. */
export function mergeRanges(ranges: readonly ScoreRange[]): Array<[number, number]> {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const [lo, hi] of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && lo <= last[1]) last[1] = Math.max(last[1], hi);
    else merged.push([lo, hi]);
  }
  return merged;
}

function lowerBound(entries: ReadonlyArray<{ readonly score: number }>, score: number): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid]!.score < score) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
