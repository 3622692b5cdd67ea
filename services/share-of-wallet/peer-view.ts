// The population view of share of wallet: every peer histogram summed over partitions at a
// boundary (SEMANTICS.md, "Peer segments and the typical usage per employee").

import { histogramKey, type PeerCell, parsePeerCounterField } from './peer-segment.js';

export interface PeerView {
  readonly boundary: number;
  /** Key `<windowDays>:<unit>:<segment>` → [cell, count][] (cells as counted, count > 0). */
  readonly histograms: Readonly<Record<string, ReadonlyArray<readonly [PeerCell, number]>>>;
}

/** Sums the partitions' snapshots. Always a view: every evaluation needs one, peers or not. */
export function mergePeerSnapshots(
  boundary: number,
  snapshots: ReadonlyArray<Readonly<Record<string, number>>>,
): PeerView {
  const sums = new Map<string, Map<PeerCell, number>>();
  for (const snapshot of snapshots) {
    for (const [field, count] of Object.entries(snapshot)) {
      const parsed = parsePeerCounterField(field);
      if (parsed === null || count === 0) continue;
      const key = histogramKey(parsed.windowDays, parsed.unit, parsed.segment);
      const cells = sums.get(key) ?? new Map<PeerCell, number>();
      cells.set(parsed.cell, (cells.get(parsed.cell) ?? 0) + count);
      sums.set(key, cells);
    }
  }
  const histograms: Record<string, Array<[PeerCell, number]>> = {};
  for (const key of [...sums.keys()].sort()) {
    const cells = [...sums.get(key)!].filter(([, n]) => n > 0);
    if (cells.length > 0) histograms[key] = cells;
  }
  return { boundary, histograms };
}
