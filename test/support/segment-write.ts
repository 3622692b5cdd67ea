import type { SegmentWrite } from '../../shared/runtime/state-store.js';

/** A segment write with nothing in it but what `parts` gives (for tests of the apply script on real Redis). */
export function segmentWrite(
  epoch: number,
  expectedVersion: number,
  parts: Partial<SegmentWrite>,
): SegmentWrite {
  return {
    epoch,
    expectedVersion,
    offset: null,
    statePuts: new Map(),
    stateDeletes: [],
    indexPuts: new Map(),
    indexDeletes: [],
    counters: new Map(),
    timerSets: new Map(),
    timerDeletes: [],
    outbox: [],
    metaSets: new Map(),
    ...parts,
  };
}
