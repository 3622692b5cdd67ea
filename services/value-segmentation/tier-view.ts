// The population view: tier thresholds and value skew merged from every partition's histogram
// snapshot at one boundary (SEMANTICS.md, "Histogram and thresholds"). It is the same in every
// partition, because it is a pure function of the snapshots, whatever order they arrive in.

import { fieldsChangedSince } from '../../shared/runtime/snapshot-lineage.js';
import { cellOf, lowerEdgeOf } from './histogram.js';
import { customersInShare, type ValueSegmentationSettings } from './settings.js';

/** `[cell, customers, sum of their values in minor units]`. */
export type HistogramCell = readonly [cell: number, count: number, sumMinor: number];

/** Lower thresholds: `top2` (null when the tier is disabled), `top`, and `bottom` — the bottom cut, i.e. the lower threshold of `middle`. */
export interface TierThresholds {
  readonly top2: number | null;
  readonly top: number;
  readonly bottom: number;
}

/**
 * Share of the population's total value held by the top 2%, the top 20% and the bottom 20% of
 * customers. A share rarely ends on a cell edge: the cell holding the cut is prorated linearly
 * (its customers are taken to hold equal parts of the cell's sum), so with cells at most 1/64
 * wide the error is small. When the total value is zero or negative the shares are 0.
 */
export interface ValueSkew {
  readonly top2Share: number;
  readonly top20Share: number;
  readonly bottom20Share: number;
}

export interface TierView {
  /** Stream-time boundary whose snapshots this view merges. */
  readonly boundary: number;
  /** N: active customers across all partitions. */
  readonly populationSize: number;
  readonly thresholds: TierThresholds;
  /** Non-empty cells, ascending. */
  readonly cells: readonly HistogramCell[];
  readonly skew: ValueSkew;
}

export const COUNT_FIELD_PREFIX = 'h:c:';
export const SUM_FIELD_PREFIX = 'h:s:';

// A few thousand cells at most: each field name is built once and then shared, so counter maps
// keyed by it hash one string instead of a new one per decision.
const countFields = new Map<number, string>();
const sumFields = new Map<number, string>();

function fieldOf(fields: Map<number, string>, prefix: string, cell: number): string {
  let field = fields.get(cell);
  if (field === undefined) {
    field = `${prefix}${cell}`;
    fields.set(cell, field);
  }
  return field;
}

export function countField(cell: number): string {
  return fieldOf(countFields, COUNT_FIELD_PREFIX, cell);
}

export function sumField(cell: number): string {
  return fieldOf(sumFields, SUM_FIELD_PREFIX, cell);
}

function parseCell(field: string, prefix: string): number | null {
  if (!field.startsWith(prefix)) return null;
  const cell = Number(field.slice(prefix.length));
  if (!Number.isSafeInteger(cell)) throw new Error(`histogram snapshot field ${field} names no cell`);
  return cell;
}

/** One partition's snapshot as cells: `h:c:<cell>` counts and `h:s:<cell>` sums. */
interface ParsedSnapshot {
  readonly counts: ReadonlyMap<number, number>;
  readonly sums: ReadonlyMap<number, number>;
}

// A view is merged at every boundary (8,760 a year with hourly refresh) from snapshots that mostly
// did not change since the previous one (the runtime hands over the same object then): each
// snapshot object is parsed once, and the sums of the previous merge are moved by the partitions
// whose snapshot changed instead of being added up again.
const parsedSnapshots = new WeakMap<object, ParsedSnapshot>();
let previousMerge: {
  readonly snapshots: ReadonlyArray<Readonly<Record<string, number>>>;
  readonly counts: Map<number, number>;
  readonly sums: Map<number, number>;
} | null = null;

function parsed(snapshot: Readonly<Record<string, number>>): ParsedSnapshot {
  let cells = parsedSnapshots.get(snapshot);
  if (!cells) {
    const counts = new Map<number, number>();
    const sums = new Map<number, number>();
    for (const field in snapshot) {
      const amount = snapshot[field]!;
      const countCell = parseCell(field, COUNT_FIELD_PREFIX);
      if (countCell !== null) counts.set(countCell, (counts.get(countCell) ?? 0) + amount);
      const sumCell = parseCell(field, SUM_FIELD_PREFIX);
      if (sumCell !== null) sums.set(sumCell, (sums.get(sumCell) ?? 0) + amount);
    }
    cells = { counts, sums };
    parsedSnapshots.set(snapshot, cells);
  }
  return cells;
}

function addCells(into: Map<number, number>, cells: ReadonlyMap<number, number>, sign: 1 | -1): void {
  for (const [cell, amount] of cells) into.set(cell, (into.get(cell) ?? 0) + sign * amount);
}

/** Moves the count or sum cell a snapshot field names by `delta`. */
function moveCell(
  counts: Map<number, number>,
  sums: Map<number, number>,
  field: string,
  delta: number,
): void {
  if (delta === 0) return;
  const countCell = parseCell(field, COUNT_FIELD_PREFIX);
  if (countCell !== null) counts.set(countCell, (counts.get(countCell) ?? 0) + delta);
  const sumCell = parseCell(field, SUM_FIELD_PREFIX);
  if (sumCell !== null) sums.set(sumCell, (sums.get(sumCell) ?? 0) + delta);
}

