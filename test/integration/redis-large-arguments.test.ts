import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FunctionCaller } from '../../shared/redis/function-caller.js';
import { buildFunctionLibrary } from '../../shared/redis/functions.js';
import { partitionKeys, timerMember } from '../../shared/redis/keys.js';
import { RedisPartitionStore } from '../../shared/redis/partition-store.js';
import type { OutboxEntry } from '../../shared/runtime/state-store.js';
import { testEndpoints, uniqueName } from '../support/endpoints.js';
import { bucketEntries } from '../support/partition-in-redis.js';
import { deleteKeys } from '../support/scenario.js';
import { segmentWrite } from '../support/segment-write.js';

// Steps far larger than a Lua stack or a JavaScript argument list on real Redis. Redis's Lua
// fails `unpack` above LUAI_MAXCSTACK (8,000) values ("too many results to unpack", a ReplyError
// the consumer treats as fatal: a crash loop on every restart), and V8 throws a RangeError
// ("Maximum call stack size exceeded") when about 125,000 values are spread into one call. A
// step reads its 20,000 customers plus the customers of 20,000 due timers (the runtime loads up
// to 100,000 due timers at once); one segment writes 20,000 states with as many index entries,
// counters, timers and outbox entries. Redis itself takes such commands: up to 2^31 − 1
// arguments (larger multibulk lengths are a protocol error), each up to proto-max-bulk-len
// (512 MB), the whole command within client-query-buffer-limit (1 GB); FCALL hands ARGV to Lua
// as a table, which has no stack limit.

const N = 20_000;
const WORKER = 'large-args';
const DUE = 1_000_000;
const stepIds = Array.from({ length: N }, (_, i) => `s-${String(i).padStart(5, '0')}`);
const timerIds = Array.from({ length: N }, (_, i) => `t-${String(i).padStart(5, '0')}`);
const stateOf = (id: string) => JSON.stringify({ id, spend: id.length * 7 });

let redis: Redis;
let functions: FunctionCaller;
let prefix: string;
let store: RedisPartitionStore;

beforeAll(async () => {
  redis = new Redis(testEndpoints().redisUrl);
  functions = new FunctionCaller(redis);
  await functions.load();
  prefix = uniqueName('large-args');
  store = new RedisPartitionStore(redis, functions, prefix, WORKER, 0, 'none', 5_000);
});

afterAll(async () => {
  // The index and timer buckets too, not only the fixed keys.
  await deleteKeys(redis, prefix);
  await redis.quit();
});

describe('partition store with 20,000 customers and 20,000 due timers in one step (real Redis)', () => {
  let epoch = 0;
  let version = 0;

  it('applies a segment of 20,000 states, index entries, counters and outbox entries in one call', async () => {
    const claimed = await store.claim();
    epoch = claimed.epoch;
    version = claimed.meta.version;
    const outbox: OutboxEntry[] = stepIds.map((id) => ({
      topic: 'out',
      key: id,
      value: null,
      headers: {},
      decisionKind: 'large',
    }));
    // 20,000 state puts with index entries, counters and outbox entries: about 140,000 arguments.
    const applied = await store.apply(
      segmentWrite(epoch, version, {
        statePuts: new Map(stepIds.map((id) => [id, stateOf(id)])),
        indexPuts: new Map(stepIds.map((id, i) => [id, i])),
        counters: new Map(stepIds.map((id) => [`c:${id}`, 3])),
        outbox,
        metaSets: new Map([['streamTime', String(DUE)]]),
      }),
    );
    version = applied.version;
    // The timer customers' states and their 20,000 due timers: 20,000 state puts alone (the
    // apply-batch case in question), and as many timers.
    const timed = await store.apply(
      segmentWrite(epoch, version, {
        statePuts: new Map(timerIds.map((id) => [id, stateOf(id)])),
        timerSets: new Map(timerIds.map((id, i) => [timerMember('silence', id), DUE - N + i])),
      }),
    );
    version = timed.version;
    expect(timed.pendingTimers).toBe(N);

    const keys = partitionKeys(prefix, WORKER, 0);
    expect(await redis.hlen(keys.customers)).toBe(2 * N);
    expect(await bucketEntries(redis, keys.index)).toBe(N);
    expect(await redis.hlen(keys.counters)).toBe(N);
    expect(await redis.llen(keys.outbox)).toBe(N);
    expect(await bucketEntries(redis, keys.timers)).toBe(N);
  });

  it('reads the states of 20,000 step customers and of the customers of 20,000 due timers', async () => {
    const read = await store.read(stepIds, DUE, 100_000);
    expect(read.meta.version).toBe(version);
    expect(read.timers).toHaveLength(N);
    expect(read.timers.map((t) => t.customerId)).toEqual(timerIds);
    expect(read.timers.every((t, i) => t.kind === 'silence' && t.dueAt === DUE - N + i)).toBe(true);
    expect(read.states.size).toBe(2 * N);
    for (const id of [...stepIds, ...timerIds]) expect(read.states.get(id), id).toBe(stateOf(id));
    // Customers without state are answered as absent, not as an error, in any chunk.
    const mixed = await store.read([...stepIds.slice(0, 9_000), 'nobody', ...stepIds.slice(9_000)], null, 10);
    expect(mixed.timers).toEqual([]);
    expect(mixed.states.size).toBe(N);
    expect(mixed.states.has('nobody')).toBe(false);
  });

  it('reads 20,000 customers in index ranges and 20,000 counters', async () => {
    const all = await store.readIndexRanges([[Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]]);
    expect(all.size).toBe(N);
    for (const id of stepIds) expect(all.get(id)?.state, id).toBe(stateOf(id));
    const two = await store.readIndexRanges([
      [0, 9_999],
      [5_000, N - 1],
    ]);
    expect(two.size).toBe(N);

    const fields = [...stepIds.map((id) => `c:${id}`), 'c:missing'];
    const counters = await store.readCounters(fields);
    expect(counters.size).toBe(N + 1);
    expect(stepIds.every((id) => counters.get(`c:${id}`) === 3)).toBe(true);
    expect(counters.get('c:missing')).toBe(0);
  });

  it('hands a new owner the 20,000 unproduced outbox entries and counts the pending timers', async () => {
    const claimed = await store.claim(epoch);
    expect(claimed.epoch).toBeGreaterThan(epoch);
    expect(claimed.outbox).toHaveLength(N);
    expect(claimed.outbox.map((e) => e.key)).toEqual(stepIds);
    expect(claimed.pendingTimers).toBe(N);
  });
});

