import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chainOf, chainSnapshot, MAX_CHAIN, plainSnapshot } from './chained-snapshot.js';
import { Segment } from './segment.js';
import { fieldsChangedSince } from './snapshot-lineage.js';

const FIELDS = Array.from({ length: 12 }, (_, i) => `h:c:${i}`);
const moves = fc.array(
  fc.array(fc.record({ field: fc.constantFrom(...FIELDS), delta: fc.integer({ min: -3, max: 3 }) }), {
    maxLength: 4,
  }),
  { maxLength: 3 * MAX_CHAIN },
);

/** What a snapshot must read as: every field at its value, none at zero. */
function expected(now: ReadonlyMap<string, number>): Record<string, number> {
  return Object.fromEntries([...now].filter(([, value]) => value !== 0));
}

describe('chained population snapshots', () => {
  it('read exactly as the whole record at every instant: fields, keys, `in`, JSON, spread (property)', () => {
    fc.assert(
      fc.property(moves, (instants) => {
        const now = new Map<string, number>([['h:c:0', 1]]);
        let snapshot: Readonly<Record<string, number>> = Object.freeze({ 'h:c:0': 1 });
        const taken: Array<[Readonly<Record<string, number>>, Record<string, number>]> = [];
        for (const instant of instants) {
          const changes = new Map<string, number>();
          for (const { field, delta } of instant) {
            now.set(field, (now.get(field) ?? 0) + delta);
            changes.set(field, now.get(field)!);
          }
          snapshot = chainSnapshot(snapshot, changes);
          taken.push([snapshot, expected(now)]);
        }
        // Earlier snapshots are read after later ones were taken, as a merge behind does.
        for (const [snapshot, want] of taken) {
          for (const field of FIELDS) {
            expect(snapshot[field]).toBe(want[field]);
            expect(field in snapshot).toBe(field in want);
          }
          expect(Object.keys(snapshot).sort()).toEqual(Object.keys(want).sort());
          expect(JSON.parse(JSON.stringify(snapshot))).toEqual(want);
          expect({ ...snapshot }).toEqual(want);
          expect({ ...plainSnapshot(snapshot) }).toEqual(want);
        }
      }),
    );
  });

  it('cannot be written to', () => {
    const snapshot = chainSnapshot({ a: 1 }, new Map([['b', 2]])) as Record<string, number>;
    expect(() => {
      snapshot.a = 5;
    }).toThrow(TypeError);
    expect(() => {
      delete snapshot.b;
    }).toThrow(TypeError);
    expect(snapshot.a).toBe(1);
    expect(chainOf(snapshot)).toEqual({ links: 1, fields: 1 });
    expect(chainOf({ a: 1 })).toEqual({ links: 0, fields: 0 });
  });

  it('a step takes the same snapshots chained or whole, linked to the one before, a whole one every MAX_CHAIN (property)', () => {
    fc.assert(
      fc.property(moves, (instants) => {
        const segments = [true, false].map((chained) => {
          const segment = new Segment<{ n: number }>(
            ({ text }) => JSON.parse(text) as { n: number },
            (state) => JSON.stringify(state),
            new Map(),
            null,
          );
          segment.snapshotBase = new Map([['h:c:0', 1]]);
          return { segment, chained };
        });
        const taken = segments.map(
          () => [] as Array<ReturnType<Segment<{ n: number }>['populationSnapshot']>>,
        );
        for (const instant of [[], ...instants]) {
          segments.forEach(({ segment, chained }, i) => {
            segment.merge(
              'c-1',
              {
                state: { n: 1 },
                outputs: [],
                timers: [],
                counters: instant.map(({ field, delta }) => ({ field, delta })),
              },
              [],
            );
            taken[i]!.push(segment.populationSnapshot('h:', chained));
          });
        }
        const [chained, whole] = taken as [(typeof taken)[0], (typeof taken)[0]];
        chained.forEach((snapshot, k) => {
          expect({ ...snapshot.counters }).toEqual({ ...whole[k]!.counters });
          expect(snapshot.fields).toBe(whole[k]!.fields);
          expect(snapshot.fields).toBe(Object.keys(whole[k]!.counters).length);
          expect(chainOf(snapshot.counters).links).toBeLessThanOrEqual(MAX_CHAIN);
          if (k > 0) {
            const changed = fieldsChangedSince(snapshot.counters, chained[k - 1]!.counters);
            expect(changed).not.toBeNull();
            for (const field of FIELDS)
              if (!changed!.has(field))
                expect(snapshot.counters[field]).toBe(chained[k - 1]!.counters[field]);
          }
        });
      }),
    );
  });
});
