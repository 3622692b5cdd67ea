import { createRequire } from 'node:module';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { generatePurchaseStream } from '../../services/pos-simulator/generate.js';
import { ReasonCode } from '../../shared/contracts/reason-codes.js';
import { readWholeTopic, type TopicRecord, testKafka } from '../support/kafka-test-client.js';
import {
  scenarioStream,
  useScenarioFile,
  WORKER_ENTRY,
  waitCommittedToEnd,
  workerEnv,
} from '../support/scenario.js';
import { UNREADABLE_MARKER } from '../support/unreadable-marker.js';
import { compareWithOracle } from '../support/value-segmentation-check.js';
import { metricSum, startWorkerProcess } from '../support/worker-process.js';

// A compressed batch the consumer cannot read (corrupt, or a frame its decompressor lacks) made
// kafkajs throw while decoding the fetch: the worker crashed, again after every restart, and the
// whole group stalled. The worker here cannot read the snappy batches that hold a marker record;
// each of their records must be dead-lettered as UNDECODABLE_BATCH at its offset, the first with the
// batch's bytes as Kafka stored them, while everything else — the other partitions and the same
// partition after the batch — is applied exactly as the oracle does, without a restart.

const file = useScenarioFile();
const require = createRequire(import.meta.url);
const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (
  decoder: unknown,
) => Promise<{ records: Array<{ offset: string; key: Buffer | null; value: Buffer | null }> }>;
const Decoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => unknown;

describe('a batch the consumer cannot decompress', () => {
  it('dead-letters its records with the batch bytes and applies the rest equal to the oracle, without a restart', async () => {
    const scenario = await file.createScenario('unreadable');
    const records = [...generatePurchaseStream({ ...scenarioStream, events: 3000, seed: 41 })];
    const producer = testKafka(scenario.brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    // One send makes one batch per partition: the marker poisons partition 3's batch of sends 2 and
    // 5 and partition 8's of send 5.
    const poisoned = new Map([
      [2, [3]],
      [5, [3, 8]],
    ]);
    const sends = 8;
    const size = Math.ceil(records.length / sends);
    for (let s = 0; s < sends; s++) {
      const messages: kafkajs.Message[] = records
        .slice(s * size, (s + 1) * size)
        .map((r) => ({ key: r.key, value: r.value }));
      for (const partition of poisoned.get(s) ?? [])
        messages.push({ key: 'marker', value: Buffer.from(UNREADABLE_MARKER), partition });
      await producer.send({
        topic: scenario.purchases,
        acks: -1,
        compression: kafkajs.CompressionTypes.Snappy,
        messages,
      });
    }
    await producer.disconnect();

    const worker = await startWorkerProcess(WORKER_ENTRY, workerEnv(scenario), 'unreadable', {
      preload: ['test/support/unreadable-snappy-batches.ts'],
    });
    file.workers.push(worker);
    await waitCommittedToEnd(scenario);
    const metrics = await worker.metrics();

    const [purchases, segmentChanges, deadLetters] = await Promise.all([
      readWholeTopic(scenario.brokers, scenario.purchases),
      readWholeTopic(scenario.brokers, scenario.segmentChanges),
      readWholeTopic(scenario.brokers, scenario.deadLetters),
    ]);
    const header = (r: TopicRecord, name: string) => r.headers[name]?.toString();
    const standIns = deadLetters
      .flat()
      .filter((r) => header(r, 'vs.dlt.reason') === ReasonCode.UNDECODABLE_BATCH);
    // Each unreadable batch: the dead letter of its first offset holds it whole, and it holds
    // exactly the records Kafka has at the offsets dead-lettered for it.
    const unreadable = new Set<string>();
    const batches = standIns.filter((r) => r.value !== null && r.value.length > 0);
    expect(batches.length).toBe(3);
    for (const dead of batches) {
      const partition = Number(header(dead, 'vs.dlt.original.partition'));
      const batch = await decodeBatch(new Decoder(dead.value!));
      expect(batch.records[0]!.offset).toBe(header(dead, 'vs.dlt.original.offset'));
      expect(batch.records.some((r) => r.value?.toString() === UNREADABLE_MARKER)).toBe(true);
      const held = new Map(purchases[partition]!.map((r) => [r.offset, r.value]));
      for (const record of batch.records) {
        expect(held.get(record.offset)).toEqual(record.value);
        unreadable.add(`${partition}/${record.offset}`);
      }
      expect(header(dead, 'vs.dlt.message')).toMatch(
        /^snappy batch does not decompress \(injected: snappy stream unreadable\); batch of \d+ records/,
      );
    }
    expect(
      new Set(
        standIns.map(
          (r) => `${header(r, 'vs.dlt.original.partition')}/${header(r, 'vs.dlt.original.offset')}`,
        ),
      ),
    ).toEqual(unreadable);
    expect(new Set([...unreadable].map((at) => at.split('/')[0]))).toEqual(new Set(['3', '8']));

    // The oracle over the topic as Kafka holds it, without the records of the unreadable batches.
    const comparison = await compareWithOracle({
      settings: scenario.settings,
      purchases: purchases.map((partition, p) =>
        partition.map((r) => (unreadable.has(`${p}/${r.offset}`) ? { ...r, value: null } : r)),
      ),
      segmentChanges,
      deadLetters,
      redis: file.redis,
      keyPrefix: scenario.keyPrefix,
      topicPrefix: scenario.topicPrefix,
    });
    expect(comparison.outputs).toBeGreaterThan(50);
    expect(
      metricSum(metrics, 'vs_dead_letters_total', (l) =>
        l.includes(`reason="${ReasonCode.UNDECODABLE_BATCH}"`),
      ),
    ).toBe(unreadable.size);
    expect(worker.child.exitCode).toBeNull();
    console.log(
      `undecodable batches: ${batches.length} batches, ${unreadable.size} records dead-lettered, ${comparison.outputs} segment changes equal to the oracle`,
    );
  }, 180_000);
});
