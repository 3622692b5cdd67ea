import { describe, expect, it } from 'vitest';
import { VALUE_SEGMENTATION } from '../../services/value-segmentation/worker.js';
import { partitionKeys } from '../../shared/redis/keys.js';
import { createTestTopics, testKafka, waitFor } from '../support/kafka-test-client.js';
import {
  appliedOffsets,
  compareScenarioWithOracle,
  PARTITIONS,
  produceStream,
  scenarioStream,
  startScenarioWorker,
  useScenarioFile,
} from '../support/scenario.js';

// A partition whose last send failed, with nothing more to read, still produces its outbox: the
// outputs of an applied step wait in Redis (durable) until Kafka takes them, not until the next
// record or the next owner (it waited for one before). The sends fail for real: the output topic
// is missing while the worker applies the whole stream, and is created once every partition's
// send has failed.

const file = useScenarioFile();

describe('a quiet partition whose send failed', () => {
  it('produces its outbox once Kafka takes it, with no record left to read', async () => {
    const scenario = await file.createScenario('stuck-outbox');
    const admin = testKafka(scenario.brokers).admin();
    await admin.connect();
    try {
      await admin.deleteTopics({ topics: [scenario.segmentChanges] });
      await waitFor(
        'the output topic gone',
        async () => !(await admin.listTopics()).includes(scenario.segmentChanges),
        { timeoutMs: 30_000, intervalMs: 200 },
      );
      const { count } = await produceStream(scenario, { ...scenarioStream, events: 1500, seed: 23 });
      const worker = await startScenarioWorker(scenario, 'stuck-outbox');
      file.workers.push(worker);

      // Every record applied in Redis, the outputs held in the partitions' outboxes.
      const ends = await admin.fetchTopicOffsets(scenario.purchases);
      await waitFor(
        'every record applied',
        async () => {
          const applied = await appliedOffsets(file.redis, scenario.keyPrefix);
          return ends.every(
            (end) => BigInt(end.high) === 0n || applied[end.partition] === BigInt(end.high) - 1n,
          );
        },
        { timeoutMs: 120_000, intervalMs: 250 },
      );
      const outbox = (p: number) => partitionKeys(scenario.keyPrefix, VALUE_SEGMENTATION, p).outbox;
      const held = async () => {
        let entries = 0;
        for (let p = 0; p < PARTITIONS; p++) entries += await file.redis.llen(outbox(p));
        return entries;
      };
      expect(await held()).toBeGreaterThan(0);
      // kafkajs retries a send for a while before it fails: wait until the step of every partition
      // holding outputs has failed (each counts a retry), so that none is left mid-send.
      let holding = 0;
      for (let p = 0; p < PARTITIONS; p++) if ((await file.redis.llen(outbox(p))) > 0) holding += 1;
      const retries = async () =>
        [...(await worker.metrics()).matchAll(/^vs_batch_retries_total\{[^}]*\} (\d+)/gm)].reduce(
          (sum, m) => sum + Number(m[1]),
          0,
        );
      await waitFor(
        'a failed send in every partition holding outputs',
        async () => (await retries()) >= holding,
        {
          timeoutMs: 180_000,
          intervalMs: 1000,
        },
      );

      await createTestTopics(scenario.brokers, [scenario.segmentChanges], PARTITIONS);
      await waitFor('every outbox produced', async () => (await held()) === 0, {
        timeoutMs: 150_000,
        intervalMs: 500,
      });
      const comparison = await compareScenarioWithOracle(scenario, file.redis);
      expect(comparison.outputs).toBeGreaterThan(0);
      console.log(
        `stuck outbox: ${count} purchases; ${comparison.outputs} decisions produced after the topic came`,
      );
    } finally {
      await admin.disconnect();
    }
  }, 480_000);
});
