import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePurchaseStream } from '../../services/pos-simulator/generate.js';
import { DAY_MS, valueSegmentationSettings } from '../../services/value-segmentation/settings.js';
import type { TierView } from '../../services/value-segmentation/tier-view.js';
import { createValueSegmentationWorker } from '../../services/value-segmentation/worker.js';
import { FunctionCaller } from '../../shared/redis/function-caller.js';
import { partitionKeys, populationViewKey } from '../../shared/redis/keys.js';
import type { StepGuard } from '../../shared/runtime/partition-processor.js';
import type { RawRecord } from '../../shared/runtime/raw-record.js';
import { PopulationViewConflictError } from '../../shared/runtime/view-agreement.js';
import { testEndpoints, uniqueName } from '../support/endpoints.js';
import { valueSegmentationProcessor } from '../support/processor-harness.js';
import { rawPurchase } from '../support/raw-purchases.js';

// A view is used as soon as this process merged it and stored (first one wins) just before the
// step that used it is applied. A view another process stored first must win: the step that
// decided under ours is refused before any of its writes, and redone under the stored one.

const settings = valueSegmentationSettings({ windowsDays: [7, 30], rankingWindowDays: 30 });
const guard: StepGuard = { check: () => undefined, heartbeat: async () => undefined };
let redis: Redis;
let functions: FunctionCaller;
beforeAll(async () => {
  redis = new Redis(testEndpoints().redisUrl);
  functions = new FunctionCaller(redis);
  await functions.load();
});
afterAll(async () => {
  await redis.quit();
});

const batch: RawRecord[] = [
  ...generatePurchaseStream({
    seed: 11,
    customers: 150,
    events: 1500,
    spanMs: 30 * DAY_MS,
    malformedShare: 0,
  }),
].map((r, i) => rawPurchase(r, 0, i));

async function run(keyPrefix: string) {
  const worker = createValueSegmentationWorker(settings);
  const make = () =>
    valueSegmentationProcessor({ worker, redis, functions, keyPrefix, partition: 0, partitionCount: 1 });
  return { worker, make };
}

async function views(keyPrefix: string, worker: string): Promise<Map<number, string>> {
  const keys = await redis.keys(populationViewKey(keyPrefix, worker, 0).replace(/0$/, '*'));
  const found = new Map<number, string>();
  for (const key of keys) found.set(Number(key.slice(key.lastIndexOf(':') + 1)), (await redis.get(key))!);
  return found;
}

async function cleanUp(keyPrefix: string): Promise<void> {
  const keys = await redis.keys(`${keyPrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
}

describe('population views agreed before the step that used them is applied', () => {
  it('stores each view it used, and redoes a step under a view another process stored first', async () => {
    // A first run on its own: the views it stores.
    const alone = uniqueName('agree-alone');
    const first = await run(alone);
    const processor = first.make();
    await processor.claim();
    await processor.process(batch, guard);
    const stored = await views(alone, first.worker.name);
    const withThresholds = [...stored]
      .filter(([, json]) => json !== 'null' && (JSON.parse(json) as TierView).thresholds.top !== null)
      .sort((a, b) => a[0] - b[0]);
    expect(withThresholds.length).toBeGreaterThan(5);
    const [boundary, ours] = withThresholds[Math.floor(withThresholds.length / 2)]!;

    // Another process stored a different view of that boundary first.
    const contested = uniqueName('agree-contested');
    const theirs = JSON.parse(ours) as TierView;
    const foreign = JSON.stringify({
      ...theirs,
      thresholds: { ...theirs.thresholds, top: theirs.thresholds.top! * 3 },
    });
    await redis.set(populationViewKey(contested, first.worker.name, boundary), foreign);
    const second = await run(contested);
    const refused = second.make();
    await refused.claim();
    await expect(refused.process(batch, guard)).rejects.toBeInstanceOf(PopulationViewConflictError);
    // Nothing of the refused step was written: Redis is where it was before that step.
    const meta = await redis.hgetall(partitionKeys(contested, first.worker.name, 0).meta);
    expect(Number(meta.viewBoundary ?? 0)).toBeLessThan(boundary);

    // Redone as the consumer retries (the same processor claims again): the stored view stays,
    // the step applies under it.
    const redo = refused;
    redo.release();
    await redo.claim();
    await redo.process(batch.slice(Number(redo.appliedOffset('purchases') ?? -1n) + 1), guard);
    expect(redo.appliedOffset('purchases')).toBe(BigInt(batch.length - 1));
    expect(await redis.get(populationViewKey(contested, first.worker.name, boundary))).toBe(foreign);
    const after = await redis.hgetall(partitionKeys(contested, first.worker.name, 0).meta);
    expect(Number(after.viewBoundary)).toBeGreaterThan(boundary);
    // Every other view is the one the first run stored.
    const contestedViews = await views(contested, first.worker.name);
    for (const [b, json] of stored) if (b < boundary) expect(contestedViews.get(b), String(b)).toBe(json);

    await cleanUp(alone);
    await cleanUp(contested);
  });
});
