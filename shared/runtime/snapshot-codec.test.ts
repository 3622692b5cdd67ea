import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSnapshot, encodeSnapshot, SnapshotEncoder, snapshotBaseOf } from './snapshot-codec.js';

const counters = fc.dictionary(
  fc.constantFrom(...Array.from({ length: 40 }, (_, i) => `h:c:${i}`)),
  fc.integer({ min: -1000, max: 1000 }).filter((n) => n !== 0),
);

describe('population snapshot codec', () => {
  it('stores a snapshot whole when there is no base', () => {
    const stored = encodeSnapshot({ 'h:c:1': 2 }, null);
    expect(stored).toEqual({ value: '{"h:c:1":2}', whole: true });
    expect(snapshotBaseOf(stored.value)).toBeNull();
  });

  it('stores the fields that moved as a delta, a field gone as 0', () => {
    const base = { boundary: 3_600_000, counters: { 'h:c:1': 2, 'h:c:2': 5, 'h:s:1': 10, 'h:s:2': 7 } };
    const stored = encodeSnapshot({ 'h:c:1': 3, 'h:s:1': 10, 'h:s:2': 7 }, base);
    expect(stored).toEqual({ value: '@3600000{"h:c:1":3,"h:c:2":0}', whole: false });
    expect(snapshotBaseOf(stored.value)).toBe(3_600_000);
  });

  it('stores whole again when the delta is large', () => {
    const fields = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`f${i}`, i + 1]));
    const moved = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`f${i}`, i + 2]));
    expect(encodeSnapshot(moved, { boundary: 1, counters: fields }).whole).toBe(true);
  });

  it('decodes to exactly the counters encoded, whole or as a delta (property)', () => {
    fc.assert(
      fc.property(counters, fc.option(counters), fc.integer({ min: 0, max: 2 ** 50 }), (now, before, at) => {
        const base = before === null ? null : { boundary: at, counters: before };
        const stored = encodeSnapshot(now, base);
        const baseValue = base === null ? null : JSON.stringify(base.counters);
        expect(decodeSnapshot(stored.value, stored.whole ? null : baseValue)).toEqual(now);
      }),
    );
  });

  it('refuses a delta without its whole snapshot, or one that refers to another delta', () => {
    expect(() => decodeSnapshot('@5{"a":1}', null)).toThrow(/not a stored whole snapshot/);
    expect(() => decodeSnapshot('@5{"a":1}', '@4{"a":2}')).toThrow(/not a stored whole snapshot/);
    expect(() => snapshotBaseOf('@x{"a":1}')).toThrow(/names no base/);
  });

  it('an owner stores successive snapshots that all read back exactly, touched fields known or not, after the apply script drops old ones (property)', () => {
    const moves = fc.array(
      fc.record({
        // Often none: a snapshot unchanged since the previous one, right after a whole one too.
        changes: fc.oneof(
          fc.constant([]),
          fc.array(fc.tuple(fc.integer({ min: 0, max: 39 }), fc.integer({ min: -3, max: 3 })), {
            maxLength: 12,
          }),
        ),
        newStep: fc.boolean(),
      }),
      { minLength: 1, maxLength: 40 },
    );
    fc.assert(
      fc.property(moves, fc.integer({ min: 1, max: 6 }), (sequence, keep) => {
        let owner = SnapshotEncoder.start();
        let step = owner.copy();
        let touched: Set<string> | null = null;
        const now = new Map<string, number>();
        const stored = new Map<number, string>();
        sequence.forEach(({ changes, newStep }, boundary) => {
          for (const [cell, delta] of changes) {
            const field = `h:c:${cell}`;
            now.set(field, (now.get(field) ?? 0) + delta);
            touched?.add(field);
          }
          if (newStep) {
            // The step that made these changes ends (applied: its encoder becomes the owner's);
            // the next does not know which fields moved since the previous step's last snapshot.
            owner = step;
            step = owner.copy();
            touched = null;
          }
          const counters = Object.fromEntries([...now].filter(([, v]) => v !== 0));
          const value = step.encode(boundary, counters, touched, Object.keys(counters).length);
          touched = new Set();
          stored.set(boundary, value);
          const base = snapshotBaseOf(value);
          expect(decodeSnapshot(value, base === null ? null : (stored.get(base) ?? null))).toEqual(counters);
          // The apply script's drop rule (apply-batch-11.lua): below the drop boundary only the
          // newest whole snapshot stays; every delta kept must still find its whole one.
          dropAsTheApplyScriptDoes(stored, boundary - keep);
          for (const [at, kept] of stored) {
            const refersTo = snapshotBaseOf(kept);
            if (refersTo !== null) expect(stored.get(refersTo), `the whole snapshot of ${at}`).toMatch(/^\{/);
          }
        });
      }),
    );
  });
});

function dropAsTheApplyScriptDoes(stored: Map<number, string>, dropBefore: number): void {
  const old = [...stored.keys()].filter((b) => b < dropBefore).sort((a, b) => b - a);
  let keptWhole = false;
  for (const boundary of old) {
    if (!keptWhole && stored.get(boundary)!.startsWith('{')) keptWhole = true;
    else stored.delete(boundary);
  }
}
