import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePurchaseStream } from '../../services/pos-simulator/generate.js';
import { codecFor } from '../../shared/avro/index.js';
import type { Purchase } from '../../shared/contracts/generated.js';
import { testEndpoints } from '../support/endpoints.js';
import { produceRecords, testKafka } from '../support/kafka-test-client.js';
import {
  appliedOffsets,
  compareScenarioWithOracle,
  createScenario,
  deleteKeys,
  killWorker,
  PARTITIONS,
  type Scenario,
  scenarioStream,
  startScenarioWorker,
  waitCommittedToEnd,
} from '../support/scenario.js';
import { metricSum, type WorkerProcess } from '../support/worker-process.js';

// Offsets are not contiguous (PITFALLS 2): a transactional producer leaves commit and abort
// markers in the log, and aborted records that a read-committed consumer never sees. The worker
// must apply exactly the committed records, never the aborted ones, and still commit its group's
// offsets up to the end of every partition (a marker at the tail included), with no lag left.

let redis: Redis;
let scenario: Scenario | undefined;
let worker: WorkerProcess | undefined;

beforeAll(() => {
  redis = new Redis(testEndpoints().redisUrl);
});
afterAll(async () => {
  await killWorker(worker);
  if (scenario) await deleteKeys(redis, scenario.keyPrefix);
  await redis.quit();
});

describe('offset gaps from transactions', () => {
  it('applies committed records only and commits past markers up to the end of every partition', async () => {
    scenario = await createScenario('gaps');
    const records = [...generatePurchaseStream({ ...scenarioStream, seed: 53, events: 3000 })];
    const plain = Math.floor((records.length * 2) / 3);
    await produceRecords(
      scenario.brokers,
      scenario.purchases,
      records.slice(0, plain).map((r) => ({ key: r.key, value: r.value })),
    );

    // The rest in transactions, each followed by an aborted one that would change a customer's
    // value a lot if it were applied; the last operation on every partition is an abort.
    const codec = codecFor('Purchase');
    const template = records[plain]!.event!;
    const poison = (partition: number, n: number) => {
      const purchase: Purchase = {
        ...template,
        eventId: `aborted-${partition}-${n}`,
        lines: [{ ...template.lines[0]!, quantity: 50, unitPriceMinor: 99_999 }],
      };
      return { key: template.customerId, value: codec.encode(purchase), partition };
    };
    const producer = testKafka(scenario.brokers).producer({
      transactionalId: `${scenario.topicPrefix}tx`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const chunk = 250;
    let aborted = 0;
    for (let i = plain, n = 0; i < records.length; i += chunk, n++) {
      const committed = await producer.transaction();
      await committed.send({
        topic: scenario.purchases,
        messages: records.slice(i, i + chunk).map((r) => ({ key: r.key, value: r.value })),
      });
      await committed.commit();
      const abort = await producer.transaction();
      const last = i + chunk >= records.length;
      const partitions = last ? Array.from({ length: PARTITIONS }, (_, p) => p) : [n % PARTITIONS];
      await abort.send({ topic: scenario.purchases, messages: partitions.map((p) => poison(p, n)) });
      await abort.abort();
      aborted += partitions.length;
    }

    worker = await startScenarioWorker(scenario, 'offset-gaps');
    await waitCommittedToEnd(scenario, 60_000);
    // Live: the worker has caught up, then a producer aborts a transaction. The next fetch brings
    // only an aborted record and a marker per partition (kafkajs never hands such a batch to
    // eachBatch): the group's offsets must still move past them.
    const tail = await producer.transaction();
    await tail.send({
      topic: scenario.purchases,
      messages: Array.from({ length: PARTITIONS }, (_, p) => poison(p, 999)),
    });
    await tail.abort();
    aborted += PARTITIONS;
    await producer.disconnect();
    await waitCommittedToEnd(scenario, 30_000);

    // Nothing aborted was applied or dead-lettered; every committed record was.
    const text = await worker.metrics();
    expect(metricSum(text, 'vs_records_applied_total') + metricSum(text, 'vs_dead_letters_total')).toBe(
      records.length,
    );
    expect(metricSum(text, 'vs_consumer_lag')).toBe(0);
    // Redis's applied offset is the last committed record, below the markers at the tail.
    const admin = testKafka(scenario.brokers).admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(scenario.purchases);
    await admin.disconnect();
    const applied = await appliedOffsets(redis, scenario.keyPrefix);
    for (const end of ends) {
      const a = applied[end.partition];
      expect(a).not.toBeNull();
      expect(a! < BigInt(end.high) - 1n, `partition ${end.partition} ends with a marker`).toBe(true);
    }
    expect(aborted).toBeGreaterThan(PARTITIONS);

    worker.kill('SIGTERM');
    expect((await worker.exited).code).toBe(0);
    const comparison = await compareScenarioWithOracle(scenario, redis);
    expect(comparison.outputs).toBeGreaterThan(100);
  });
});
