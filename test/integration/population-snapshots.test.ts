import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FunctionCaller } from '../../shared/redis/function-caller.js';
import { partitionKeys, populationViewKey } from '../../shared/redis/keys.js';
import { RedisPartitionStore, RedisPopulationStore } from '../../shared/redis/partition-store.js';
import { encodeSnapshot, type StoredWholeSnapshot } from '../../shared/runtime/snapshot-codec.js';
import { testEndpoints, uniqueName } from '../support/endpoints.js';
import { segmentWrite } from '../support/segment-write.js';

// Snapshots stored whole or as deltas from the whole one stored before (snapshot-codec.ts), on
// real Redis through the apply script: every snapshot kept reads back exactly, and dropping the
// old ones never drops the whole snapshot a kept delta refers to.

const WORKER = 'snapshots';
const HOUR = 3_600_000;
const KEEP = 60 * HOUR;

let redis: Redis;
let prefix: string;
let store: RedisPartitionStore;
let population: RedisPopulationStore;

/** The counters of partition 0 at hour h: one cell moves each hour, one in seven hours all move. */
function countersAt(h: number): Record<string, number> {
  const counters: Record<string, number> = {};
  const shift = Math.floor(h / 7);
  for (let cell = 0; cell < 20; cell += 1) counters[`h:c:${cell}`] = cell + 1 + shift;
  counters[`h:c:${h % 20}`] = 1000 + h;
  if (h % 5 === 0) delete counters['h:c:3'];
  return counters;
}

let functions: FunctionCaller;
beforeAll(async () => {
  redis = new Redis(testEndpoints().redisUrl);
  functions = new FunctionCaller(redis);
  await functions.load();
  prefix = uniqueName('snapshots');
  store = new RedisPartitionStore(redis, functions, prefix, WORKER, 0, 'none', 5_000);
  population = new RedisPopulationStore(redis, functions, prefix, WORKER);
});

afterAll(async () => {
  await redis.del(...Object.values(partitionKeys(prefix, WORKER, 0)));
  await redis.quit();
});

