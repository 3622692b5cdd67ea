// Who a business is compared with (SEMANTICS.md, "Peer segments"): its industry and a headcount
// band, and the log-scale cells in which peers' usage per employee is counted.

/** Cell of a usage per employee: 'z' for none, else floor(32 · log2 v) (1/32 of an octave). */
export type PeerCell = 'z' | number;

export const CELLS_PER_OCTAVE = 32;

export function peerCellOf(usagePerEmployee: number): PeerCell {
  if (!(usagePerEmployee > 0)) return 'z';
  return Math.floor(CELLS_PER_OCTAVE * Math.log2(usagePerEmployee));
}

/** The value a cell stands for: its geometric middle (relative error below 1.1 %). */
export function representativeOf(cell: PeerCell): number {
  return cell === 'z' ? 0 : 2 ** ((cell + 0.5) / CELLS_PER_OCTAVE);
}

/** Order of cells: 'z' first, then ascending. */
export function compareCells(a: PeerCell, b: PeerCell): number {
  if (a === b) return 0;
  if (a === 'z') return -1;
  if (b === 'z') return 1;
  return a - b;
}

export function parseCell(text: string): PeerCell {
  return text === 'z' ? 'z' : Number(text);
}

/** Headcount band label: edges [10, 50, 250] give 1-9, 10-49, 50-249, 250+. */
export function sizeBandOf(headcount: number, edges: readonly number[]): string {
  let lower = 1;
  for (const edge of edges) {
    if (headcount < edge) return `${lower}-${edge - 1}`;
    lower = edge;
  }
  return `${lower}+`;
}

/** Peer segment key: industry (trimmed, lower case) and size band. */
export function peerSegmentOf(industry: string, headcount: number, edges: readonly number[]): string {
  return `${industry.trim().toLowerCase()}|${sizeBandOf(headcount, edges)}`;
}

/** Counter field of one peer histogram cell: p:<W>:<unit>:<segment>:<cell>, segment URI-encoded. */
export function peerCounterField(windowDays: number, unit: string, segment: string, cell: PeerCell): string {
  return `${peerHistogramFieldPrefix(windowDays, unit, segment)}${cell}`;
}

// Every business is evaluated daily for each window and unit: its histogram's field prefix is
// encoded once per histogram, not per evaluation (bounded: industries come from the input).
const fieldPrefixes = new Map<string, string>();

/** A peer histogram's key in the view (PeerView.histograms). */
export function histogramKey(windowDays: number, unit: string, segment: string): string {
  return `${windowDays}:${unit}:${segment}`;
}

/** The fields of one peer histogram are this prefix followed by the cell. */
export function peerHistogramFieldPrefix(windowDays: number, unit: string, segment: string): string {
  const key = histogramKey(windowDays, unit, segment);
  let prefix = fieldPrefixes.get(key);
  if (prefix === undefined) {
    prefix = `${PEER_COUNTER_PREFIX}${windowDays}:${encodeURIComponent(unit)}:${encodeURIComponent(segment)}:`;
    if (fieldPrefixes.size >= 10_000) fieldPrefixes.clear();
    fieldPrefixes.set(key, prefix);
  }
  return prefix;
}

export const PEER_COUNTER_PREFIX = 'p:';

/** Inverse of peerCounterField; null for fields of other counters. */
export function parsePeerCounterField(
  field: string,
): { windowDays: number; unit: string; segment: string; cell: PeerCell } | null {
  if (!field.startsWith(PEER_COUNTER_PREFIX)) return null;
  const parts = field.slice(PEER_COUNTER_PREFIX.length).split(':');
  if (parts.length !== 4) return null;
  return {
    windowDays: Number(parts[0]),
    unit: decodeURIComponent(parts[1]!),
    segment: decodeURIComponent(parts[2]!),
    cell: parseCell(parts[3]!),
  };
}

/**
 * The lower median of a peer histogram (cell -> count) after removing `exclude` once, when at
 * least `minPeers` peers remain: the representative value of the cell holding rank ceil(n/2).
 */
export function typicalUsage(
  histogram: ReadonlyMap<PeerCell, number>,
  exclude: PeerCell | null,
  minPeers: number,
): { typical: number; peerCount: number } | null {
  const counts = new Map(histogram);
  if (exclude !== null && (counts.get(exclude) ?? 0) > 0) counts.set(exclude, counts.get(exclude)! - 1);
  const cells = [...counts].filter(([, n]) => n > 0).sort(([a], [b]) => compareCells(a, b));
  const peerCount = cells.reduce((sum, [, n]) => sum + n, 0);
  if (peerCount < minPeers || peerCount === 0) return null;
  const rank = Math.ceil(peerCount / 2);
  let seen = 0;
  for (const [cell, n] of cells) {
    seen += n;
    if (seen >= rank) return { typical: representativeOf(cell), peerCount };
  }
  return null;
}
