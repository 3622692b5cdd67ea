import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FunctionCaller } from '../../shared/redis/function-caller.js';
import { partitionKeys, timerMember } from '../../shared/redis/keys.js';
import { RedisPartitionStore } from '../../shared/redis/partition-store.js';
import { testEndpoints, uniqueName } from '../support/endpoints.js';
import { bucketEntries, keysOfPartition } from '../support/partition-in-redis.js';
import { deleteKeys } from '../support/scenario.js';
import { seededRandom } from '../support/seeded-random.js';
import { segmentWrite } from '../support/segment-write.js';

// The population index and the timers of a partition live in small hashes chosen by customer id
// (shared/redis/lua/library-prelude.lua), so that Redis keeps each as a listpack. What the
// runtime reads from them must be what one sorted set each gave: the due timers earliest first
// up to a limit, the customers in score ranges. Checked here against a model in the test, on
// real Redis, through writes that add, move and delete entries, and after moving the sorted
// sets of an earlier release into buckets on claim.

const WORKER = 'buckets';
const CUSTOMERS = 6_000;

let redis: Redis;
let functions: FunctionCaller;
let prefix: string;

beforeAll(async () => {
  redis = new Redis(testEndpoints().redisUrl);
  functions = new FunctionCaller(redis);
  await functions.load();
  prefix = uniqueName('buckets');
});

afterAll(async () => {
  await deleteKeys(redis, prefix);
  await redis.quit();
});

/** What the store holds, kept by the test: customer -> index score, timer member -> due time. */
interface Model {
  readonly index: Map<string, number>;
  readonly timers: Map<string, number>;
}

function dueTimers(model: Model, maxDue: number, limit: number): Array<[string, number]> {
  return [...model.timers]
    .filter(([, due]) => due <= maxDue)
    .sort(([ma, a], [mb, b]) => a - b || (ma < mb ? -1 : ma > mb ? 1 : 0))
    .slice(0, limit);
}

async function expectLikeModel(store: RedisPartitionStore, model: Model, partition: number) {
  const keys = partitionKeys(prefix, WORKER, partition);
  expect(await bucketEntries(redis, keys.index)).toBe(model.index.size);
  expect(await bucketEntries(redis, keys.timers)).toBe(model.timers.size);
  // Every bucket a listpack, as the layout is for.
  const buckets = (await keysOfPartition(redis, prefix, WORKER, partition)).filter((k) =>
    /:(index|timers:[^:]+):\d+$/.test(k),
  );
  expect(buckets.length).toBeGreaterThan(model.index.size / 128 + model.timers.size / 128);
  for (const key of buckets) expect(await redis.object('ENCODING', key), key).toBe('listpack');
  const dues = [...model.timers.values()].sort((a, b) => a - b);
  for (const [maxDue, limit] of [
    [dues[0]!, 100],
    [dues[Math.floor(dues.length / 3)]!, 50],
    [dues[Math.floor(dues.length / 2)]!, 100_000],
    [dues.at(-1)!, 1_000],
    [dues.at(-1)!, 1],
    [dues[0]! - 1, 10],
  ] as const) {
    const read = await store.read([], maxDue, limit);
    const expected = dueTimers(model, maxDue, limit);
    // Ties at the limit's last due time may be cut at another member (the runtime takes the
    // horizon just below it); everything before it must be the same.
    const got = read.timers.map((t) => [timerMember(t.kind, t.customerId), t.dueAt] as [string, number]);
    expect(got.length, `timers due by ${maxDue}, at most ${limit}`).toBe(expected.length);
    const last = expected.at(-1)?.[1];
    expect(got.filter(([, due]) => due !== last)).toEqual(expected.filter(([, due]) => due !== last));
    expect(got.map(([, due]) => due)).toEqual(expected.map(([, due]) => due));
  }
  const scores = [...model.index.values()].sort((a, b) => a - b);
  const ranges: Array<Array<[number, number]>> = [
    [[Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]],
    [[scores[10]!, scores[200]!]],
    [
      [scores[100]!, scores[150]!],
      [scores[1000]!, Number.POSITIVE_INFINITY],
    ],
    [[-5, -1]],
  ];
  for (const r of ranges) {
    const read = await store.readIndexRanges(r);
    const expected = [...model.index].filter(([, s]) => r.some(([lo, hi]) => s >= lo && s <= hi));
    expect(read.size, JSON.stringify(r)).toBe(expected.length);
    for (const [id, score] of expected) {
      expect(read.get(id)?.score, id).toBe(score);
      expect(read.get(id)?.state, id).toBe(`state of ${id}`);
    }
  }
}

