// Which slots to move so that every worker's partitions spread evenly over a Redis Cluster's
// primaries. Every key of a partition carries the hash tag {<worker>:<partition>}, so a partition
// lives in one slot; `redis-cli --cluster create` cuts the slot space into even ranges, and
// twelve tags land where CRC16 puts them: 3/6/3 over three primaries for value segmentation.
// Moving the few slots that hold a tag evens them out without more hash tags (a partition's
// keys must share one slot: a step is one atomic script). Pure: the tool does the I/O.

import calculateSlot from 'cluster-key-slot';
import { partitionKeys, populationViewKey } from '../../shared/redis/keys.js';

/** The slots that must spread: a worker's partition tags, or the workers' population tags. */
export interface SlotGroup {
  readonly name: string;
  /** One slot per tag (two tags may share a slot; they move together). */
  readonly slots: readonly number[];
}

export interface SlotMove {
  readonly slot: number;
  readonly from: string;
  readonly to: string;
}

/**
 * The slots of the runtime's keys (shared/redis/keys.ts), grouped by what must spread. The key
 * prefix is outside the hash tag: every topic set of a worker shares these slots.
 */
export function workerSlotGroups(workers: readonly string[], partitions: number): SlotGroup[] {
  const groups: SlotGroup[] = workers.map((worker) => ({
    name: worker,
    slots: Array.from({ length: partitions }, (_, p) => calculateSlot(partitionKeys('vs', worker, p).meta)),
  }));
  groups.push({
    name: 'population views',
    slots: workers.map((worker) => calculateSlot(populationViewKey('vs', worker, 0))),
  });
  return groups;
}

/** Tags of the group per primary (every primary listed, also with none). */
export function spreadOf(
  group: SlotGroup,
  owners: ReadonlyMap<number, string>,
  primaries: readonly string[],
): Map<string, number> {
  const spread = new Map(primaries.map((p) => [p, 0]));
  for (const slot of group.slots) {
    const owner = owners.get(slot);
    if (owner === undefined) throw new Error(`slot ${slot} (${group.name}) has no primary`);
    spread.set(owner, (spread.get(owner) ?? 0) + 1);
  }
  return spread;
}

function extremes(spread: ReadonlyMap<string, number>): { most: string; least: string; gap: number } {
  let most = '';
  let least = '';
  for (const [primary, n] of spread) {
    if (most === '' || n > spread.get(most)!) most = primary;
    if (least === '' || n < spread.get(least)!) least = primary;
  }
  return { most, least, gap: spread.get(most)! - spread.get(least)! };
}

/**
 * The moves that leave each group's tags at most one apart between primaries, group after group,
 * moving one slot at a time from the primary that holds most to the one that holds fewest. A
 * slot that an earlier group also uses is moved only when no other will do (it may undo that
 * group's balance); the returned moves are in order, and the same input gives the same moves.
 */
export function planBalance(
  primaries: readonly string[],
  owners: ReadonlyMap<number, string>,
  groups: readonly SlotGroup[],
): SlotMove[] {
  if (primaries.length === 0) throw new Error('no primaries');
  const sorted = [...primaries].sort();
  const owner = new Map(owners);
  const moves: SlotMove[] = [];
  const settled = new Set<number>();
  for (const group of groups) {
    for (let guard = 0; guard < group.slots.length * sorted.length; guard += 1) {
      const { most, least, gap } = extremes(spreadOf(group, owner, sorted));
      if (gap <= 1) break;
      const candidates = [...new Set(group.slots)]
        .filter((slot) => owner.get(slot) === most)
        // A slot holding two of the group's tags moves two: only while that still narrows the gap.
        .filter((slot) => 2 * group.slots.filter((s) => s === slot).length <= gap)
        .sort((a, b) => Number(settled.has(a)) - Number(settled.has(b)) || a - b);
      const slot = candidates[0];
      if (slot === undefined) break;
      owner.set(slot, least);
      moves.push({ slot, from: most, to: least });
    }
    for (const slot of group.slots) settled.add(slot);
  }
  // A slot moved twice goes straight to where it ends.
  const final = new Map<number, SlotMove>();
  for (const move of moves) {
    const first = final.get(move.slot);
    final.set(move.slot, { slot: move.slot, from: first?.from ?? move.from, to: move.to });
  }
  return [...final.values()].filter((move) => move.from !== move.to);
}
