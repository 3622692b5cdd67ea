import fc from 'fast-check';
import kafkajs, {
  type Message,
  type PartitionerArgs,
  type ProducerBatch,
  type RecordMetadata,
} from 'kafkajs';
import { describe, expect, it } from 'vitest';
import {
  OutputsNotAcknowledgedError,
  PartitionLedger,
  sendBatchCompletely,
  unacknowledged,
} from './complete-send.js';

const { Partitioners } = kafkajs;
const PARTITIONS = 6;
const partitionMetadata = Array.from({ length: PARTITIONS }, (_, partitionId) => ({
  partitionId,
  leader: 0,
  replicas: [0],
  isr: [0],
  partitionErrorCode: 0,
})) as PartitionerArgs['partitionMetadata'];

/**
 * kafkajs's sendBatch as far as this concerns it: each message goes through the producer's
 * partitioner; the partitions listed for a call are left unsent and out of the answer, the way
 * kafkajs leaves a partition whose leader moved to a broker that had already answered.
 */
function fakeProducer(ledger: PartitionLedger, unsentPerCall: ReadonlyArray<ReadonlySet<number>>) {
  const partitioner = ledger.createPartitioner();
  const delivered = new Map<string, Message[]>();
  let calls = 0;
  const sent: ProducerBatch[] = [];
  return {
    delivered,
    sent,
    get calls() {
      return calls;
    },
    async sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
      const unsent = unsentPerCall[calls] ?? new Set<number>();
      calls += 1;
      sent.push(batch);
      const answer = new Map<string, RecordMetadata>();
      for (const { topic, messages } of batch.topicMessages ?? [])
        for (const message of messages) {
          const partition = partitioner({ topic, partitionMetadata, message });
          if (unsent.has(partition)) continue;
          const key = `${topic}/${partition}`;
          delivered.set(key, [...(delivered.get(key) ?? []), message]);
          answer.set(key, { topicName: topic, partition, errorCode: 0, baseOffset: '0' });
        }
      return [...answer.values()];
    },
  };
}

const messages = (keys: ReadonlyArray<string | null>) =>
  keys.map((key, i) => ({ key, value: Buffer.from(`m${i}`) }));

describe('sendBatchCompletely', () => {
  it('sends once when every partition is acknowledged', async () => {
    const ledger = new PartitionLedger();
    const producer = fakeProducer(ledger, []);
    await sendBatchCompletely(producer, ledger, {
      acks: -1,
      topicMessages: [{ topic: 'out', messages: messages(['a', 'b', 'c', 'd']) }],
    });
    expect(producer.calls).toBe(1);
    expect([...producer.delivered.values()].flat()).toHaveLength(4);
  });

  it('sends again exactly the messages of a partition the answer left out, pinned to it', async () => {
    const ledger = new PartitionLedger();
    const keys = Array.from({ length: 40 }, (_, i) => `c-${i}`);
    const all = messages([...keys, null]);
    const partitionOf = (m: Message) =>
      Partitioners.DefaultPartitioner()({ topic: 'out', partitionMetadata, message: m });
    const target = partitionOf(all[0]!);
    const producer = fakeProducer(ledger, [new Set([target])]);
    const resent: number[] = [];
    await sendBatchCompletely(
      producer,
      ledger,
      { acks: -1, topicMessages: [{ topic: 'out', messages: all }] },
      { onResend: (n) => resent.push(n) },
    );
    // The keyless message's partition is kafkajs's random pick: what the ledger noted for it.
    const expected = all.filter((m) => ledger.partitionOf(m) === target);
    expect(producer.calls).toBe(2);
    expect(resent).toEqual([expected.length]);
    const second = producer.sent[1]!.topicMessages![0]!.messages;
    expect(second.map((m) => m.value)).toEqual(expected.map((m) => m.value));
    expect(second.every((m) => m.partition === target)).toBe(true);
  });

  it('gives up with a retriable OUTPUTS_NOT_ACKNOWLEDGED when a partition is never acknowledged', async () => {
    const ledger = new PartitionLedger();
    const never = new Set(Array.from({ length: PARTITIONS }, (_, p) => p));
    const producer = fakeProducer(ledger, Array(10).fill(never));
    const sending = sendBatchCompletely(
      producer,
      ledger,
      { acks: -1, topicMessages: [{ topic: 'out', messages: messages(['a', 'b']) }] },
      { maxResends: 2 },
    );
    await expect(sending).rejects.toBeInstanceOf(OutputsNotAcknowledgedError);
    await expect(sending).rejects.toMatchObject({ reasonCode: 'OUTPUTS_NOT_ACKNOWLEDGED', retriable: true });
    expect(producer.calls).toBe(3);
  });

  it('every message lands exactly once, in order, in its partition, whatever the answers leave out', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('out', 'dlq'), fc.option(fc.string({ maxLength: 6 }))), {
          minLength: 1,
          maxLength: 60,
        }),
        fc.array(fc.uniqueArray(fc.nat(PARTITIONS - 1), { maxLength: PARTITIONS }), { maxLength: 5 }),
        async (records, unsent) => {
          const ledger = new PartitionLedger();
          const producer = fakeProducer(
            ledger,
            unsent.map((u) => new Set(u)),
          );
          const byTopic = new Map<string, Message[]>();
          for (const [i, [topic, key]] of records.entries())
            byTopic.set(topic, [...(byTopic.get(topic) ?? []), { key, value: Buffer.from(String(i)) }]);
          await sendBatchCompletely(
            producer,
            ledger,
            { acks: -1, topicMessages: [...byTopic].map(([topic, list]) => ({ topic, messages: list })) },
            { maxResends: 5 },
          );
          const landed = [...producer.delivered.values()].flat().map((m) => String(m.value));
          expect(landed.sort()).toEqual(records.map((_, i) => String(i)).sort());
          for (const [where, list] of producer.delivered) {
            const order = list.map((m) => Number(String(m.value)));
            expect(order, where).toEqual([...order].sort((a, b) => a - b));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('unacknowledged', () => {
  it('counts an answer entry with an error code, and a message the partitioner never saw, as not sent', () => {
    const ledger = new PartitionLedger();
    const partitioner = ledger.createPartitioner();
    const seen = { key: 'a', value: 'x' };
    partitioner({ topic: 't', partitionMetadata, message: seen });
    const unseen = { key: 'b', value: 'y' };
    const partition = ledger.partitionOf(seen)!;
    const failed = unacknowledged(
      [{ topic: 't', messages: [seen, unseen] }],
      [{ topicName: 't', partition, errorCode: 6 }],
      ledger,
    );
    expect(failed).toEqual([{ topic: 't', messages: [{ ...seen, partition }, unseen] }]);
    expect(
      unacknowledged(
        [{ topic: 't', messages: [seen] }],
        [{ topicName: 't', partition, errorCode: 0 }],
        ledger,
      ),
    ).toEqual([]);
  });
});
