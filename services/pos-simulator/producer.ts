// The simulator's only contact with Kafka: a small idempotent producer that sends one
// sendBatch per batch (kafkajs has no linger, PITFALLS 9) with acks from all in-sync replicas.
// Keys go through kafkajs's default (Java-compatible murmur2) partitioner, the same as the
// runtime's producers, so a customer's purchases land in the partition its state lives in.

import {
  Kafka,
  type logCreator,
  logLevel,
  type Producer,
  type ProducerBatch,
  type TopicMessages,
} from 'kafkajs';
import { type KafkaSecurity, kafkaConnectionOptions } from '../../shared/config/secure-connections.js';
import { PartitionLedger, sendBatchCompletely } from '../../shared/kafka/complete-send.js';
import { producerSequenceLost } from '../../shared/kafka/output-producer.js';
import { type Logger, scrubText } from '../../shared/observability/logger.js';

export interface ProducedRecord {
  readonly key: string;
  readonly value: Buffer;
}

export interface TopicRecord extends ProducedRecord {
  readonly topic: string;
}

export interface PosProducer {
  /** Sends the records in one request batch; resolves when all in-sync replicas have them. */
  send(topic: string, records: readonly ProducedRecord[]): Promise<void>;
  /**
   * Sends records of several topics in one request batch (each topic's records in their order);
   * resolves when all in-sync replicas have them.
   */
  sendAll(records: readonly TopicRecord[]): Promise<void>;
  close(): Promise<void>;
}

/** Records grouped by topic, in order of first appearance; order within a topic kept. */
export function groupByTopic(
  records: readonly TopicRecord[],
): { topic: string; messages: { key: string; value: Buffer }[] }[] {
  const groups = new Map<string, { key: string; value: Buffer }[]>();
  for (const r of records) {
    let messages = groups.get(r.topic);
    if (!messages) {
      messages = [];
      groups.set(r.topic, messages);
    }
    messages.push({ key: r.key, value: r.value });
  }
  return [...groups].map(([topic, messages]) => ({ topic, messages }));
}

export interface PosProducerOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logger: Logger;
  /** TLS and SASL (KAFKA_SSL*, KAFKA_SASL_*, as the workers read them); none: plaintext. */
  readonly security?: KafkaSecurity;
}

export async function connectPosProducer(options: PosProducerOptions): Promise<PosProducer> {
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    logLevel: logLevel.WARN,
    logCreator: scrubbingLogCreator(options.logger.child({ component: 'kafkajs' })),
    // A point-of-sale feed waits out a broker restart or failover rather than dropping sales:
    // reconnects are retried for about five minutes.
    retry: { retries: 40, initialRetryTime: 300, maxRetryTime: 10_000 },
    ...(options.security === undefined
      ? {}
      : { connectionTimeout: 5000, ...kafkaConnectionOptions(options.security) }),
  });
  // kafkajs's default partitioner, each choice noted: sendBatch can leave the messages of a
  // partition whose leader moved unsent and still resolve (shared/kafka/complete-send.ts).
  const ledger = new PartitionLedger();
  const newProducer = (): Producer =>
    kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: ledger.createPartitioner,
      // Idempotence only holds if a send is retried until it succeeds (kafkajs warns otherwise);
      // a second Ctrl-C ends a simulator stuck on an unreachable cluster.
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 10_000 },
    });
  let producer = newProducer();
  await producer.connect();
  // After a partition leader dies with a batch in flight, the broker may refuse every retry of
  // the producer (OUT_OF_ORDER_SEQUENCE_NUMBER): a new producer (new id) sends the batch again.
  // Records it had written already are there twice, with the same bytes, as a retrying
  // point-of-sale system sends them; consumers count a purchase once by its eventId.
  const sendBatch = async (batch: ProducerBatch & { topicMessages: TopicMessages[] }): Promise<void> => {
    for (let replaced = 0; ; replaced++) {
      try {
        await sendBatchCompletely(producer, ledger, batch, {
          onResend: (messages) =>
            options.logger.warn(
              { reasonCode: 'OUTPUTS_RESENT', messages },
              'kafkajs reported records sent that no partition leader acknowledged; sending them again',
            ),
        });
        return;
      } catch (error) {
        const lost = producerSequenceLost(error);
        if (lost === null || replaced >= 5) throw error;
        options.logger.warn(
          { reasonCode: 'PRODUCER_REPLACED', err: lost },
          'sending again with a new producer',
        );
        await producer.disconnect().catch(() => undefined);
        producer = newProducer();
        await producer.connect();
      }
    }
  };
  return {
    async send(topic, records) {
      if (records.length === 0) return;
      await sendBatch({
        acks: -1,
        topicMessages: [{ topic, messages: records.map((r) => ({ key: r.key, value: r.value })) }],
      });
    },
    async sendAll(records) {
      if (records.length === 0) return;
      await sendBatch({ acks: -1, topicMessages: groupByTopic(records) });
    },
    close: () => producer.disconnect(),
  };
}

/** kafkajs log lines through our logger, with anything that looks like a customer id scrubbed. */
function scrubbingLogCreator(logger: Logger): logCreator {
  return () =>
    ({ level, log }) => {
      const error = (log as { error?: unknown }).error;
      const message = scrubText(
        error === undefined ? String(log.message) : `${log.message}: ${String(error)}`,
      );
      if (level <= logLevel.ERROR) logger.error(message);
      else if (level === logLevel.WARN) logger.warn(message);
      else logger.debug(message);
    };
}
