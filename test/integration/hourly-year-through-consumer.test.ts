import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { valueSegmentationSettings } from '../../services/value-segmentation/settings.js';
import { createValueSegmentationWorker } from '../../services/value-segmentation/worker.js';
import { createLogger } from '../../shared/observability/logger.js';
import { runWorker } from '../../shared/runtime/run-worker.js';
import { testEndpoints } from '../support/endpoints.js';
import { producePurchaseYear } from '../support/purchase-year.js';

// A year of purchases with a population refresh every hour of stream time (8,760 boundaries,
// the demo's setting) over 12 partitions, through the real consumer: the partitions advance in
// lock-step at every boundary, and a partition that waits for a view must keep what it fetched.
// Each record is fetched about once (read amplification ≤ 1.1, counted from the runtime's own
// recordsFetched events), and the result equals the independent oracle. Counts, not timings.

const HOUR_MS = 3_600_000;
const PARTITIONS = 12;
const EVENTS = 12_000;
const settings = valueSegmentationSettings({
  windowsDays: [30, 90],
  rankingWindowDays: 90,
  refreshPeriodMs: HOUR_MS,
  publishDelayMs: HOUR_MS,
  top2Share: 0.02,
});

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testEndpoints().redisUrl);
});
afterAll(async () => {
  await redis.quit();
});

describe('a year with hourly refresh through the real consumer', () => {
  it('reads each record about once and equals the oracle', async () => {
    const year = await producePurchaseYear('hourly', {
      seed: 7,
      customers: 1_500,
      events: EVENTS,
      partitions: PARTITIONS,
    });
    const config = year.config();
    const worker = await runWorker({
      definition: createValueSegmentationWorker(settings),
      config,
      logger: createLogger({ level: 'warn', name: 'hourly' }),
      handleSignals: false,
    });
    let fetched = 0;
    let waits = 0;
    worker.events.on('recordsFetched', (e) => {
      fetched += e.records;
    });
    worker.events.on('populationWait', () => {
      waits += 1;
    });
    try {
      await year.waitAppliedToEnd(redis, 400_000);
    } finally {
      await worker.stop();
    }
    const amplification = fetched / year.records;
    process.stdout.write(
      `hourly year: ${year.records} records, fetched ${fetched} (read amplification ${amplification.toFixed(3)}), ${waits} population waits\n`,
    );
    expect(amplification).toBeLessThanOrEqual(1.1);
    const comparison = await year.compareWithOracle(settings, redis);
    expect(comparison.outputs).toBeGreaterThan(1000);
    expect(comparison.oracle.views.length).toBeGreaterThan(5000);
  });
});
