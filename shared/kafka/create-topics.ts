// Creates every topic of the catalogue (shared/topics.ts), idempotently. Customer-keyed topics
// must share one partition count (co-partitioning): an existing topic with another count is an
// error, because repartitioning it would move customers between partitions and their state.
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { type KafkaSecurity, kafkaConnectionOptions } from '../config/secure-connections.js';
import { allTopicNames, topicCatalogue } from '../topics.js';

export interface TopicSettings {
  readonly brokers: readonly string[];
  readonly partitions: number;
  readonly replicationFactor: number;
}

export interface CreateTopicsOptions extends TopicSettings {
  /** Topics to ensure; defaults to `allTopicNames()`. Every one is keyed by customer id. */
  readonly topics?: readonly string[];
  readonly clientId?: string;
  /** How long to wait for the created topics to have leaders everywhere (default 30 s). */
  readonly timeoutMs?: number;
  /** TLS and SASL (KAFKA_SSL*, KAFKA_SASL_*); none: plaintext. */
  readonly security?: KafkaSecurity;
}

export interface CreateTopicsResult {
  readonly created: readonly string[];
  readonly existing: readonly string[];
}

export class TopicPartitionMismatchError extends Error {
  constructor(
    readonly mismatches: readonly { topic: string; actual: number }[],
    readonly expected: number,
  ) {
    super(
      `existing topics have a partition count other than the requested ${expected}: ` +
        mismatches.map((m) => `${m.topic} has ${m.actual}`).join(', ') +
        '. Customer-keyed topics must be co-partitioned: set TOPIC_PARTITIONS to match, ' +
        'or delete and recreate the topics (this moves customers between partitions).',
    );
    this.name = 'TopicPartitionMismatchError';
  }
}

const compacted = new Set<string>(
  Object.values(topicCatalogue)
    .filter((t) => t.compacted)
    .map((t) => t.name),
);

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a positive integer, got '${raw}'`);
  return value;
}

/** Reads KAFKA_BROKERS, TOPIC_PARTITIONS (default 12) and TOPIC_REPLICATION_FACTOR (default 1). */
export function topicSettingsFromEnv(env: Readonly<Record<string, string | undefined>>): TopicSettings {
  const brokers = (env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  if (brokers.length === 0) throw new Error('KAFKA_BROKERS is not set (comma-separated host:port list)');
  const prefix = env.TOPIC_PREFIX ?? '';
  return {
    brokers,
    partitions: positiveInt('TOPIC_PARTITIONS', env.TOPIC_PARTITIONS, 12),
    replicationFactor: positiveInt('TOPIC_REPLICATION_FACTOR', env.TOPIC_REPLICATION_FACTOR, 1),
    ...(prefix === '' ? {} : { topics: allTopicNames().map((topic) => `${prefix}${topic}`) }),
  };
}

/**
 * Waits until the broker's metadata lists every topic with `partitions` partitions, each with a
 * leader, and every leader answers for its partition. Errors while the new topics propagate
 * (unknown topic, no leader, not the leader yet) are retried.
 */
export async function waitForTopicLeaders(
  admin: Admin,
  topics: readonly string[],
  partitions: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no metadata yet';
  for (;;) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [...topics] });
      const pending = metadata.topics.filter(
        (t) => t.partitions.length !== partitions || t.partitions.some((p) => p.leader < 0),
      );
      if (metadata.topics.length === topics.length && pending.length === 0) {
        // A KRaft broker lists a partition's leader before that leader takes requests: the first
        // sends got "This server is not the leader for that topic-partition" and were retried up
        // to a second later (a history's partition then came late). ListOffsets reaches the
        // leader as a produce does, and answers once it takes them.
        await Promise.all(topics.map((topic) => admin.fetchTopicOffsets(topic)));
        return;
      }
      last = `waiting for leaders of ${pending.map((t) => t.name).join(', ') || 'all topics'}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() >= deadline) {
      throw new Error(`topics ${topics.join(', ')} not ready after ${timeoutMs} ms: ${last}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export async function createTopics(options: CreateTopicsOptions): Promise<CreateTopicsResult> {
  const topics = [...(options.topics ?? allTopicNames())];
  const kafka = new Kafka({
    clientId: options.clientId ?? 'valuestream-create-topics',
    brokers: [...options.brokers],
    logLevel: logLevel.NOTHING,
    retry: { retries: 8 },
    ...(options.security === undefined
      ? {}
      : { connectionTimeout: 5000, ...kafkaConnectionOptions(options.security) }),
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const present = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !present.has(t));
    const existing = topics.filter((t) => present.has(t));

    if (existing.length > 0) {
      const metadata = await admin.fetchTopicMetadata({ topics: existing });
      const mismatches = metadata.topics
        .filter((t) => t.partitions.length !== options.partitions)
        .map((t) => ({ topic: t.name, actual: t.partitions.length }));
      if (mismatches.length > 0) throw new TopicPartitionMismatchError(mismatches, options.partitions);
    }

    if (missing.length > 0) {
      // createTopics leaves topics that appeared meanwhile (TOPIC_ALREADY_EXISTS) alone. Its own
      // waitForLeaders retries only LEADER_NOT_AVAILABLE, but a KRaft broker may answer
      // UNKNOWN_TOPIC_OR_PARTITION until the new topic reaches its metadata cache (kafkajs #1563):
      // wait with our own poll instead.
      await admin.createTopics({
        waitForLeaders: false,
        topics: missing.map((topic) => ({
          topic,
          numPartitions: options.partitions,
          replicationFactor: options.replicationFactor,
          configEntries: compacted.has(topic) ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
        })),
      });
      await waitForTopicLeaders(admin, missing, options.partitions, options.timeoutMs ?? 30_000);
    }
    return { created: missing, existing };
  } finally {
    await admin.disconnect();
  }
}