/** Adds up every partition's `h:c:<cell>` / `h:s:<cell>` counters into ascending cells. */
function mergeCells(snapshots: ReadonlyArray<Readonly<Record<string, number>>>): HistogramCell[] {
  let counts: Map<number, number>;
  let sums: Map<number, number>;
  const previous = previousMerge;
  if (previous !== null && previous.snapshots.length === snapshots.length) {
    ({ counts, sums } = previous);
    snapshots.forEach((snapshot, i) => {
      const before = previous.snapshots[i]!;
      if (snapshot === before) return;
      // The runtime built this snapshot from the one merged before, moving a few fields: only
      // those move the sums. Otherwise every field of both is read.
      const changed = fieldsChangedSince(snapshot, before);
      if (changed !== null) {
        for (const field of changed)
          moveCell(counts, sums, field, (snapshot[field] ?? 0) - (before[field] ?? 0));
        return;
      }
      const [old, now] = [parsed(before), parsed(snapshot)];
      addCells(counts, old.counts, -1);
      addCells(sums, old.sums, -1);
      addCells(counts, now.counts, 1);
      addCells(sums, now.sums, 1);
    });
  } else {
    counts = new Map();
    sums = new Map();
    for (const snapshot of snapshots) {
      const cells = parsed(snapshot);
      addCells(counts, cells.counts, 1);
      addCells(sums, cells.sums, 1);
    }
  }
  previousMerge = null;
  const merged: HistogramCell[] = [];
  for (const [cell, count] of counts) {
    if (count < 0) throw new Error(`histogram cell ${cell} has a negative count ${count}`);
    // A counter back at zero is a cell every customer has left.
    if (count > 0) merged.push([cell, count, sums.get(cell) ?? 0]);
    else {
      counts.delete(cell);
      if (sums.get(cell) === 0) sums.delete(cell);
    }
  }
  previousMerge = { snapshots: [...snapshots], counts, sums };
  return merged.sort((a, b) => a[0] - b[0]);
}

/** Lower edge of the cell holding the customer of `rank` (1 = highest value). */
function cutAtRank(cells: readonly HistogramCell[], rank: number): number {
  let seen = 0;
  for (let i = cells.length - 1; i >= 0; i -= 1) {
    const [cell, count] = cells[i]!;
    seen += count;
    if (seen >= rank) return lowerEdgeOf(cell);
  }
  throw new Error(`rank ${rank} is beyond the population of ${seen}`);
}

/** Sum of the values of the `customers` (possibly fractional) first customers of `cellsInOrder`. */
function valueOfFirst(cellsInOrder: readonly HistogramCell[], customers: number): number {
  let remaining = customers;
  let value = 0;
  for (const [, count, sum] of cellsInOrder) {
    if (remaining <= 0) break;
    if (count <= remaining) {
      value += sum;
      remaining -= count;
    } else {
      value += (sum * remaining) / count;
      remaining = 0;
    }
  }
  return value;
}

function skewOf(cells: readonly HistogramCell[], populationSize: number): ValueSkew {
  const total = cells.reduce((acc, [, , sum]) => acc + sum, 0);
  if (total <= 0) return { top2Share: 0, top20Share: 0, bottom20Share: 0 };
  const descending = [...cells].reverse();
  return {
    top2Share: valueOfFirst(descending, 0.02 * populationSize) / total,
    top20Share: valueOfFirst(descending, 0.2 * populationSize) / total,
    bottom20Share: valueOfFirst(cells, 0.2 * populationSize) / total,
  };
}

/**
 * Merges the partitions' snapshots at `boundary`. Null when no customer is active anywhere
 * (N = 0): such a view has no thresholds.
 */
export function mergeSnapshots(
  boundary: number,
  snapshots: ReadonlyArray<Readonly<Record<string, number>>>,
  settings: ValueSegmentationSettings,
): TierView | null {
  const cells = mergeCells(snapshots);
  const populationSize = cells.reduce((acc, [, count]) => acc + count, 0);
  if (populationSize === 0) return null;
  const topCut = cutAtRank(cells, customersInShare(settings.topShare, populationSize, 'up'));
  const top2Cut =
    settings.top2Share > 0
      ? cutAtRank(cells, customersInShare(settings.top2Share, populationSize, 'up'))
      : null;
  const bottomRank = populationSize - customersInShare(settings.bottomShare, populationSize, 'down');
  return {
    boundary,
    populationSize,
    thresholds: { top2: top2Cut, top: topCut, bottom: cutAtRank(cells, bottomRank) },
    cells,
    skew: skewOf(cells, populationSize),
  };
}

/** True when there is a view with thresholds customers can be tiered against. */
export function hasThresholds(view: TierView | null): view is TierView {
  return view !== null && view.populationSize > 0;
}

/**
 * Percentile rank of `valueMinor` in the view, 0–100: the share of customers in lower cells plus
 * half of those in the value's own cell (ties split evenly), rounded to 0.01. Null without a population.
 */
export function percentileOf(view: TierView | null, valueMinor: number): number | null {
  if (!hasThresholds(view)) return null;
  const cell = cellOf(valueMinor);
  let below = 0;
  let same = 0;
  for (const [c, count] of view.cells) {
    if (c < cell) below += count;
    else if (c === cell) same += count;
  }
  const percentile = (100 * (below + same / 2)) / view.populationSize;
  return Math.round(percentile * 100) / 100;
}
