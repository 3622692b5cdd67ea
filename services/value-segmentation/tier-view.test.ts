import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { linkSnapshot } from '../../shared/runtime/snapshot-lineage.js';
import { cellOf, lowerEdgeOf, upperEdgeOf } from './histogram.js';
import { valueSegmentationSettings } from './settings.js';
import { countField, mergeSnapshots, percentileOf, sumField } from './tier-view.js';

const settings = valueSegmentationSettings();

/** A partition's snapshot of its active customers' values. */
function snapshotOf(values: readonly number[]): Record<string, number> {
  const fields: Record<string, number> = {};
  for (const v of values) {
    const c = cellOf(v);
    fields[countField(c)] = (fields[countField(c)] ?? 0) + 1;
    fields[sumField(c)] = (fields[sumField(c)] ?? 0) + v;
  }
  return fields;
}

describe('merging snapshots into a view', () => {
  it('has no view without customers', () => {
    expect(mergeSnapshots(0, [], settings)).toBeNull();
    expect(mergeSnapshots(0, [{}, {}], settings)).toBeNull();
    // Counters back at zero are cells every customer left.
    expect(mergeSnapshots(0, [{ 'h:c:5': 0, 'h:s:5': 0 }], settings)).toBeNull();
  });

  it('cuts at the lower edge of the cell holding the rank: top ceil(qN), bottom N - floor(qN)', () => {
    // Ten customers 10, 20, ..., 100 (all in exact cells below 128), split over two partitions.
    const view = mergeSnapshots(
      86_400_000,
      [snapshotOf([10, 30, 50, 70, 90]), snapshotOf([20, 40, 60, 80, 100])],
      settings,
    )!;
    expect(view.boundary).toBe(86_400_000);
    expect(view.populationSize).toBe(10);
    // top: rank ceil(0.2 × 10) = 2 → 90; bottom: rank 10 - floor(2) = 8 → 30.
    expect(view.thresholds).toEqual({ top2: null, top: 90, bottom: 30 });
    expect(view.cells.map(([c]) => c)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
  });

  it('puts the customers of the cell holding the cut above it', () => {
    // 1001 and 1006 share the cell [1000, 1007]: the cut (rank 2) is its lower edge, so both
    // are "top" — and so would be a third customer of that cell, even though top is 20% of 10.
    const view = mergeSnapshots(
      0,
      [snapshotOf([1_001, 1_006, 1_003, 20, 30, 40, 50, 60, 70, 80])],
      settings,
    )!;
    expect([lowerEdgeOf(cellOf(1_001)), upperEdgeOf(cellOf(1_001))]).toEqual([1_000, 1_007]);
    expect(view.thresholds.top).toBe(1_000);
  });

  it('computes a top2 cut when the tier is enabled', () => {
    const values = Array.from({ length: 100 }, (_, i) => (i + 1) * 10);
    const view = mergeSnapshots(0, [snapshotOf(values)], valueSegmentationSettings({ top2Share: 0.02 }))!;
    // rank 2 → 990, whose cell is [984, 991].
    expect(view.thresholds.top2).toBe(lowerEdgeOf(cellOf(990)));
    expect(view.thresholds.top).toBe(lowerEdgeOf(cellOf(810)));
    expect(view.thresholds.bottom).toBe(lowerEdgeOf(cellOf(210)));
  });

  it('handles negative and zero values', () => {
    const view = mergeSnapshots(0, [snapshotOf([-500, -20, 0, 0, 10])], settings)!;
    // top rank 1 → 10; bottom rank 5 - 1 = 4 → -20.
    expect(view.thresholds).toEqual({ top2: null, top: 10, bottom: -20 });
  });

  it('measures value skew, prorating the cell holding the cut', () => {
    // 5 customers: 1000 and four of 0..3; the top 20% is the one customer of 1000.
    const view = mergeSnapshots(0, [snapshotOf([1_000, 0, 1, 2, 3])], settings)!;
    expect(view.skew.top20Share).toBeCloseTo(1_000 / 1_006, 10);
    // top 2% = 0.1 customer: a tenth of the top cell's sum (cell [992, 1007] holds 1000 alone).
    expect(view.skew.top2Share).toBeCloseTo(100 / 1_006, 10);
    expect(view.skew.bottom20Share).toBeCloseTo(0, 10);
    // Two customers in one cell: the cut takes its share of the cell's sum.
    const shared = mergeSnapshots(0, [snapshotOf([1_000, 1_002, 1, 1, 1, 1, 1, 1, 1, 1])], settings)!;
    expect(shared.skew.top20Share).toBeCloseTo(2_002 / 2_010, 10);
    expect(shared.skew.bottom20Share).toBeCloseTo(2 / 2_010, 10);
  });

  it('reports no skew when the total value is not positive', () => {
    const view = mergeSnapshots(0, [snapshotOf([-10, 5])], settings)!;
    expect(view.skew).toEqual({ top2Share: 0, top20Share: 0, bottom20Share: 0 });
  });

  it('does not depend on how customers are spread over partitions', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -1e9, max: 1e9 }), fc.nat({ max: 5 })), {
          minLength: 1,
          maxLength: 60,
        }),
        (customers) => {
          const byPartition = Array.from({ length: 6 }, (_, p) =>
            snapshotOf(customers.filter(([, q]) => q === p).map(([v]) => v)),
          );
          const merged = mergeSnapshots(0, byPartition, settings);
          const single = mergeSnapshots(0, [snapshotOf(customers.map(([v]) => v))], settings);
          expect(merged).toEqual(single);
        },
      ),
    );
  });
});

