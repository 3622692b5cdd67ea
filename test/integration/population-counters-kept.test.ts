import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePurchaseStream } from '../../services/pos-simulator/generate.js';
import { DAY_MS, valueSegmentationSettings } from '../../services/value-segmentation/settings.js';
import { createValueSegmentationWorker } from '../../services/value-segmentation/worker.js';
import { FunctionCaller } from '../../shared/redis/function-caller.js';
import { partitionKeys } from '../../shared/redis/keys.js';
import { RedisPartitionStore } from '../../shared/redis/partition-store.js';
import type { StepGuard } from '../../shared/runtime/partition-processor.js';
import type { PartitionStore } from '../../shared/runtime/state-store.js';
import { testEndpoints, uniqueName } from '../support/endpoints.js';
import { valueSegmentationProcessor } from '../support/processor-harness.js';
import { rawPurchase } from '../support/raw-purchases.js';

// A step that passes a population instant needs the partition's population counters as Redis
// holds them at its start. The owner keeps them from its last apply (the counters it read or
// kept, plus the step's deltas) instead of reading the whole histogram back at every step; it
// reads them again after a claim or a failed apply. After every apply, what it keeps must be
// exactly what Redis holds, and its snapshots equal a read-back's.

const settings = valueSegmentationSettings({ windowsDays: [7, 30], rankingWindowDays: 30, top2Share: 0.05 });
const worker = createValueSegmentationWorker(settings);
const guard: StepGuard = { check: () => undefined, heartbeat: async () => undefined };

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testEndpoints().redisUrl);
});
afterAll(async () => {
  await redis.quit();
});

describe('population counters kept across steps', () => {
  it('are what Redis holds after every apply, read back only after a claim or a failed apply', async () => {
    const keyPrefix = uniqueName('kept-counters');
    const functions = new FunctionCaller(redis);
    await functions.load();
    const inner = new RedisPartitionStore(redis, functions, keyPrefix, worker.name, 0, 'none', 5000);
    const prefix = worker.population!.snapshotCounterPrefix;
    let reads = 0;
    let failNextApply = false;
    const applied: Array<{ version: number }> = [];
    const store: PartitionStore = {
      partition: 0,
      claim: (epoch) => inner.claim(epoch),
      read: (...args) => inner.read(...args),
      apply: async (write) => {
        const result = await inner.apply(write);
        // An unknown outcome: applied in Redis, but the owner never hears it.
        if (failNextApply) {
          failNextApply = false;
          throw new Error('connection lost after the apply');
        }
        applied.push(result);
        return result;
      },
      readCountersWithPrefix: (p) => {
        reads += 1;
        return inner.readCountersWithPrefix(p);
      },
      ackOutbox: (...args) => inner.ackOutbox(...args),
      readIndexRanges: (ranges) => inner.readIndexRanges(ranges),
      readCounters: (fields) => inner.readCounters(fields),
      makeDurable: () => inner.makeDurable(),
    };
    const processor = valueSegmentationProcessor({
      worker,
      redis,
      functions,
      keyPrefix,
      partition: 0,
      partitionCount: 1,
      store,
      maxBatchRecords: 40,
    });
    const records = [
      ...generatePurchaseStream({
        seed: 9,
        customers: 150,
        events: 1200,
        spanMs: 120 * DAY_MS,
        malformedShare: 0,
        maxLatenessMs: 0,
      }),
    ].map((r, i) => rawPurchase(r, 0, i));
    const inRedis = async () =>
      new Map(
        Object.entries(await redis.hgetall(partitionKeys(keyPrefix, worker.name, 0).counters))
          .filter(([field]) => field.startsWith(prefix))
          .map(([field, value]) => [field, Number(value)]),
      );
    const kept = () =>
      (
        processor as unknown as {
          appliedPopulationCounters: { counters: ReadonlyMap<string, number> } | null;
        }
      ).appliedPopulationCounters;

    await processor.claim();
    let checked = 0;
    for (let at = 0; at < 600; at += 40) {
      await processor.process(records.slice(at, at + 40), guard);
      expect(kept(), `kept after the step at ${at}`).not.toBeNull();
      expect(new Map(kept()!.counters)).toEqual(await inRedis());
      checked += 1;
    }
    // Read once at the first instant, never again while this owner applied every step.
    expect(reads).toBe(1);
    expect((await inRedis()).size).toBeGreaterThan(10);

    // An apply whose outcome is unknown drops them; the owner claims again and reads them back.
    failNextApply = true;
    await expect(processor.process(records.slice(600, 640), guard)).rejects.toThrow(/connection lost/);
    expect(kept()).toBeNull();
    processor.release();
    await processor.claim();
    // Kafka re-delivers the step Redis applied: nothing to apply, so nothing kept yet.
    await processor.process(records.slice(600, 640), guard);
    for (let at = 640; at < records.length; at += 40) {
      await processor.process(records.slice(at, at + 40), guard);
      expect(new Map(kept()!.counters)).toEqual(await inRedis());
      checked += 1;
    }
    expect(reads).toBe(2);
    expect(checked).toBeGreaterThan(20);
    expect(processor.appliedOffset('purchases')).toBe(BigInt(records.length - 1));
  });
});
