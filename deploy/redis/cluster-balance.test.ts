import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planBalance, type SlotGroup, spreadOf, workerSlotGroups } from './cluster-balance.js';

const WORKERS = ['value-segmentation', 'share-of-wallet', 'retention', 'next-best-offer'];

/** The owners `redis-cli --cluster create` gives: even contiguous ranges, in order. */
function evenRanges(primaries: readonly string[]): Map<number, string> {
  const owners = new Map<number, string>();
  const per = 16384 / primaries.length;
  for (let slot = 0; slot < 16384; slot += 1) owners.set(slot, primaries[Math.floor(slot / per)]!);
  return owners;
}

function applyMoves(owners: Map<number, string>, moves: ReturnType<typeof planBalance>): Map<number, string> {
  const after = new Map(owners);
  for (const move of moves) {
    expect(after.get(move.slot)).toBe(move.from);
    after.set(move.slot, move.to);
  }
  return after;
}

function gap(group: SlotGroup, owners: Map<number, string>, primaries: string[]): number {
  const counts = [...spreadOf(group, owners, primaries).values()];
  return Math.max(...counts) - Math.min(...counts);
}

describe('planBalance', () => {
  it('spreads the four workers’ twelve partitions 4/4/4 over three primaries, moving only tag slots', () => {
    const primaries = ['a', 'b', 'c'];
    const owners = evenRanges(primaries);
    const groups = workerSlotGroups(WORKERS, 12);
    // As created: value segmentation 3/6/3 (measured on the cluster stack too).
    expect([...spreadOf(groups[0]!, owners, primaries).values()]).toEqual([3, 6, 3]);
    const moves = planBalance(primaries, owners, groups);
    const after = applyMoves(owners, moves);
    for (const group of groups.slice(0, 4))
      expect([...spreadOf(group, after, primaries).values()]).toEqual([4, 4, 4]);
    expect(gap(groups[4]!, after, primaries)).toBeLessThanOrEqual(1);
    const tagSlots = new Set(groups.flatMap((g) => g.slots));
    for (const move of moves) expect(tagSlots.has(move.slot)).toBe(true);
    expect(moves.length).toBeLessThan(20);
  });

  it('moves nothing when the spread is already even, and is the same plan every time', () => {
    const primaries = ['a', 'b', 'c'];
    const groups = workerSlotGroups(WORKERS, 12);
    const balanced = applyMoves(evenRanges(primaries), planBalance(primaries, evenRanges(primaries), groups));
    expect(planBalance(primaries, balanced, groups)).toEqual([]);
    expect(planBalance(primaries, evenRanges(primaries), groups)).toEqual(
      planBalance(['c', 'a', 'b'], evenRanges(primaries), groups),
    );
  });

  it('leaves every group at most one apart for any ownership, primaries and partition count', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 48 }),
        fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 64, maxLength: 64 }),
        (primaryCount, partitions, seeds) => {
          const primaries = Array.from({ length: primaryCount }, (_, i) => `p${i}`);
          // Owners: slot ranges of 256 given to primaries as the seeds say.
          const owners = new Map<number, string>();
          for (let slot = 0; slot < 16384; slot += 1)
            owners.set(slot, primaries[seeds[slot >> 8]! % primaryCount]!);
          const groups = workerSlotGroups(WORKERS, partitions);
          const after = applyMoves(owners, planBalance(primaries, owners, groups));
          for (const group of groups.slice(0, 4)) expect(gap(group, after, primaries)).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses a slot with no primary, and a cluster without primaries', () => {
    const groups: SlotGroup[] = [{ name: 'x', slots: [1, 2] }];
    expect(() => planBalance(['a'], new Map([[1, 'a']]), groups)).toThrow(/slot 2 \(x\) has no primary/);
    expect(() => planBalance([], new Map(), groups)).toThrow(/no primaries/);
  });
});
