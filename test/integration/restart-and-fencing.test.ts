import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generatePurchaseStream, type SimulatedRecord } from '../../services/pos-simulator/generate.js';
import {
  createValueSegmentationWorker,
  VALUE_SEGMENTATION,
} from '../../services/value-segmentation/worker.js';
import { PartitionFencedError, PartitionStateLostError } from '../../shared/errors.js';
import { FunctionCaller } from '../../shared/redis/function-caller.js';
import { partitionKeys } from '../../shared/redis/keys.js';
import { RedisPartitionStore } from '../../shared/redis/partition-store.js';
import type { StepGuard } from '../../shared/runtime/partition-processor.js';
import type { RawRecord } from '../../shared/runtime/raw-record.js';
import type { PartitionStore } from '../../shared/runtime/state-store.js';
import { testEndpoints } from '../support/endpoints.js';
import { produceRecords, testKafka, waitFor } from '../support/kafka-test-client.js';
import { keysOfPartition } from '../support/partition-in-redis.js';
import { valueSegmentationProcessor } from '../support/processor-harness.js';
import { rawPurchase } from '../support/raw-purchases.js';
import {
  appliedOffsets,
  committedOffsets,
  compareScenarioWithOracle,
  createScenario,
  deleteKeys,
  idFreeName,
  killWorker,
  PARTITIONS,
  type Scenario,
  scenarioSettings,
  scenarioStream,
  startScenarioWorker,
  waitCommittedToEnd,
} from '../support/scenario.js';
import { metricSum, type WorkerProcess } from '../support/worker-process.js';

// Restarts, lost Redis writes and fencing (PITFALLS 1, 2, 3, 5): Redis's applied offset is the
// authority on where to resume, and an older owner's steps are rejected. The same faults on live
// processes under load (a zombie woken mid-step, Redis crashed, frozen or slowed, the function
// library flushed) are the scenarios of the fault-injection suite, test/faults/.

let redis: Redis;
const workers: WorkerProcess[] = [];
const cleanups: Array<() => Promise<void>> = [];

beforeAll(() => {
  redis = new Redis(testEndpoints().redisUrl);
});
afterEach(async () => {
  for (const w of workers.splice(0)) await killWorker(w);
  for (const cleanup of cleanups.splice(0)) await cleanup().catch(() => undefined);
});
afterAll(async () => {
  await redis.quit();
});

function streamHalves(seed: number): [SimulatedRecord[], SimulatedRecord[]] {
  const records = [...generatePurchaseStream({ ...scenarioStream, seed })];
  const half = Math.floor(records.length / 2);
  return [records.slice(0, half), records.slice(half)];
}

function produce(scenario: Scenario, records: readonly SimulatedRecord[]): Promise<void> {
  return produceRecords(
    scenario.brokers,
    scenario.purchases,
    records.map((r) => ({ key: r.key, value: r.value })),
  );
}

async function start(scenario: Scenario, name: string, extra: Record<string, string> = {}) {
  const worker = await startScenarioWorker(scenario, name, extra);
  workers.push(worker);
  return worker;
}

async function stop(worker: WorkerProcess): Promise<void> {
  worker.kill('SIGTERM');
  expect((await worker.exited).code).toBe(0);
}

async function topicEnds(scenario: Scenario): Promise<bigint[]> {
  const admin = testKafka(scenario.brokers).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(scenario.purchases);
    const ends = Array.from({ length: PARTITIONS }, () => 0n);
    for (const o of offsets) ends[o.partition] = BigInt(o.high);
    return ends;
  } finally {
    await admin.disconnect();
  }
}

/** Waits until Redis has applied every partition's last record (the end of the topic). */
async function waitAppliedToEnd(
  client: Redis,
  keyPrefix: string,
  ends: readonly bigint[],
  timeoutMs = 60_000,
) {
  await waitFor(
    "Redis's applied offsets to reach the end of the topic",
    async () => {
      const applied = await appliedOffsets(client, keyPrefix);
      return ends.every((end, p) => end === 0n || applied[p] === end - 1n);
    },
    { timeoutMs, intervalMs: 250 },
  );
}

/** DUMPs every key of a partition (null: the key does not exist). */
interface PartitionDump {
  readonly keyPrefix: string;
  readonly partition: number;
  readonly keys: ReadonlyMap<string, Buffer | null>;
}

async function dumpPartition(keyPrefix: string, partition: number): Promise<PartitionDump> {
  const keys = new Map<string, Buffer | null>();
  for (const key of await keysOfPartition(redis, keyPrefix, VALUE_SEGMENTATION, partition)) {
    keys.set(key, await redis.dumpBuffer(key));
  }
  return { keyPrefix, partition, keys };
}

