import type { Admin, Batch, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { PartitionFencedError, StateVersionConflictError, ValuestreamError } from '../errors.js';
import { type Logger, scrubText } from '../observability/logger.js';
import { isRedisConnectionError } from '../redis/connection-errors.js';
import type { PartitionProcessor, ProcessOutcome, StepGuard } from '../runtime/partition-processor.js';
import type { RawRecord } from '../runtime/raw-record.js';
import type { RuntimeEvents } from '../runtime/runtime-events.js';
import { publishStep } from '../runtime/step-channel.js';
import { timeRedis } from '../runtime/timed-store.js';
import { coPartitionedAssigner } from './co-partitioned-assigner.js';
import type { OutputProducer } from './output-producer.js';

export interface WorkerConsumerOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  /** Cluster topic name -> logical (catalogue) name. */
  readonly topics: ReadonlyMap<string, string>;
  readonly fromBeginning: boolean;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly maxBytesPerPartition: number;
  readonly barrierRetryMs: number;
  readonly idleAdvanceMs: number;
  readonly processorFor: (partition: number) => PartitionProcessor<unknown, unknown, unknown>;
  readonly makeDurable: () => Promise<void>;
  readonly producer: OutputProducer;
  readonly events: RuntimeEvents;
  readonly logger: Logger;
  readonly wallClock: () => number;
  /** Called when the consumer crashed for good: the process must exit (PITFALLS 7). */
  readonly onFatal: (error: Error) => void;
}

class StopProcessing extends Error {}

/** More crashes than this within the window end the process (kafkajs restarting forever). */
const MAX_CRASHES_IN_WINDOW = 5;
const CRASH_WINDOW_MS = 5 * 60_000;

/**
 * Runs the worker's consumer group with kafkajs eachBatch: no auto-resolve, no auto-commit
 * (PITFALLS 4); per batch: claim if newly assigned, apply, make durable, produce, commit.
 * Redis's applied offset is the authority on where to resume (PITFALLS 1).
 */
export class WorkerConsumer {
  private readonly consumer: Consumer;
  private readonly admin: Admin;
  private generation = 0;
  private readonly claimedInGeneration = new Map<number, number>();
  private readonly locks = new Map<number, Promise<void>>();
  private readonly lastActivity = new Map<number, number>();
  /** Per topic/partition, an offset below which every record is applied in Redis (this generation). */
  private readonly safePositions = new Map<string, { generation: number; offset: bigint }>();
  private readonly seekedBack = new Map<string, { generation: number; offset: bigint }>();
  private readonly fencedInGeneration = new Map<number, number>();
  private crashes: number[] = [];
  private assigned: number[] = [];
  private idleTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  joined = false;
  lastFetchAt = 0;