/** read-partition-6.lua before the fix (then read-partition-3.lua): one HMGET of every id through unpack. */
const UNCHUNKED_READ_PARTITION = `local timers = {}
if ARGV[1] ~= '' then
  timers = redis.call('ZRANGE', KEYS[3], '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[2]), 'WITHSCORES')
end
local ids = {}
local seen = {}
for i = 3, #ARGV do
  if not seen[ARGV[i]] then
    seen[ARGV[i]] = true
    ids[#ids + 1] = ARGV[i]
  end
end
for i = 1, #timers, 2 do
  local member = timers[i]
  local customerId = string.sub(member, string.find(member, '|', 1, true) + 1)
  if not seen[customerId] then
    seen[customerId] = true
    ids[#ids + 1] = customerId
  end
end
local states = {}
if #ids > 0 then
  states = redis.call('HMGET', KEYS[2], unpack(ids))
end
return { redis.call('HGETALL', KEYS[1]), timers, ids, states }`;

describe('a changed script on a Redis that holds the older library', () => {
  it('is loaded as a library of its own and answers where the older one fails', async () => {
    // Both versions marked, so that their names are this test's alone (deleted at the end).
    const marker = `\n-- ${uniqueName('library-version')}\n`;
    const lua = (file: string) =>
      readFileSync(new URL(`../../shared/redis/lua/${file}`, import.meta.url), 'utf8') + marker;
    const older = buildFunctionLibrary((file) =>
      file === 'read-partition-6.lua' ? UNCHUNKED_READ_PARTITION + marker : lua(file),
    );
    const newer = buildFunctionLibrary(lua);
    expect(newer.name).not.toBe(older.name);
    expect(newer.functionNames.readPartition).not.toBe(older.functionNames.readPartition);
    expect(newer.functionNames.applyBatch).not.toBe(older.functionNames.applyBatch);
    const keys = partitionKeys(prefix, WORKER, 0);
    try {
      await redis.call('FUNCTION', 'LOAD', 'REPLACE', older.code);
      await expect(
        redis.call(
          'FCALL',
          [
            older.functionNames.readPartition,
            '6',
            keys.meta,
            keys.customers,
            keys.timers,
            keys.recentEvents,
            keys.erased,
            keys.timerDue,
            '',
            '0',
          ].concat(stepIds),
        ),
      ).rejects.toThrow(/too many results to unpack/);

      // A worker of the newer code starting against this Redis: its functions are missing, so
      // its first call loads its library (next to the older one) and is answered.
      const reloaded: string[] = [];
      const caller = new FunctionCaller(redis, (library) => reloaded.push(library), newer);
      const newerStore = new RedisPartitionStore(redis, caller, prefix, WORKER, 0, 'none', 5_000);
      const read = await newerStore.read([...stepIds, ...timerIds], null, 0);
      expect(read.states.size).toBe(2 * N);
      expect(reloaded).toEqual([newer.name]);
      const libraries = (await redis.call('FUNCTION', 'LIST')) as unknown[][];
      const names = libraries.map((entry) => entry[entry.indexOf('library_name') + 1]);
      expect(names).toEqual(expect.arrayContaining([older.name, newer.name]));
    } finally {
      for (const library of [older.name, newer.name]) {
        await redis.call('FUNCTION', 'DELETE', library).catch(() => undefined);
      }
    }
  });
});