/** Puts a partition back as it was at the dump: Redis lost the writes made since (PITFALLS 1). */
async function restorePartition(dump: PartitionDump): Promise<void> {
  const now = await keysOfPartition(redis, dump.keyPrefix, VALUE_SEGMENTATION, dump.partition);
  if (now.length > 0) await redis.del(...now);
  for (const [key, value] of dump.keys) {
    if (value !== null) await redis.restore(key, 0, value, 'REPLACE');
  }
}

describe('restart and fencing', () => {
  it('replays from Redis when Redis is behind Kafka: one partition rewound, then a fresh key prefix', async () => {
    const scenario = await createScenario('behind');
    cleanups.push(() => deleteKeys(redis, scenario.keyPrefix));
    const [firstHalf, secondHalf] = streamHalves(31);

    // Run 1: the first half, then stop; keep a copy of one partition's Redis state as it is now.
    await produce(scenario, firstHalf);
    const w1 = await start(scenario, 'behind-1');
    await waitCommittedToEnd(scenario);
    await stop(w1);
    const midEnds = await topicEnds(scenario);
    const rewound = midEnds.indexOf(midEnds.reduce((a, b) => (b > a ? b : a)));
    const dump = await dumpPartition(scenario.keyPrefix, rewound);

    // Run 2: the second half, to the end.
    await produce(scenario, secondHalf);
    const w2 = await start(scenario, 'behind-2');
    await waitCommittedToEnd(scenario);
    await stop(w2);
    const ends = await topicEnds(scenario);

    // Redis loses that partition's writes of run 2; Kafka's committed offset stays at the end.
    await restorePartition(dump);
    const admin = testKafka(scenario.brokers).admin();
    await admin.connect();
    const committed = await committedOffsets(admin, scenario.groupId, scenario.purchases);
    await admin.disconnect();
    const before = await appliedOffsets(redis, scenario.keyPrefix);
    expect(before[rewound]).toBe(midEnds[rewound]! - 1n);
    expect(committed[rewound]).toBe(ends[rewound]);

    // Run 3: no new record arrives, yet the worker must notice and replay from Redis's offset.
    const w3 = await start(scenario, 'behind-3');
    await waitAppliedToEnd(redis, scenario.keyPrefix, ends);
    const text = await w3.metrics();
    expect(metricSum(text, 'vs_redis_behind_kafka_total')).toBeGreaterThanOrEqual(1);
    await stop(w3);
    const warned = readFileSync(w3.logFile, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"level":"warn"') && l.includes('Redis is behind Kafka'));
    expect(warned.length).toBeGreaterThanOrEqual(1);
    expect(warned[0]).toContain(`"partition":${rewound}`);
    const afterRewind = await compareScenarioWithOracle(scenario, redis);
    expect(afterRewind.duplicates).toBeGreaterThan(0);

    // Run 4: all of Redis's state is gone (a fresh key prefix), the group's offsets are at the end.
    const freshPrefix = idFreeName('behind-fresh');
    cleanups.push(() => deleteKeys(redis, freshPrefix));
    const w4 = await start(scenario, 'behind-4', { KEY_PREFIX: freshPrefix });
    await waitAppliedToEnd(redis, freshPrefix, ends);
    const fresh = await w4.metrics();
    expect(metricSum(fresh, 'vs_redis_behind_kafka_total')).toBe(ends.filter((e) => e > 0n).length);
    await stop(w4);
    await compareScenarioWithOracle(scenario, redis, freshPrefix);
  });

  it('fences an older owner: its steps are rejected (PartitionFencedError) and write nothing', async () => {
    const worker = createValueSegmentationWorker(scenarioSettings);
    const keyPrefix = idFreeName('fence');
    cleanups.push(() => deleteKeys(redis, keyPrefix));
    const functions = new FunctionCaller(redis);
    await functions.load();
    const newStore = () => new RedisPartitionStore(redis, functions, keyPrefix, worker.name, 0, 'none', 5000);
    const processor = (store: PartitionStore) =>
      valueSegmentationProcessor({
        worker,
        redis,
        functions,
        keyPrefix,
        partition: 0,
        partitionCount: 1,
        store,
        maxBatchRecords: 50,
      });
    // Offsets with gaps (PITFALLS 2): transaction markers and compaction leave holes.
    const records: RawRecord[] = [
      ...generatePurchaseStream({ seed: 5, customers: 20, events: 60, malformedShare: 0, maxLatenessMs: 0 }),
    ].map((r, i) => rawPurchase(r, 0, i * 3 + 1));
    const guard: StepGuard = { check: () => undefined, heartbeat: async () => undefined };
    // Every key's content, canonically ordered (DUMP bytes of a hash can change with a mere read
    // that moves Redis's incremental rehashing on, while no write happened).
    const snapshot = async () =>
      Promise.all(
        (await keysOfPartition(redis, keyPrefix, worker.name, 0)).map(async (k) => {
          const type = await redis.type(k);
          if (type === 'hash') return `${k} ${JSON.stringify(Object.entries(await redis.hgetall(k)).sort())}`;
          if (type === 'zset') return `${k} ${JSON.stringify(await redis.zrange(k, 0, -1, 'WITHSCORES'))}`;
          if (type === 'list') return `${k} ${JSON.stringify(await redis.lrange(k, 0, -1))}`;
          return `${k} ${type}`;
        }),
      );

    // Owner A applies a first batch.
    const a = processor(newStore());
    await a.claim();
    await a.process(records.slice(0, 20), guard);
    expect(a.appliedOffset('purchases')).toBe(BigInt(records[19]!.offset));

    // Owner B claims (a rebalance A did not notice): A's next step is rejected before it writes.
    const b = processor(newStore());
    await b.claim();
    const afterClaim = await snapshot();
    await expect(a.process(records.slice(20, 40), guard)).rejects.toBeInstanceOf(PartitionFencedError);
    expect(await snapshot()).toEqual(afterClaim);

    // The apply script itself rejects a stale epoch: A2 reads, then C claims, then A2 applies.
    const raceStore = newStore();
    let claimBetweenReadAndApply: (() => Promise<unknown>) | null = null;
    let beforeApply: Array<string | null> = [];
    const racing: PartitionStore = {
      partition: 0,
      claim: () => raceStore.claim(),
      read: async (...args) => {
        const read = await raceStore.read(...args);
        if (claimBetweenReadAndApply) {
          await claimBetweenReadAndApply();
          claimBetweenReadAndApply = null;
          beforeApply = await snapshot();
        }
        return read;
      },
      apply: (write) => raceStore.apply(write),
      readCountersWithPrefix: (prefix) => raceStore.readCountersWithPrefix(prefix),
      ackOutbox: (...args) => raceStore.ackOutbox(...args),
      readIndexRanges: (ranges) => raceStore.readIndexRanges(ranges),
      readCounters: (fields) => raceStore.readCounters(fields),
      makeDurable: () => raceStore.makeDurable(),
    };
    const a2 = processor(racing);
    const { epoch: staleEpoch } = await raceStore.claim();
    await a2.claim();
    const c = processor(newStore());
    claimBetweenReadAndApply = () => c.claim();
    await expect(a2.process(records.slice(20, 40), guard)).rejects.toBeInstanceOf(PartitionFencedError);
    expect(beforeApply.length).toBeGreaterThan(3);
    expect(await snapshot()).toEqual(beforeApply);

    // The other steps of a stale owner are fenced too: the outbox ack (population snapshots are
    // written by the apply script, fenced above).
    const outboxKey = partitionKeys(keyPrefix, worker.name, 0).outbox;
    const outboxBefore = await redis.llen(outboxKey);
    await expect(raceStore.ackOutbox(staleEpoch, 1)).rejects.toBeInstanceOf(PartitionFencedError);
    expect(await redis.llen(outboxKey)).toBe(outboxBefore);
    expect(await snapshot()).toEqual(beforeApply);

    // The current owner goes on from Redis's applied offset and applies the rest.
    const owner = processor(newStore());
    await owner.claim();
    expect(owner.appliedOffset('purchases')).toBe(BigInt(records[19]!.offset));
    await owner.process(records.slice(0, 45), guard);
    expect(owner.appliedOffset('purchases')).toBe(BigInt(records[44]!.offset));

    // Redis loses the partition (a restart without its writes, a failover to a replica behind):
    // the stored epoch is gone, which is not a newer owner. The owner's next step says so
    // (PartitionStateLostError, retriable), and its new claim goes above its old epoch, so an
    // older owner stays fenced; it then replays from Redis's applied offset (none: the start).
    const epochBefore = Number(await redis.hget(partitionKeys(keyPrefix, worker.name, 0).meta, 'epoch'));
    await redis.del(...(await keysOfPartition(redis, keyPrefix, worker.name, 0)));
    await expect(owner.process(records.slice(45), guard)).rejects.toBeInstanceOf(PartitionStateLostError);
    owner.release();
    await owner.claim();
    expect(Number(await redis.hget(partitionKeys(keyPrefix, worker.name, 0).meta, 'epoch'))).toBeGreaterThan(
      epochBefore,
    );
    expect(owner.appliedOffset('purchases')).toBeNull();
    await owner.process(records, guard);
    expect(owner.appliedOffset('purchases')).toBe(BigInt(records[records.length - 1]!.offset));
  });
});