  constructor(private readonly options: WorkerConsumerOptions) {
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      // Co-partitioning: partition p of every input goes to one member (the state of p is one).
      partitionAssigners: [coPartitionedAssigner],
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: options.heartbeatIntervalMs,
      maxBytesPerPartition: options.maxBytesPerPartition,
      // kafkajs waits for the fetch in flight before it stops or fetches a resumed partition: a
      // long poll of 5 s (its default) delays a graceful stop and the retry of a partition paused
      // at the population barrier by that much when the other partitions are idle.
      maxWaitTimeInMs: 1000,
      allowAutoTopicCreation: false,
      retry: { retries: 10 },
    });
    this.admin = options.kafka.admin();
    const { events } = this.consumer;
    this.consumer.on(events.GROUP_JOIN, (e) => {
      this.generation += 1;
      this.joined = true;
      const partitions = Object.values(e.payload.memberAssignment).flat() as number[];
      this.assigned = [...new Set(partitions)].sort((a, b) => a - b);
      for (const p of this.assigned) this.lastActivity.set(p, options.wallClock());
      options.events.emit('groupJoined', { partitions: this.assigned });
      void this.claimAssignment(this.generation, e.payload.memberAssignment as Record<string, number[]>);
    });
    this.consumer.on(events.REBALANCING, () => {
      this.joined = false;
      options.events.emit('rebalancing', {});
    });
    this.consumer.on(events.FETCH, () => {
      this.lastFetchAt = options.wallClock();
      options.events.emit('fetch', { at: this.lastFetchAt });
    });
    // A fetch that brings only aborted records and transaction markers (PITFALLS 2) is never
    // handed to eachBatch: kafkajs moves its position past them but, without auto-commit, nothing
    // commits it, and the group's offset stays behind a marker at the tail for good.
    this.consumer.on(events.END_BATCH_PROCESS, (e) => {
      const { topic, partition, batchSize, firstOffset, lastOffset } = e.payload;
      if (batchSize !== 0 || firstOffset === null || this.stopping || !this.options.topics.has(topic)) return;
      const generation = this.generation;
      void this.withPartitionLock(partition, () =>
        this.commitPastFiltered(generation, topic, partition, BigInt(firstOffset), BigInt(lastOffset)),
      ).catch((error: unknown) =>
        options.logger.warn(
          { partition, err: scrubText(errorMessage(error)) },
          'cannot commit past aborted records and markers',
        ),
      );
    });
    this.consumer.on(events.CRASH, (e) => {
      if (this.stopping) return;
      // kafkajs crashes with restart=true on conditions that pass (a group coordinator still
      // loading on a fresh broker) and restarts itself; but it can also restart forever
      // (kafkajs #1630). Let it restart a few times; exit when it will not restart, or when it
      // keeps crashing (PITFALLS 7).
      const now = options.wallClock();
      this.crashes = this.crashes.filter((at) => now - at < CRASH_WINDOW_MS);
      this.crashes.push(now);
      const giveUp = !e.payload.restart || this.crashes.length > MAX_CRASHES_IN_WINDOW;
      // The message of an error thrown while processing could quote record content: scrub it.
      options.logger[giveUp ? 'error' : 'warn'](
        {
          err: scrubText(errorMessage(e.payload.error)),
          restart: e.payload.restart,
          crashes: this.crashes.length,
        },
        giveUp ? 'kafka consumer crashed' : 'kafka consumer crashed; kafkajs restarts it',
      );
      if (giveUp) options.onFatal(e.payload.error);
    });
  }

  async start(): Promise<void> {
    await this.admin.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: [...this.options.topics.keys()],
      fromBeginning: this.options.fromBeginning,
    });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.withPartitionLock(payload.batch.partition, () => this.onBatch(payload)),
    });
    if (this.options.idleAdvanceMs > 0) {
      const every = Math.max(250, Math.min(this.options.idleAdvanceMs / 2, 5000));
      this.idleTimer = setInterval(() => void this.advanceIdlePartitions(), every);
    }
  }

  /** Finishes the batch in flight (kafkajs waits for it), then leaves the group and disconnects. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.idleTimer) clearInterval(this.idleTimer);
    await this.consumer.disconnect();
    await Promise.allSettled([...this.locks.values()]);
    await this.admin.disconnect();
  }

  private makeDurable(): Promise<void> {
    return timeRedis(this.options.events, 'durable-wait', this.options.makeDurable);
  }

  private withPartitionLock<T>(partition: number, task: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(partition) ?? Promise.resolve();
    const next = previous.then(task, task);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.locks.set(partition, settled);
    return next;
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, isRunning, isStale, heartbeat } = payload;
    if (batch.isEmpty()) return;
    const started = performance.now();
    const logical = this.options.topics.get(batch.topic)!;
    const processor = this.options.processorFor(batch.partition);
    const guard: StepGuard = {
      check: () => {
        if (!isRunning() || isStale()) throw new StopProcessing('consumer stopping or partition revoked');
      },
      heartbeat: () => heartbeat(),
    };
    let attempt = 0;
    for (;;) {
      try {
        guard.check();
        if (this.fencedInGeneration.get(batch.partition) === this.generation) {
          // Not ours in this generation: do not fetch it in a loop; look again later.
          const resume = payload.pause();
          setTimeout(resume, this.options.sessionTimeoutMs).unref();
          return;
        }
        if (this.claimedInGeneration.get(batch.partition) !== this.generation || !processor.isClaimed) {
          const first = BigInt(batch.firstOffset() ?? '0');
          const seeks = await this.claim(processor, batch.partition, [
            { topic: batch.topic, position: first },
          ]);
          this.claimedInGeneration.set(batch.partition, this.generation);
          if (seeks.length > 0) {
            for (const seek of seeks)
              this.consumer.seek({ topic: seek.topic, partition: batch.partition, offset: seek.offset });
            return;
          }
        }
        if (this.startsAfterSafePosition(batch, processor, logical)) return;
        const records = batch.messages.map((m) => toRawRecord(batch, logical, m));
        const skipped = this.countSkipped(processor, logical, records);
        const outcome = await processor.process(records, guard);
        await this.finish(processor, batch, outcome, payload);
        this.lastActivity.set(batch.partition, this.options.wallClock());
        this.options.events.emit('batchCompleted', {
          topic: logical,
          partition: batch.partition,
          records: records.length,
          skipped,
          durationMs: performance.now() - started,
          lag: safeLag(batch),
        });
        return;
      } catch (error) {
        if (error instanceof StopProcessing) {
          // Steps applied before the stop may have left outputs in the Redis outbox that were
          // not produced; a later batch in this generation would acknowledge (trim) them as its
          // own. Claim again before the next batch: the claim produces them first.
          processor.release();
          this.claimedInGeneration.delete(batch.partition);
          return;
        }
        if (error instanceof PartitionFencedError || error instanceof StateVersionConflictError) {
          // Another owner holds the partition: never commit for it; claim again only if Kafka
          // gives it back to us in a later generation.
          this.options.events.emit('partitionFenced', {
            partition: batch.partition,
            reasonCode: error.reasonCode,
          });
          this.options.logger.warn(
            { partition: batch.partition, reasonCode: error.reasonCode },
            error.message,
          );
          processor.release();
          this.claimedInGeneration.delete(batch.partition);
          if (error instanceof StateVersionConflictError && attempt < 3) {
            attempt += 1;
            continue;
          }
          // Claiming again in this generation would fence the other owner in turn, back and
          // forth until the group rebalances; wait for the next generation instead.
          this.fencedInGeneration.set(batch.partition, this.generation);
          return;
        }
        const retriable = error instanceof ValuestreamError ? error.retriable : isTransient(error);
        if (!retriable) {
          // kafkajs's own errors (a rebalance under way, an unknown member) are kafkajs's to
          // handle: it rejoins the group. Anything else is a bug, not an outage: retrying the
          // same batch cannot help, and kafkajs would retry it for minutes before crashing.
          // Exit now; the supervisor restarts us (PITFALLS 7).
          if (!isKafkaJsError(error)) this.options.onFatal(error as Error);
          throw error;
        }
        // Outcome unknown (Redis or Kafka unreachable): do not commit; claim again (re-reads the
        // applied offset, produces any outbox left) and retry while we still own the partition.
        attempt += 1;
        const reasonCode = error instanceof ValuestreamError ? error.reasonCode : 'TRANSIENT';
        this.options.events.emit('batchRetried', { partition: batch.partition, reasonCode });
        this.options.logger.warn(
          { partition: batch.partition, attempt, reasonCode },
          'batch failed, retrying after claim',
        );
        processor.release();
        this.claimedInGeneration.delete(batch.partition);
        await sleepWithHeartbeat(Math.min(200 * 2 ** Math.min(attempt, 5), 5000), heartbeat);
      }
    }
  }

  /**
   * On every assignment, claims each assigned partition at once and compares Redis's applied
   * offset with the group's committed offset (PITFALLS 1): when Redis is behind (lost writes, lost
   * state), seeks back to Redis's offset + 1. Doing it here, not only at the first batch, matters
   * when no new record arrives: the records Redis lost would never be fetched again, and an
   * earlier owner's outbox would never be produced. A batch fetched before the seek is stale and
   * skipped (kafkajs's isStale). Partitions without a committed offset are left to the first
   * batch, as are partitions whose claim fails here (Redis unreachable) once the generation moves on.
   */
  private async claimAssignment(generation: number, assignment: Record<string, number[]>): Promise<void> {
    const topics = Object.keys(assignment).filter((t) => this.options.topics.has(t));
    const current = () => !this.stopping && generation === this.generation;
    let pending = [...new Set(topics.flatMap((t) => assignment[t] ?? []))].sort((a, b) => a - b);
    for (let attempt = 0; pending.length > 0 && current(); attempt++) {
      if (attempt > 0)
        await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** Math.min(attempt, 5), 5000)));
      if (!current()) return;
      let committed: Map<string, Map<number, bigint>>;
      try {
        committed = new Map();
        const fetched = await this.admin.fetchOffsets({ groupId: this.options.groupId, topics });
        for (const { topic, partitions } of fetched) {
          const byPartition = new Map<number, bigint>();
          for (const p of partitions)
            if (BigInt(p.offset) >= 0n) byPartition.set(p.partition, BigInt(p.offset));
          committed.set(topic, byPartition);
        }
      } catch (error) {
        this.options.logger.warn(
          { err: (error as Error).message, attempt },
          'cannot read committed offsets at assignment',
        );
        continue;
      }
      const failed: number[] = [];
      for (const partition of pending) {
        if (!current()) return;
        const positions = topics
          .filter((t) => assignment[t]?.includes(partition))
          .map((t) => ({ topic: t, position: committed.get(t)?.get(partition) ?? null }));
        // No committed offset: kafkajs starts where fromBeginning says; the first batch decides.
        if (positions.some((p) => p.position === null)) continue;
        const ok = await this.withPartitionLock(partition, async () => {
          if (!current()) return true;
          const processor = this.options.processorFor(partition);
          if (this.claimedInGeneration.get(partition) === generation && processor.isClaimed) return true;
          try {
            const seeks = await this.claim(
              processor,
              partition,
              positions as Array<{ topic: string; position: bigint }>,
            );
            if (!current()) return true;
            this.claimedInGeneration.set(partition, generation);
            for (const seek of seeks)
              this.consumer.seek({ topic: seek.topic, partition, offset: seek.offset });
            return true;
          } catch (error) {
            processor.release();
            this.claimedInGeneration.delete(partition);
            const reasonCode = error instanceof ValuestreamError ? error.reasonCode : 'TRANSIENT';
            this.options.logger.warn(
              { partition, reasonCode, attempt },
              'claim at assignment failed; retrying',
            );
            return false;
          }
        });
        if (!ok) failed.push(partition);
      }
      pending = failed;
    }
  }

  /**
   * A batch that starts after the position from which everything is known to be applied would
   * skip records for good (they would be at or below the applied offset once it is processed):
   * a batch fetched before a seek, say, that kafkajs does not mark stale. Seek back to the safe
   * position once; if Kafka then still starts later, the offsets between hold no records
   * (transaction markers, compaction) and the batch is taken.
   */
  private startsAfterSafePosition(
    batch: Batch,
    processor: PartitionProcessor<unknown, unknown, unknown>,
    logical: string,
  ): boolean {
    const key = `${batch.topic}:${batch.partition}`;
    const safe = this.safePositions.get(key);
    if (!safe || safe.generation !== this.generation) return false;
    const first = BigInt(batch.firstOffset() ?? '0');
    const applied = processor.appliedOffset(logical);
    const contiguous = first <= safe.offset || (applied !== null && first <= applied + 1n);
    if (contiguous) return false;
    const seeked = this.seekedBack.get(key);
    if (seeked && seeked.generation === this.generation && seeked.offset === safe.offset) return false;
    this.seekedBack.set(key, { generation: this.generation, offset: safe.offset });
    this.options.logger.warn(
      {
        partition: batch.partition,
        topic: logical,
        batchStart: first.toString(),
        resumeAt: safe.offset.toString(),
      },
      'batch starts after the last applied position: seeking back so that no record is skipped',
    );
    this.consumer.seek({ topic: batch.topic, partition: batch.partition, offset: safe.offset.toString() });
    return true;
  }

  private setSafePosition(topic: string, partition: number, offset: bigint): void {
    this.safePositions.set(`${topic}:${partition}`, { generation: this.generation, offset });
  }

  /**
   * Commits past a fetched range that held no record to process (aborted records, transaction
   * markers), when every record before it is applied in Redis: then nothing is skipped.
   */
  private async commitPastFiltered(
    generation: number,
    topic: string,
    partition: number,
    first: bigint,
    last: bigint,
  ): Promise<void> {
    if (this.stopping || generation !== this.generation) return;
    const processor = this.options.processorFor(partition);
    if (this.claimedInGeneration.get(partition) !== generation || !processor.isClaimed) {
      const seeks = await this.claim(processor, partition, [{ topic, position: first }]);
      this.claimedInGeneration.set(partition, generation);
      if (seeks.length > 0) {
        for (const seek of seeks) this.consumer.seek({ topic: seek.topic, partition, offset: seek.offset });
        return;
      }
    }
    const applied = processor.appliedOffset(this.options.topics.get(topic)!);
    const safe = this.safePositions.get(`${topic}:${partition}`);
    let nothingSkipped =
      (applied !== null && applied + 1n >= first) ||
      (safe !== undefined && safe.generation === generation && first <= safe.offset);
    if (!nothingSkipped && applied === null) {
      const offsets = await this.admin.fetchTopicOffsets(topic);
      nothingSkipped = first <= BigInt(offsets.find((o) => o.partition === partition)?.low ?? '0');
    }
    if (!nothingSkipped || this.stopping || generation !== this.generation) return;
    const next = (last + 1n).toString();
    await this.consumer.commitOffsets([{ topic, partition, offset: next }]);
    this.setSafePosition(topic, partition, last + 1n);
    this.options.events.emit('offsetsCommitted', { topic, partition, offset: next });
    this.options.events.emit('batchCompleted', {
      topic: this.options.topics.get(topic)!,
      partition,
      records: 0,
      skipped: 0,
      durationMs: 0,
      lag: 0,
    });
  }

  /**
   * Claims a partition (fencing older owners, producing an earlier owner's outbox) and returns the
   * seeks to make where Kafka's position is ahead of Redis's applied offset (PITFALLS 1).
   */
  private async claim(
    processor: PartitionProcessor<unknown, unknown, unknown>,
    partition: number,
    positions: ReadonlyArray<{ topic: string; position: bigint }>,
  ): Promise<Array<{ topic: string; offset: string }>> {
    const leftovers = await processor.claim();
    if (leftovers.length > 0) {
      await this.makeDurable();
      await this.options.producer.produce(leftovers);
      await processor.ackOutbox(leftovers.length);
    }
    const seeks: Array<{ topic: string; offset: string }> = [];
    for (const { topic, position } of positions) {
      const logical = this.options.topics.get(topic)!;
      const applied = processor.appliedOffset(logical);
      let resumeAt: string | null = null;
      if (applied !== null && position > applied + 1n) {
        resumeAt = (applied + 1n).toString();
      } else if (applied === null && position > 0n) {
        const offsets = await this.admin.fetchTopicOffsets(topic);
        const low = BigInt(offsets.find((o) => o.partition === partition)?.low ?? '0');
        if (position > low) resumeAt = low.toString();
      }
      this.setSafePosition(topic, partition, resumeAt === null ? position : BigInt(resumeAt));
      if (resumeAt !== null) {
        seeks.push({ topic, offset: resumeAt });
        this.options.logger.warn(
          { partition, topic: logical, kafkaPosition: position.toString(), resumeAt },
          "Redis is behind Kafka for this partition (lost writes or lost state): replaying from Redis's applied offset",
        );
      }
    }
    this.options.events.emit('partitionClaimed', {
      partition,
      leftoverOutbox: leftovers.length,
      redisBehindKafka: seeks.length > 0,
    });
    return seeks;
  }

  private async finish(
    processor: PartitionProcessor<unknown, unknown, unknown>,
    batch: Batch,
    outcome: ProcessOutcome,
    payload: EachBatchPayload,
  ): Promise<void> {
    await this.makeDurable();
    await this.options.producer.produce(outcome.outbox);
    publishStep('after-produce', batch.partition);
    await processor.ackOutbox(outcome.outbox.length);
    const next =
      outcome.kind === 'blocked' && outcome.resumeOffset !== null
        ? BigInt(outcome.resumeOffset)
        : BigInt(batch.lastOffset()) + 1n;
    if (next > BigInt(batch.firstOffset() ?? '0')) {
      await this.consumer.commitOffsets([
        { topic: batch.topic, partition: batch.partition, offset: next.toString() },
      ]);
      publishStep('after-commit', batch.partition);
      this.setSafePosition(batch.topic, batch.partition, next);
      payload.resolveOffset((next - 1n).toString());
      this.options.events.emit('offsetsCommitted', {
        topic: batch.topic,
        partition: batch.partition,
        offset: next.toString(),
      });
    }
    if (outcome.kind === 'blocked') {
      // Pause, not block: the partitions whose snapshots we wait for may be ours too.
      const resume = payload.pause();
      this.consumer.seek({ topic: batch.topic, partition: batch.partition, offset: next.toString() });
      setTimeout(resume, this.options.barrierRetryMs).unref();
    }
  }

  private countSkipped(
    processor: PartitionProcessor<unknown, unknown, unknown>,
    logical: string,
    records: RawRecord[],
  ): number {
    const applied = processor.appliedOffset(logical);
    if (applied === null) return 0;
    return records.filter((r) => BigInt(r.offset) <= applied).length;
  }

  /** Idle partitions: stream time follows the wall clock, so timers and refreshes still fire. */
  private async advanceIdlePartitions(): Promise<void> {
    if (!this.joined || this.stopping) return;
    const now = this.options.wallClock();
    for (const partition of this.assigned) {
      const last = this.lastActivity.get(partition) ?? now;
      if (now - last < this.options.idleAdvanceMs) continue;
      const processor = this.options.processorFor(partition);
      if (!processor.isClaimed || this.claimedInGeneration.get(partition) !== this.generation) continue;
      await this.withPartitionLock(partition, async () => {
        if (!processor.isClaimed || this.claimedInGeneration.get(partition) !== this.generation) return;
        try {
          const guard: StepGuard = {
            check: () => {
              if (this.stopping || !this.joined) throw new StopProcessing('stopping');
            },
            heartbeat: async () => undefined,
          };
          const outcome = await processor.advanceStreamTime(now - this.options.idleAdvanceMs, guard);
          await this.makeDurable();
          await this.options.producer.produce(outcome.outbox);
          await processor.ackOutbox(outcome.outbox.length);
        } catch (error) {
          // Claim again before the next step (it produces any outbox left behind).
          processor.release();
          this.claimedInGeneration.delete(partition);
          if (error instanceof StopProcessing) return;
          this.options.logger.warn(
            { partition, err: scrubText(errorMessage(error)) },
            'idle advance failed; partition will be claimed again',
          );
        }
      });
    }
  }
}

function toRawRecord(batch: Batch, logical: string, message: Batch['messages'][number]): RawRecord {
  const headers: Record<string, Buffer | string | undefined> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    headers[name] = Array.isArray(value) ? value[0] : value;
  }
  return {
    topic: batch.topic,
    logicalTopic: logical,
    partition: batch.partition,
    offset: message.offset,
    key: message.key,
    value: message.value,
    headers,
    timestamp: message.timestamp,
  };
}

function safeLag(batch: Batch): number | null {
  try {
    return Number(batch.offsetLag());
  } catch {
    return null;
  }
}

function isKafkaJsError(error: unknown): boolean {
  return (
    typeof (error as { name?: unknown })?.name === 'string' && (error as Error).name.startsWith('KafkaJS')
  );
}

function isTransient(error: unknown): boolean {
  const e = error as { retriable?: boolean; name?: string };
  return (
    e?.retriable === true ||
    isRedisConnectionError(error) ||
    e?.name === 'KafkaJSNumberOfRetriesExceeded' ||
    e?.name === 'KafkaJSConnectionError'
  );
}

async function sleepWithHeartbeat(ms: number, heartbeat: () => Promise<void>): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(500, until - Date.now())));
    await heartbeat().catch(() => undefined);
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