describe('percentile of a value', () => {
  it('counts the customers below plus half of its own cell', () => {
    const view = mergeSnapshots(0, [snapshotOf([10, 20, 30, 40])], settings)!;
    expect(percentileOf(view, 40)).toBe(87.5);
    expect(percentileOf(view, 10)).toBe(12.5);
    expect(percentileOf(view, 25)).toBe(50);
    expect(percentileOf(view, 1_000)).toBe(100);
    expect(percentileOf(null, 10)).toBeNull();
  });
});

describe('merging boundary after boundary', () => {
  it('equals a merge from scratch when snapshots are linked to the ones before them (property)', () => {
    const values = fc.array(fc.integer({ min: 1, max: 5_000_000 }), { maxLength: 12 });
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.integer({ min: 0, max: 3 }), values, fc.integer({ min: 0, max: 2 }), fc.boolean()),
          {
            minLength: 1,
            maxLength: 25,
          },
        ),
        (changes) => {
          // As the runtime builds them: a new snapshot linked to the previous one by the fields
          // that moved (plus some that did not), at times through snapshots no merge saw, at
          // times not linked at all (a new step).
          const current: Array<Record<string, number>> = [{}, {}, {}, {}];
          const link = (next: Record<string, number>, previous: Record<string, number>) => {
            const touched = new Set([...Object.keys(next), ...Object.keys(previous)]);
            linkSnapshot(next, previous, touched);
          };
          const rounds = changes.map(([partition, customers, unseen, linked]) => {
            let previous = current[partition]!;
            for (let i = 0; i < unseen; i++) {
              const between = snapshotOf(customers.slice(i));
              link(between, previous);
              previous = between;
            }
            const next = snapshotOf(customers);
            if (linked) link(next, previous);
            current[partition] = next;
            return [...current];
          });
          const incremental = rounds.map((snapshots, boundary) =>
            mergeSnapshots(boundary, snapshots, settings),
          );
          const scratch = rounds.map((snapshots, boundary) =>
            mergeSnapshots(boundary, [...snapshots.map((snapshot) => ({ ...snapshot })), {}], settings),
          );
          expect(incremental).toEqual(scratch);
        },
      ),
    );
  });

  it('equals a merge from scratch when only some partitions hand over a new snapshot (property)', () => {
    const values = fc.array(fc.integer({ min: 1, max: 5_000_000 }), { maxLength: 12 });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), values), { minLength: 1, maxLength: 25 }),
        (changes) => {
          // Four partitions; at each boundary one of them takes a new snapshot, the others hand
          // over the very objects of the previous boundary.
          const current: Array<Record<string, number>> = [{}, {}, {}, {}];
          const rounds = changes.map(([partition, customers]) => {
            current[partition] = snapshotOf(customers);
            return [...current];
          });
          const incremental = rounds.map((snapshots, boundary) =>
            mergeSnapshots(boundary, snapshots, settings),
          );
          // Copies, and another number of partitions at each boundary (empty ones): from scratch.
          const scratch = rounds.map((snapshots, boundary) =>
            mergeSnapshots(
              boundary,
              [
                ...snapshots.map((snapshot) => ({ ...snapshot })),
                ...Array.from({ length: 1 + (boundary % 2) }, () => ({})),
              ],
              settings,
            ),
          );
          expect(incremental).toEqual(scratch);
        },
      ),
    );
  });
});
