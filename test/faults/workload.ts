import type { RedisClient } from '../../shared/redis/connection.js';
import { partitionKeys } from '../../shared/redis/keys.js';

// What the fault harness (fault-run.ts) needs to know about one worker to run it under faults:
// its topics, its process and environment, the table records it must hold before the load, the
// load on its stream input, and how to check the finished run against its oracle. The harness
// itself knows nothing of any worker's events.

/** The names of one run: its own topics (by prefix), consumer group and Redis key prefix. */
export interface RunContext {
  readonly name: string;
  readonly brokers: string;
  readonly redisUrl: string;
  readonly topicPrefix: string;
  readonly keyPrefix: string;
  /** CONSUMER_GROUP_PREFIX of the workers. */
  readonly groupPrefix: string;
  /** The workers' consumer group. */
  readonly groupId: string;
  readonly partitions: number;
  /** The run's cluster name of a catalogue topic. */
  topic(logical: string): string;
}

export interface ProducedRecord {
  readonly key: string | Buffer | null;
  readonly value: Buffer | null;
  /** An explicit partition; Kafka's partitioner by key when absent. */
  readonly partition?: number;
}

/** Records of a table input, produced and applied (committed to the end) as one phase. */
export interface TablePhase {
  readonly name: string;
  /** Logical (catalogue) topic. */
  readonly topic: string;
  readonly records: readonly ProducedRecord[];
}

/** A running load on the stream input. */
export interface RunningLoad {
  /** Resolves when everything was sent; rejects if the load failed. */
  readonly finished: Promise<void>;
  /** Stops it at once (end of a failed run). */
  stop(): void;
}

/** What a finished run produced, as counted while comparing it with the oracle. */
export interface WorkloadComparison {
  /** Distinct outputs (by eventId) over every output topic. */
  readonly outputs: number;
  /** Output records repeating an eventId already produced. */
  readonly duplicates: number;
  /** Dead-letter records, repeats included. */
  readonly deadLetters: number;
  /** Input records dead-lettered (distinct original topic, partition and offset). */
  readonly uniqueDeadLetters: number;
}

export interface Workload {
  /** The worker's name: its consumer group suffix and the tag of its Redis keys. */
  readonly worker: string;
  /** The worker's main module, relative to the repository root. */
  readonly entry: string;
  /** Logical input topics (each with a dead-letter topic). */
  readonly inputs: readonly string[];
  /** The logical input the load feeds and faults hit: the stream that moves time. */
  readonly stream: string;
  /** Logical topics to create besides the inputs and their dead letters. */
  readonly outputs: readonly string[];
  /** The worker's environment besides the run's endpoints and names. */
  env(run: RunContext): Record<string, string>;
  /** Table phases produced and applied before the load (applied on arrival, so not under faults). */
  readonly before: readonly TablePhase[];
  /** Table phases produced and applied after the load has been committed. */
  readonly after: readonly TablePhase[];
  startLoad(run: RunContext): RunningLoad;
  /**
   * Reads the run's topics and Redis once every input is committed to its end and the workers
   * have stopped, and checks (with vitest's expect) final state, outputs by eventId and content,
   * and dead letters against the oracle.
   */
  compare(run: RunContext, redis: RedisClient): Promise<WorkloadComparison>;
}

/** Redis's applied offset of a logical input per partition (meta hash field `offset:<topic>`). */
export async function appliedOffsetsOf(
  redis: RedisClient,
  run: RunContext,
  worker: string,
  logicalTopic: string,
): Promise<Array<bigint | null>> {
  return Promise.all(
    Array.from({ length: run.partitions }, async (_, p) => {
      const value = await redis.hget(partitionKeys(run.keyPrefix, worker, p).meta, `offset:${logicalTopic}`);
      return value === null ? null : BigInt(value);
    }),
  );
}
