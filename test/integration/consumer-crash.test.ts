import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePurchaseStream } from '../../services/pos-simulator/generate.js';
import { testEndpoints } from '../support/endpoints.js';
import { produceRecords, testKafka } from '../support/kafka-test-client.js';
import {
  appliedOffsets,
  commitsAheadOfRedis,
  committedOffsets,
  createScenario,
  deleteKeys,
  type Scenario,
  workerEnv,
} from '../support/scenario.js';
import { startWorkerProcess } from '../support/worker-process.js';

// PITFALLS 7: after a failure it cannot retry its way out of, a kafkajs consumer may restart
// forever or stop while the process looks healthy. The worker exits instead (code 1, so the
// supervisor restarts it), without committing anything Redis lacks.

let redis: Redis;
let scenario: Scenario | undefined;
beforeAll(() => {
  redis = new Redis(testEndpoints().redisUrl);
});
afterAll(async () => {
  if (scenario) await deleteKeys(redis, scenario.keyPrefix);
  await redis.quit();
});

describe('consumer crash', () => {
  it('exits the process with code 1 when a step fails for good, committing nothing Redis lacks', async () => {
    scenario = await createScenario('crash');
    const records = [...generatePurchaseStream({ seed: 9, customers: 50, events: 400, malformedShare: 0 })];
    // The first customer's age-out timer comes due while the stream goes on.
    const victim = records[0]!.key;
    await produceRecords(
      scenario.brokers,
      scenario.purchases,
      records.map((r) => ({ key: r.key, value: r.value })),
    );
    const started = Date.now();
    const worker = await startWorkerProcess(
      'test/support/crashing-worker.ts',
      workerEnv(scenario, { CRASH_ON_CUSTOMER: victim, SHUTDOWN_TIMEOUT_MS: '10000' }),
      'consumer-crash',
    );
    const exit = await worker.exited;
    expect(exit.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(readFileSync(worker.logFile, 'utf8')).toMatch(/"level":"fatal".*CONSUMER_CRASHED/);

    const admin = testKafka(scenario.brokers).admin();
    await admin.connect();
    try {
      const committed = await committedOffsets(admin, scenario.groupId, scenario.purchases);
      const applied = await appliedOffsets(redis, scenario.keyPrefix);
      expect(commitsAheadOfRedis(committed, applied)).toEqual([]);
    } finally {
      await admin.disconnect();
    }
  });
});
