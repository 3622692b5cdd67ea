import { EventEmitter } from 'node:events';
import type { Observation } from './worker-definition.js';

// The runtime emits typed instrumentation events (kafkajs's style); metrics and logs
// subscribe to them. Business logic never calls prom-client or the logger.

export interface RuntimeEventMap {
  segmentApplied: {
    partition: number;
    records: number;
    applied: number;
    deadLettered: number;
    /** Records skipped as re-sends of an event their customer had applied (idempotent intake), by logical topic. */
    duplicatesByTopic: Readonly<Record<string, number>>;
    /** Customers erased (erasure requests applied). */
    erasures: number;
    /** Records skipped because their customer is erased, by logical topic. */
    erasedSkipsByTopic: Readonly<Record<string, number>>;
    timersFired: number;
    outputs: number;
    durationMs: number;
    streamTime: number | null;
  };
  /**
   * Records Kafka handed to the runtime for a partition (every fetch, re-fetches included):
   * `vs_records_consumed_total`. Read amplification = fetched ÷ records in the topic.
   */
  recordsFetched: { topic: string; partition: number; records: number };
  /** The end of a partition's log (high watermark) as the last fetch saw it; topic is logical. */
  partitionEndOffset: { topic: string; partition: number; endOffset: string };
  /**
   * The offset through which a partition is applied (Redis's applied offset: the highest offset
   * applied or dead-lettered; or past the transaction markers and aborted records that ended the
   * last batch once all of it is applied), after a claim and every step; topic is logical.
   * Lag = end offset − this − 1.
   */
  appliedOffset: { topic: string; partition: number; offset: string };
  /** This process no longer owns the partition (rebalance, stop): drop its per-partition series. */
  partitionReleased: { partition: number };
  /** A partition waiting for a population view was woken (the view can be merged now). */
  populationWake: { partition: number; boundary: number };
  /** This process merged the view of a boundary from every partition's snapshot (once per process). */
  populationMerged: { boundary: number; durationMs: number };
  batchCompleted: {
    partition: number;
    records: number;
    /** Records at or below the applied offset (re-deliveries), in all. */
    skipped: number;
    /** The same by logical topic (a step takes records of every input topic of its partition). */
    skippedByTopic: Readonly<Record<string, number>>;
    durationMs: number;
    lag: number | null;
  };
  outputsProduced: {
    entries: ReadonlyArray<{
      topic: string;
      decisionKind: string;
      decisionLabel?: string;
      causedAtEventTime?: number;
    }>;
    durationMs: number;
  };
  deadLettered: { topic: string; reasonCode: string };
  timerFired: { partition: number; kind: string };
  /** A partition needs view(boundary) and some partitions have no snapshot of it yet. */
  populationWait: { partition: number; boundary: number; missing: readonly number[]; streamTime: number };
  /** A snapshot was seen (this process's or, by signal, another's): waiting steps look again. */
  populationSnapshotSeen: { partition: number; boundary: number };
  /** A partition wrote its snapshot of a boundary (a waiting partition may be able to go on). */
  populationSnapshot: { partition: number; boundary: number };
  populationApplied: { partition: number; boundary: number; affected: number };
  partitionClaimed: { partition: number; leftoverOutbox: number; redisBehindKafka: boolean };
  partitionFenced: { partition: number; reasonCode: string };
  /** A Redis command failed or its outcome is unknown (fencing and version conflicts are not errors). */
  redisError: { operation: string; reasonCode: string; message: string };
  /** A Redis command answered (or failed) after `seconds`; operation names the runtime's call. */
  redisLatency: { operation: string; seconds: number };
  /** A request to the schema registry answered (or failed) after `seconds` (shared/schema-registry). */
  schemaRegistryRequest: { operation: string; outcome: string; seconds: number };
  /** A writer schema id a step looked up: cached, or fetched from the registry. */
  schemaCacheLookup: { result: 'hit' | 'miss' };
  /** A batch failed with an unknown outcome and is retried after a claim. */
  batchRetried: { partition: number; reasonCode: string };
  /** Entries of the partition's Redis outbox not yet produced and acknowledged. */
  outboxBacklog: { partition: number; entries: number };
  /** Timers of the partition scheduled in Redis and not yet fired. */
  pendingTimers: { partition: number; timers: number };
  fetch: { at: number };
  groupJoined: { partitions: number[] };
  rebalancing: Record<string, never>;
  offsetsCommitted: { topic: string; partition: number; offset: string };
  /** Measurements reported by decisions of a step that Redis has applied. */
  observations: { observations: ReadonlyArray<Observation> };
}

export type RuntimeEventName = keyof RuntimeEventMap;

export class RuntimeEvents {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  emit<K extends RuntimeEventName>(name: K, payload: RuntimeEventMap[K]): void {
    this.emitter.emit(name, payload);
  }

  on<K extends RuntimeEventName>(name: K, listener: (payload: RuntimeEventMap[K]) => void): () => void {
    this.emitter.on(name, listener);
    return () => this.emitter.off(name, listener);
  }
}