describe('population snapshots stored as deltas (real Redis)', () => {
  it('reads back every kept snapshot exactly over 200 hourly instants, in steps of 1 to 9', async () => {
    const claimed = await store.claim();
    let version = claimed.meta.version;
    let whole: StoredWholeSnapshot | null = null;
    let deltas = 0;
    let h = 0;
    for (let step = 1; h < 200; step = (step % 9) + 1) {
      const taken: Array<{ boundary: number; counters: string }> = [];
      for (let k = 0; k < step && h < 200; k += 1, h += 1) {
        const counters = countersAt(h);
        const stored = encodeSnapshot(counters, whole);
        if (stored.whole) whole = { boundary: h * HOUR, counters };
        else deltas += 1;
        taken.push({ boundary: h * HOUR, counters: stored.value });
      }
      const last = taken[taken.length - 1]!.boundary;
      ({ version } = await store.apply(
        segmentWrite(claimed.epoch, version, { snapshots: { taken, dropBefore: last - KEEP } }),
      ));
    }
    expect(deltas).toBeGreaterThan(100);
    const kept = (await redis.hkeys(partitionKeys(prefix, WORKER, 0).snapshots))
      .map(Number)
      .sort((a, b) => a - b);
    const dropBefore = 199 * HOUR - KEEP;
    expect(kept.filter((b) => b < dropBefore).length).toBeLessThanOrEqual(1);
    expect(kept.filter((b) => b >= dropBefore)).toEqual(
      Array.from({ length: 61 }, (_, i) => dropBefore + i * HOUR),
    );
    for (const boundary of kept.filter((b) => b >= dropBefore)) {
      const [read] = await population.readSnapshots(boundary, [0]);
      expect(JSON.parse(read!.snapshot!), `hour ${boundary / HOUR}`).toEqual(countersAt(boundary / HOUR));
    }
    // Read ahead: one read with the period brings the next boundaries too (a fresh store keeps
    // them), so they are answered exactly even after Redis lost the hash.
    const ahead = new RedisPopulationStore(redis, functions, prefix, WORKER);
    const first = kept.filter((b) => b >= dropBefore)[0]!;
    const [firstRead] = await ahead.readSnapshots(first, [0], HOUR);
    expect(JSON.parse(firstRead!.snapshot!)).toEqual(countersAt(first / HOUR));
    const saved = await redis.hgetall(partitionKeys(prefix, WORKER, 0).snapshots);
    await redis.del(partitionKeys(prefix, WORKER, 0).snapshots);
    try {
      for (let i = 1; i < 32; i += 1) {
        const [read] = await ahead.readSnapshots(first + i * HOUR, [0], HOUR);
        expect(JSON.parse(read!.snapshot!), `hour ${first / HOUR + i}`).toEqual(countersAt(first / HOUR + i));
      }
      const [beyond] = await ahead.readSnapshots(first + 32 * HOUR, [0], HOUR);
      expect(beyond!.snapshot).toBeNull();
    } finally {
      await redis.hset(partitionKeys(prefix, WORKER, 0).snapshots, saved);
    }
  });

  it('reads a delta whose base the owner drops between its two reads as gone, not as a fault', async () => {
    // A reader far behind the owner (partitions months apart after a restart): the delta of hour
    // 2 names the whole snapshot of hour 0; the owner's next apply drops both before the reader
    // asks for the base. Seen in the share-of-wallet e2e test as a crash ("not a stored whole
    // snapshot").
    const owner = new RedisPartitionStore(redis, functions, prefix, WORKER, 3, 'none', 5_000);
    const claimed = await owner.claim();
    const keys = partitionKeys(prefix, WORKER, 3);
    const whole = { boundary: 0, counters: countersAt(0) };
    const taken = [0, 1, 2].map((h) => ({
      boundary: h * HOUR,
      counters: encodeSnapshot(countersAt(h), h === 0 ? null : whole).value,
    }));
    expect(taken[2]!.counters.startsWith('@0{')).toBe(true);
    let { version } = await owner.apply(
      segmentWrite(claimed.epoch, claimed.meta.version, { snapshots: { taken, dropBefore: -KEEP } }),
    );
    const racing = new Redis(testEndpoints().redisUrl);
    const reader = new RedisPopulationStore(racing, functions, prefix, WORKER);
    const hmget = racing.hmget.bind(racing);
    let reads = 0;
    racing.hmget = (async (...args: Parameters<typeof hmget>) => {
      const answer = await hmget(...args);
      reads += 1;
      if (reads === 1) {
        // The owner, 70 hours on, has stored a whole snapshot at hour 5 and drops what lies 60
        // hours behind but the newest whole one: hour 5 stays; 0, 1 and 2 go.
        const later = 70 * HOUR;
        ({ version } = await owner.apply(
          segmentWrite(claimed.epoch, version, {
            snapshots: {
              taken: [5, 70].map((h) => ({ boundary: h * HOUR, counters: JSON.stringify(countersAt(h)) })),
              dropBefore: later - KEEP,
            },
          }),
        ));
      }
      return answer;
    }) as typeof racing.hmget;
    try {
      const [read] = await reader.readSnapshots(2 * HOUR, [3]);
      expect(read!.snapshot).toBeNull();
      expect(reads).toBeGreaterThanOrEqual(3);
      expect((await redis.hkeys(keys.snapshots)).map(Number).sort((a, b) => a - b)).toEqual([
        5 * HOUR,
        70 * HOUR,
      ]);
    } finally {
      racing.disconnect();
      await redis.del(...Object.values(keys));
    }
  });

  it('agrees on views in one call: a view stored first wins, the others are stored', async () => {
    const key = (b: number) => populationViewKey(prefix, WORKER, b);
    try {
      await redis.set(key(5 * HOUR), '{"first":true}');
      const held = await population.setViewsIfAbsent(
        [
          { boundary: 5 * HOUR, encoded: '{"first":false}' },
          { boundary: 6 * HOUR, encoded: 'null' },
        ],
        60_000,
      );
      expect(held).toEqual(
        new Map([
          [5 * HOUR, '{"first":true}'],
          [6 * HOUR, 'null'],
        ]),
      );
      expect(await redis.get(key(5 * HOUR))).toBe('{"first":true}');
      expect(await redis.get(key(6 * HOUR))).toBe('null');
      expect(await redis.pttl(key(6 * HOUR))).toBeGreaterThan(50_000);
    } finally {
      await redis.del(key(5 * HOUR), key(6 * HOUR));
    }
  });

  it('hands the gauges the view in force, not the last applied boundary whose merge gave none', async () => {
    // Partition 1 applied boundary 3 h, whose merge gave no view (a rejected fit: stored as null),
    // and decides with the view of 2 h; partition 2 is at 1 h.
    const meta = (p: number) => partitionKeys(prefix, WORKER, p).meta;
    await redis.hset(meta(1), { appliedBoundary: String(3 * HOUR), viewBoundary: String(2 * HOUR) });
    await redis.hset(meta(2), { appliedBoundary: String(HOUR), viewBoundary: String(HOUR) });
    await population.setViewsIfAbsent(
      [
        { boundary: HOUR, encoded: JSON.stringify({ fitted: 1 }) },
        { boundary: 2 * HOUR, encoded: JSON.stringify({ fitted: 2 }) },
        { boundary: 3 * HOUR, encoded: 'null' },
      ],
      60_000,
    );
    try {
      expect(JSON.parse((await population.latestAppliedView([1, 2]))!)).toEqual({ fitted: 2 });
    } finally {
      await redis.del(meta(1), meta(2));
      for (const h of [1, 2, 3]) await redis.del(populationViewKey(prefix, WORKER, h * HOUR));
    }
  });
});