describe('index and timers in buckets by customer id (real Redis)', () => {
  it('read like sorted sets through adds, moves and deletes, every bucket a listpack', async () => {
    const random = seededRandom(12);
    const store = new RedisPartitionStore(redis, functions, prefix, WORKER, 0, 'none', 5_000);
    const model: Model = { index: new Map(), timers: new Map() };
    let { epoch, meta } = await store.claim();
    let version = meta.version;
    const ids = Array.from({ length: CUSTOMERS }, (_, i) => `c-${i}`);
    for (let step = 0; step < 12; step += 1) {
      const indexPuts = new Map<string, number>();
      const indexDeletes: string[] = [];
      const timerSets = new Map<string, number>();
      const timerDeletes: string[] = [];
      for (let k = 0; k < 1_500; k += 1) {
        const id = ids[Math.floor(random() * (step < 4 ? (step + 1) * 1_500 : CUSTOMERS))]!;
        const member = timerMember(random() < 0.5 ? 'age-out' : 'silence', id);
        if (random() < 0.15 && step > 3) {
          if (!indexPuts.has(id)) indexDeletes.push(id);
          if (!timerSets.has(member)) timerDeletes.push(member);
          continue;
        }
        if (indexDeletes.includes(id) || timerDeletes.includes(member)) continue;
        // Scores and due times with ties, as money and day starts have.
        indexPuts.set(id, Math.round(random() * 5_000) / 4);
        timerSets.set(member, 1_700_000_000_000 + Math.floor(random() * 400) * 86_400_000);
      }
      const applied = await store.apply(
        segmentWrite(epoch, version, {
          // readIndexRanges answers customers with a state.
          statePuts: new Map([...indexPuts.keys()].map((id) => [id, `state of ${id}`])),
          indexPuts,
          indexDeletes,
          timerSets,
          timerDeletes,
        }),
      );
      version = applied.version;
      for (const [id, score] of indexPuts) model.index.set(id, score);
      for (const id of indexDeletes) model.index.delete(id);
      for (const [member, due] of timerSets) model.timers.set(member, due);
      for (const member of timerDeletes) model.timers.delete(member);
      expect(applied.pendingTimers).toBe(model.timers.size);
    }
    expect(model.index.size).toBeGreaterThan(4_000);
    await expectLikeModel(store, model, 0);
    // A new owner counts the same pending timers.
    ({ epoch, meta } = await store.claim(epoch));
    expect(meta.version).toBe(version);
  });

  it('moves the sorted sets of an earlier release into buckets when the partition is claimed', async () => {
    const random = seededRandom(7);
    const keys = partitionKeys(prefix, WORKER, 1);
    const model: Model = { index: new Map(), timers: new Map() };
    for (let i = 0; i < 3_000; i += 1) {
      model.index.set(`m-${i}`, Math.round(random() * 1_000) / 8);
      if (i % 3 > 0) model.timers.set(timerMember('age-out', `m-${i}`), 1_000 + Math.floor(random() * 50));
    }
    await redis.hset(keys.meta, 'epoch', '4', 'version', '17');
    await redis.hset(keys.customers, ...[...model.index.keys()].flatMap((id) => [id, `state of ${id}`]));
    await redis.zadd(keys.index, ...[...model.index].flatMap(([id, s]) => [s, id]));
    await redis.zadd(keys.timers, ...[...model.timers].flatMap(([m, due]) => [due, m]));

    const store = new RedisPartitionStore(redis, functions, prefix, WORKER, 1, 'none', 5_000);
    const claimed = await store.claim();
    expect(claimed.epoch).toBe(5);
    expect(claimed.pendingTimers).toBe(model.timers.size);
    expect(await redis.exists(keys.index, keys.timers)).toBe(0);
    await expectLikeModel(store, model, 1);
    // Claimed again: nothing left to move, the same entries.
    expect((await store.claim()).pendingTimers).toBe(model.timers.size);
    await expectLikeModel(store, model, 1);
  });
});
