import { describe, expect, it } from 'vitest';
import { createKafka } from '../../shared/kafka/client.js';
import { type OutputCompression, OutputProducer } from '../../shared/kafka/output-producer.js';
import { createLogger } from '../../shared/observability/logger.js';
import { RuntimeEvents } from '../../shared/runtime/runtime-events.js';
import type { OutboxEntry } from '../../shared/runtime/state-store.js';
import { testEndpoints, uniqueName } from '../support/endpoints.js';
import { consumeWithJavaClient } from '../support/java-producer.js';
import { createTestTopics, readWholeTopic } from '../support/kafka-test-client.js';

// PITFALLS 9: the kafkajs producer has no linger, so every send is a request. The runtime
// produces a whole batch's outputs and dead letters, across topics and partitions, with one
// sendBatch: one produce request per broker, whatever the number of records.

function testProducer(brokers: string, compression?: OutputCompression): OutputProducer {
  return new OutputProducer(
    createKafka({
      brokers: brokers.split(','),
      clientId: 'producer-test',
      logger: createLogger({ level: 'silent', name: 'test' }),
    }),
    new RuntimeEvents(),
    compression === undefined ? {} : { compression },
  );
}

describe('output producer', () => {
  it('sends a batch of outputs over two topics and twelve partitions in one produce request', async () => {
    const { kafkaBrokers } = testEndpoints();
    const decisions = uniqueName('decisions');
    const deadLetters = uniqueName('dead-letters');
    await createTestTopics(kafkaBrokers, [decisions, deadLetters], 12);
    const producer = testProducer(kafkaBrokers);
    await producer.connect();
    try {
      const entry = (topic: string, i: number): OutboxEntry => ({
        topic,
        key: Buffer.from(`c-${i}`).toString('base64'),
        value: Buffer.from(`value-${i}`).toString('base64'),
        headers: { 'vs.event.id': Buffer.from(`id-${i}`).toString('base64') },
        decisionKind: topic === decisions ? 'segment-changed' : 'dead-letter',
      });
      const batch = [
        ...Array.from({ length: 450 }, (_, i) => entry(decisions, i)),
        ...Array.from({ length: 50 }, (_, i) => entry(deadLetters, i)),
      ];
      // Warm up: right after topic creation a send can be retried while partition leaders
      // settle, and a retry is a second request. Send the same shape (all 24 partitions) until
      // the cluster is settled, then count one send on the settled cluster.
      for (let attempt = 0; attempt < 10; attempt += 1) {
        const warmUpStart = producer.produceRequests;
        await producer.produce(batch);
        if (producer.produceRequests - warmUpStart === 1) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const before = producer.produceRequests;
      await producer.produce(batch);
      expect(producer.produceRequests - before).toBe(1);
    } finally {
      await producer.disconnect();
    }
    const written = await readWholeTopic(kafkaBrokers, decisions);
    // Idempotent producer, distinct sends: every send's records are there (warm-ups included).
    expect(written.flat().length % 450).toBe(0);
    expect(written.flat().length).toBeGreaterThanOrEqual(900);
    expect(written.filter((partition) => partition.length > 0).length).toBeGreaterThan(6);
    expect(written.flat()[0]!.headers['vs.event.id']?.toString()).toMatch(/^id-\d+$/);
  });
});

describe('output producer, large steps', () => {
  it('cuts an outbox larger than the broker’s message.max.bytes into requests it accepts', async () => {
    const { kafkaBrokers } = testEndpoints();
    const decisions = uniqueName('big-decisions');
    await createTestTopics(kafkaBrokers, [decisions], 12);
    const producer = testProducer(kafkaBrokers);
    await producer.connect();
    // 3,000 events of ~1.5 KB, all for one customer (one partition): ~4.5 MB in one step.
    const payload = Buffer.alloc(1500, 7).toString('base64');
    const entries: OutboxEntry[] = Array.from({ length: 3000 }, (_, i) => ({
      topic: decisions,
      key: Buffer.from('one-customer').toString('base64'),
      value: payload,
      headers: { 'vs.event.id': Buffer.from(`id-${i}`).toString('base64') },
      decisionKind: 'ladder-move',
    }));
    const before = producer.produceRequests;
    try {
      await producer.produce(entries);
    } finally {
      await producer.disconnect();
    }
    expect(producer.produceRequests - before).toBeGreaterThanOrEqual(5);
    const written = (await readWholeTopic(kafkaBrokers, decisions)).flat();
    expect(written.length).toBe(3000);
    // In order: the partition holds the events as decided.
    expect(written.map((r) => r.headers['vs.event.id']?.toString())).toEqual(
      entries.map((_, i) => `id-${i}`),
    );
  });
});

describe('output producer, compressed (OUTPUT_COMPRESSION)', () => {
  it('writes gzip and snappy batches that the Java client reads', async () => {
    const { kafkaBrokers } = testEndpoints();
    for (const compression of ['gzip', 'snappy'] as const) {
      const decisions = uniqueName(`compressed-${compression}`);
      await createTestTopics(kafkaBrokers, [decisions], 3);
      const producer = testProducer(kafkaBrokers, compression);
      await producer.connect();
      const entries: OutboxEntry[] = Array.from({ length: 200 }, (_, i) => ({
        topic: decisions,
        key: Buffer.from(`c-${i % 17}`).toString('base64'),
        value: Buffer.from(`decision ${i} ${'x'.repeat(i % 50)}`).toString('base64'),
        headers: {},
        decisionKind: 'segment-changed',
      }));
      try {
        await producer.produce(entries);
      } finally {
        await producer.disconnect();
      }
      const read = await consumeWithJavaClient(kafkaBrokers, decisions, entries.length);
      expect(read.map((v) => v.toString()).sort(), compression).toEqual(
        entries.map((e) => Buffer.from(e.value!, 'base64').toString()).sort(),
      );
    }
  }, 120_000);
});
