import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePurchaseStream } from '../../services/pos-simulator/generate.js';
import { DAY_MS, valueSegmentationSettings } from '../../services/value-segmentation/settings.js';
import { createValueSegmentationWorker } from '../../services/value-segmentation/worker.js';
import { FunctionCaller } from '../../shared/redis/function-caller.js';
import type { StepGuard } from '../../shared/runtime/partition-processor.js';
import type { RawRecord } from '../../shared/runtime/raw-record.js';
import { testEndpoints, uniqueName } from '../support/endpoints.js';
import { valueSegmentationProcessor } from '../support/processor-harness.js';
import { rawPurchase } from '../support/raw-purchases.js';

// PITFALLS 6: kafkajs only heartbeats when the handler asks, so a long batch must be cut into
// bounded atomic steps with a heartbeat after each, and must stop between steps as soon as the
// consumer stops or the partition is revoked — leaving Redis consistent for whoever goes on.

const settings = valueSegmentationSettings({ windowsDays: [7, 30], rankingWindowDays: 30 });
let redis: Redis;
beforeAll(() => {
  redis = new Redis(testEndpoints().redisUrl);
});
afterAll(async () => {
  await redis.quit();
});

function records(count: number): RawRecord[] {
  return [
    ...generatePurchaseStream({
      seed: 3,
      customers: 200,
      events: count,
      spanMs: 20 * DAY_MS,
      malformedShare: 0,
    }),
  ].map((r, i) => rawPurchase(r, 0, i));
}

describe('liveness of long batches', () => {
  it('cuts a batch into bounded steps, heartbeats after each, and stops cleanly between steps', async () => {
    const worker = createValueSegmentationWorker(settings);
    const keyPrefix = uniqueName('liveness');
    const functions = new FunctionCaller(redis);
    await functions.load();
    const make = () =>
      valueSegmentationProcessor({
        worker,
        redis,
        functions,
        keyPrefix,
        partition: 0,
        partitionCount: 1,
        maxBatchRecords: 100,
      });
    const batch = records(1500);

    // A consumer that is told to stop after five heartbeats.
    let heartbeats = 0;
    const stopping: StepGuard = {
      check: () => {
        if (heartbeats >= 5) throw new Error('consumer stopping');
      },
      heartbeat: async () => {
        heartbeats += 1;
      },
    };
    const first = make();
    await first.claim();
    await expect(first.process(batch, stopping)).rejects.toThrow('consumer stopping');
    expect(heartbeats).toBe(5);
    const appliedAtStop = first.appliedOffset('purchases');
    expect(appliedAtStop).not.toBeNull();
    expect(appliedAtStop! < 1499n).toBe(true);

    // Whoever goes on (here a new owner) resumes after the applied offset, in bounded steps.
    let steps = 0;
    const running: StepGuard = {
      check: () => undefined,
      heartbeat: async () => {
        steps += 1;
      },
    };
    const next = make();
    await next.claim();
    expect(next.appliedOffset('purchases')).toBe(appliedAtStop);
    await next.process(batch, running);
    expect(next.appliedOffset('purchases')).toBe(1499n);
    const remaining = 1499 - Number(appliedAtStop);
    expect(steps).toBeGreaterThanOrEqual(Math.ceil(remaining / 100));

    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  });
});
