import type { Admin, Batch, Consumer, ConsumerRunConfig, EachBatchPayload, Kafka } from 'kafkajs';
import {
  InputTopicsMissingError,
  PartitionFencedError,
  StateVersionConflictError,
  ValuestreamError,
} from '../errors.js';
import { type Logger, scrubText } from '../observability/logger.js';
import { isRedisConnectionError } from '../redis/connection-errors.js';
import type { PopulationSignal, PopulationSignals } from '../redis/population-signals.js';
import type { PartitionProcessor, ProcessOutcome, StepGuard } from '../runtime/partition-processor.js';
import type { RawRecord } from '../runtime/raw-record.js';
import type { PreparedRecord } from '../runtime/record-intake.js';
import type { RuntimeEvents } from '../runtime/runtime-events.js';
import { publishStep } from '../runtime/step-channel.js';
import { timeRedis } from '../runtime/timed-store.js';
import { coPartitionedAssigner } from './co-partitioned-assigner.js';
import { CRASH_WINDOW_MS, planCrash } from './consumer-crash.js';
import type { OutputProducer } from './output-producer.js';
import { PartitionTask, pickFurthestBehind } from './partition-task.js';

export interface WorkerConsumerOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  /** Cluster topic name -> logical (catalogue) name. */
  readonly topics: ReadonlyMap<string, string>;
  readonly fromBeginning: boolean;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly maxBytesPerPartition: number;
  /**
   * kafkajs's maxWaitTimeInMs: how long the broker holds a fetch with nothing to return, and how
   * long kafkajs sleeps when every partition is paused, before it fetches a resumed one.
   */
  readonly fetchMaxWaitMs: number;
  /** Records handed to the processor per step (it applies them in segments of MAX_BATCH_RECORDS). */
  readonly maxStepRecords: number;
  /** Steps of different partitions in flight at once (their Redis and Kafka round trips overlap). */
  readonly stepConcurrency: number;
  /** Re-check of a partition waiting for a view when no signal woke it (a lost pub/sub message). */
  readonly barrierRetryMs: number;
  /** Kafka commits of a busy partition at most this often; a partition that drained commits at once. */
  readonly commitIntervalMs: number;
  readonly idleAdvanceMs: number;
  /**
   * A caught-up partition that others wait for is moved to their boundary only once Kafka has
   * handed it no record for this long (Kafka Streams' max.task.idle.ms): records a producer is
   * still retrying then come in order instead of late.
   */
  readonly quietPartitionWaitMs: number;
  readonly processorFor: (partition: number) => PartitionProcessor<unknown, unknown, unknown>;
  readonly makeDurable: () => Promise<void>;
  readonly producer: OutputProducer;
  /** Kept equal to this member's assignment (the processors wait inside a step only for these). */
  readonly localPartitions: Set<number>;
  /** Wakes waiting partitions across processes; null: re-checks only. */
  readonly signals: PopulationSignals | null;
  /** Another process's partition announced the value of a snapshot it stored (kept for its views). */
  readonly snapshotAnnounced?: (partition: number, boundary: number, value: string) => void;
  readonly events: RuntimeEvents;
  readonly logger: Logger;
  readonly wallClock: () => number;
  /** Called when the consumer crashed for good: the process must exit (PITFALLS 7). */
  readonly onFatal: (error: Error) => void;
  /**
   * Fetches what decoding `records` needs (the writer schemas of schema-registry framed values)
   * and keeps it until the returned release; throws a ValuestreamError while it cannot (the
   * registry unreachable): the partition then keeps the records and tries again later.
   */
  readonly resolveSchemas?: (records: readonly RawRecord[]) => Promise<() => void>;
}

class StopProcessing extends Error {}

/** Longest wait between two tries of a partition whose writer schemas cannot be fetched. */
const MAX_SCHEMA_WAIT_MS = 10_000;
/** How long an end offset read with the admin client is trusted for a caught-up check. */
const END_OFFSET_TTL_MS = 500;

/**
 * Runs the worker's consumer group. Fetching and applying are decoupled, the way Kafka Streams
 * separates poll() from its tasks: kafkajs's eachBatch only appends records to the partition's
 * task (pausing the partition in Kafka when its buffer is full); one step loop serves the
 * partition furthest behind in stream time, applies (claim if newly assigned, apply, make
 * durable, produce) and commits. A partition that must wait for a population view keeps what
 * it fetched and is woken when the view can be merged: a snapshot in this process, a signal
 * from another process, or, failing both, a slow re-check. Redis's applied offset is the
 * authority on where to resume (PITFALLS 1); commits follow it, never lead it.
 */
export class WorkerConsumer {
  private readonly consumer: Consumer;
  private readonly admin: Admin;
  private generation = 0;
  private readonly tasks = new Map<number, PartitionTask>();
  private readonly locks = new Map<number, Promise<void>>();
  private crashes: number[] = [];
  private assigned = new Set<number>();
  private timers: NodeJS.Timeout[] = [];
  private stopping = false;
  private wakeUp: (() => void) | null = null;
  private pumpDone: Promise<void> = Promise.resolve();
  private readonly endOffsetCache = new Map<
    string,
    { at: number; offsets: Map<number, { low: bigint; high: bigint }> }
  >();
  private readonly announcedWaits = new Set<string>();
  /** The latest population snapshot boundary seen per partition (posted here or signalled). */
  private readonly snapshotsSeen = new Map<number, number>();
  private readonly highWaterBytes: number;
  private readonly lowWaterBytes: number;
  joined = false;
  lastFetchAt = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private readonly runConfig: ConsumerRunConfig = {
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 1,
    eachBatch: (payload) => this.intake(payload),
  };

  constructor(private readonly options: WorkerConsumerOptions) {
    this.highWaterBytes = 2 * options.maxBytesPerPartition;
    this.lowWaterBytes = options.maxBytesPerPartition;
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      // Co-partitioning: partition p of every input goes to one member (the state of p is one).
      partitionAssigners: [coPartitionedAssigner],
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: options.heartbeatIntervalMs,
      maxBytesPerPartition: options.maxBytesPerPartition,
      // When every partition is paused (a backfill fills every buffer) kafkajs sleeps this long
      // before it fetches again, whatever was resumed meanwhile: at 1 s the steps of a backfill
      // ran out of records and waited (bench vs-daily: idle 20 % of the run, gaps up to 0.9 s).
      maxWaitTimeInMs: options.fetchMaxWaitMs,
      allowAutoTopicCreation: false,
      retry: { retries: 10 },
    });
    this.admin = options.kafka.admin();
    const { events } = this.consumer;
    this.consumer.on(events.GROUP_JOIN, (e) => {
      this.generation += 1;
      this.joined = true;
      const partitions = Object.values(e.payload.memberAssignment).flat() as number[];
      const assigned = new Set(partitions);
      for (const [partition, task] of this.tasks) {
        task.generation = this.generation;
        // kafkajs keeps a paused partition paused across a rebalance: resume what we paused.
        if (task.pausedInKafka) this.resumeInKafka(task);
        if (assigned.has(partition)) {
          // Kept: kafkajs would fetch it again from its committed offset (up to COMMIT_INTERVAL_MS
          // behind what Redis applied, plus all we hold); fetch on after what we hold instead.
          // The claim of the new generation re-reads Redis's applied offset and seeks back (and
          // drops the buffer) when Redis is behind.
          task.waitingFor = null;
          for (const [topic, next] of task.expected)
            this.consumer.seek({ topic, partition, offset: next.toString() });
        } else {
          task.clear();
          this.options.processorFor(partition).release();
          task.claimedInGeneration = null;
          this.tasks.delete(partition);
          options.events.emit('partitionReleased', { partition });
        }
      }
      this.assigned = assigned;
      options.localPartitions.clear();
      for (const p of assigned) options.localPartitions.add(p);
      for (const p of assigned) {
        const task = this.taskFor(p);
        task.lastActivityAt = options.wallClock();
        task.lastRecordAt = options.wallClock();
      }
      options.events.emit('groupJoined', { partitions: [...assigned].sort((a, b) => a - b) });
      void this.claimAssignment(this.generation, e.payload.memberAssignment as Record<string, number[]>);
      this.wake();
    });
    this.consumer.on(events.REBALANCING, () => {
      this.joined = false;
      options.events.emit('rebalancing', {});
      // A partition may move: its next owner would produce again what this one did not remove.
      void this.acknowledgeProduced();
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
      // The consumer is stopped and out of the group until it starts again (consumer-crash.ts).
      this.joined = false;
      const now = options.wallClock();
      this.crashes = this.crashes.filter((at) => now - at < CRASH_WINDOW_MS);
      this.crashes.push(now);
      const plan = planCrash(e.payload.error, e.payload.restart, this.crashes.length);
      const fields = {
        err: scrubText(errorMessage(e.payload.error)),
        restart: e.payload.restart,
        crashes: this.crashes.length,
      };
      if (plan.kind === 'give-up') {
        options.logger.error(fields, 'kafka consumer crashed');
        options.onFatal(e.payload.error);
      } else if (plan.kind === 'kafkajs-restarts') {
        options.logger.warn(fields, 'kafka consumer crashed; kafkajs restarts it');
      } else {
        options.logger.warn(
          { ...fields, restartInMs: plan.afterMs },
          'kafka consumer crashed (group coordinator not found); starting it again',
        );
        this.restartTimer = setTimeout(() => this.runAgain(), plan.afterMs);
      }
    });
  }

  async start(): Promise<void> {
    await this.admin.connect();
    const existing = new Set(await this.admin.listTopics());
    const missing = [...this.options.topics.keys()].filter((topic) => !existing.has(topic));
    if (missing.length > 0) throw new InputTopicsMissingError(missing);
    if (this.options.signals) {
      const subscribed = await this.options.signals.subscribe((signal) => this.onSignal(signal));
      if (!subscribed)
        this.options.logger.warn(
          { reasonCode: 'POPULATION_SIGNALS_UNAVAILABLE' },
          'cannot subscribe to population signals; waiting partitions re-check Redis instead',
        );
    }
    this.options.events.on('populationSnapshot', (e) =>
      this.onSignal({ kind: 'snapshot', partition: e.partition, boundary: e.boundary }),
    );
    // A step waiting inside for a view: help the partitions it waits for at once.
    this.options.events.on('populationWait', (e) =>
      this.helpMissing(e.boundary, e.streamTime, e.missing, true),
    );
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: [...this.options.topics.keys()],
      fromBeginning: this.options.fromBeginning,
    });
    await this.consumer.run(this.runConfig);
    this.pumpDone = this.pump();
    const recheckEvery = Math.max(50, Math.min(this.options.barrierRetryMs, 5000));
    this.timers.push(setInterval(() => this.recheckWaits(), recheckEvery));
    if (this.options.idleAdvanceMs > 0) {
      const every = Math.max(250, Math.min(this.options.idleAdvanceMs / 2, 5000));
      this.timers.push(setInterval(() => void this.advanceIdlePartitions(), every));
    }
  }

  /** Starts the consumer again after a crash kafkajs does not restart from; a failure crashes again. */
  private runAgain(): void {
    this.restartTimer = null;
    if (this.stopping) return;
    this.consumer.run(this.runConfig).catch((error: unknown) => {
      this.options.logger.error(
        { err: scrubText(errorMessage(error)) },
        'cannot start the kafka consumer again',
      );
      this.options.onFatal(error instanceof Error ? error : new Error(String(error)));
    });
  }

  /** Finishes the step in flight, commits what Redis holds, then leaves the group and disconnects. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    for (const timer of this.timers) clearInterval(timer);
    for (const task of this.tasks.values()) task.cancelQuietMove();
    this.wake();
    await this.pumpDone;
    await Promise.allSettled([...this.locks.values()]);
    await this.acknowledgeProduced();
    await this.commitAll().catch((error: unknown) =>
      this.options.logger.warn({ err: scrubText(errorMessage(error)) }, 'final commit failed'),
    );
    await this.consumer.disconnect();
    await this.options.signals?.close();
    await this.admin.disconnect();
  }

  /** Removes from every partition's outbox what was produced (deferred acknowledgements). */
  private async acknowledgeProduced(): Promise<void> {
    await Promise.allSettled(
      [...this.tasks.keys()].map((partition) =>
        this.withPartitionLock(partition, () => this.options.processorFor(partition).ackOutbox(0)),
      ),
    ).then((results) => {
      for (const r of results)
        if (r.status === 'rejected')
          this.options.logger.warn(
            { err: scrubText(errorMessage(r.reason)) },
            'cannot remove produced entries from the outbox (they will be produced again)',
          );
    });
  }

  private taskFor(partition: number): PartitionTask {
    let task = this.tasks.get(partition);
    if (!task) {
      task = new PartitionTask(partition);
      task.generation = this.generation;
      this.tasks.set(partition, task);
    }
    return task;
  }

  private wake(): void {
    const wakeUp = this.wakeUp;
    this.wakeUp = null;
    wakeUp?.();
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

  /** eachBatch: hand the records to the partition's task; kafkajs fetches on at once. */
  private async intake(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (batch.isEmpty() || this.stopping || !payload.isRunning() || payload.isStale()) return;
    const logical = this.options.topics.get(batch.topic)!;
    const task = this.taskFor(batch.partition);
    if (task.generation !== this.generation) {
      task.clear();
      task.generation = this.generation;
    }
    if (task.fencedInGeneration === this.generation) {
      // Not ours in this generation: do not fetch it in a loop; look again later.
      this.pauseInKafka(task);
      setTimeout(() => this.resumeInKafka(task), this.options.sessionTimeoutMs).unref();
      return;
    }
    this.options.events.emit('recordsFetched', {
      topic: logical,
      partition: batch.partition,
      records: batch.messages.length,
    });
    this.options.events.emit('partitionEndOffset', {
      topic: logical,
      partition: batch.partition,
      endOffset: batch.highWatermark,
    });
    task.endOffsets.set(batch.topic, BigInt(batch.highWatermark));
    const first = BigInt(batch.firstOffset() ?? '0');
    const expected = task.expected.get(batch.topic);
    if (expected !== undefined && first > expected) {
      // A batch starting after the next expected offset would skip records for good (a batch
      // fetched before a seek that kafkajs does not mark stale, say): seek back once; if Kafka
      // then still starts later, the offsets between hold no records (markers, compaction).
      if (task.seekedBack.get(batch.topic) !== expected) {
        task.seekedBack.set(batch.topic, expected);
        this.options.logger.warn(
          {
            partition: batch.partition,
            topic: logical,
            batchStart: first.toString(),
            resumeAt: expected.toString(),
          },
          'batch starts after the next expected offset: seeking back so that no record is skipped',
        );
        this.consumer.seek({ topic: batch.topic, partition: batch.partition, offset: expected.toString() });
        return;
      }
    }
    const records = batch.messages
      .filter((m) => expected === undefined || BigInt(m.offset) >= expected)
      .map((m) => toRawRecord(batch, logical, m));
    task.append(records, this.options.wallClock());
    task.expected.set(batch.topic, BigInt(batch.lastOffset()) + 1n);
    payload.resolveOffset(batch.lastOffset());
    if (task.bufferedBytes >= this.highWaterBytes) this.pauseInKafka(task);
    this.wake();
  }

  private pauseInKafka(task: PartitionTask): void {
    if (task.pausedInKafka) return;
    task.pausedInKafka = true;
    this.consumer.pause(
      [...this.options.topics.keys()].map((topic) => ({ topic, partitions: [task.partition] })),
    );
  }

  private resumeInKafka(task: PartitionTask): void {
    if (!task.pausedInKafka || this.stopping) return;
    task.pausedInKafka = false;
    this.consumer.resume(
      [...this.options.topics.keys()].map((topic) => ({ topic, partitions: [task.partition] })),
    );
  }

  /**
   * The step loop: starts a step for the runnable partition furthest behind in stream time, up to
   * `stepConcurrency` partitions at once (one step per partition at a time), so that the round
   * trips of one partition's step overlap another's work, and Redis's fsyncs are shared.
   */
  private async pump(): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    while (!this.stopping) {
      const now = this.options.wallClock();
      const candidates =
        inFlight.size >= this.options.stepConcurrency
          ? []
          : [...this.tasks.values()].filter(
              (t) => this.assigned.has(t.partition) && t.runnable(this.generation, now),
            );
      const task = pickFurthestBehind(candidates, (t) => this.options.processorFor(t.partition).streamTime);
      if (!task) {
        await this.sleepUntilWoken(now);
        continue;
      }
      task.running = true;
      const step = this.withPartitionLock(task.partition, () => this.step(task))
        .catch((error: unknown) => {
          this.options.logger.error({ err: scrubText(errorMessage(error)) }, 'step loop error');
        })
        .finally(() => {
          task.running = false;
          inFlight.delete(step);
          this.wake();
        });
      inFlight.add(step);
      // Let kafkajs's fetches and heartbeats in between steps.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await Promise.allSettled([...inFlight]);
  }

  private sleepUntilWoken(now: number): Promise<void> {
    let nextRetry = Number.POSITIVE_INFINITY;
    for (const task of this.tasks.values())
      if (task.retryAt > now) nextRetry = Math.min(nextRetry, task.retryAt);
    const ms = Math.max(1, Math.min(1000, nextRetry - now));
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.wakeUp = null;
        resolve();
      }, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async step(task: PartitionTask): Promise<void> {
    const generation = this.generation;
    if (!this.assigned.has(task.partition) || !task.ready(generation, this.options.wallClock())) return;
    const started = performance.now();
    const processor = this.options.processorFor(task.partition);
    const guard: StepGuard = {
      check: () => {
        if (this.stopping || generation !== this.generation || !this.assigned.has(task.partition))
          throw new StopProcessing('consumer stopping or partition revoked');
      },
      heartbeat: async () => undefined,
    };
    let fetched = 0;
    let skipped = 0;
    const skippedByTopic: Record<string, number> = {};
    try {
      guard.check();
      if (!(await this.ensureClaimed(task, processor, generation))) return;
      task.reclaim = false;
      if (task.leftover.length === 0 && task.hasRecords) {
        // Decoding is synchronous: the writer schemas of framed records are fetched first. While
        // the registry cannot be asked, the records stay in the task, neither decoded nor
        // dead-lettered, and the partition tries again with backoff (never a crash loop).
        let release: (() => void) | null = null;
        if (this.options.resolveSchemas) {
          try {
            release = await this.options.resolveSchemas(task.peek(this.options.maxStepRecords));
            task.schemaWaits = 0;
          } catch (error) {
            if (!(error instanceof ValuestreamError)) throw error;
            this.waitForSchemas(task, error);
            return;
          }
        }
        const raw = task.take(this.options.maxStepRecords);
        fetched = raw.length;
        try {
          guard.check();
          task.leftover = processor.prepare(raw);
        } catch (error) {
          task.putBack(raw);
          throw error;
        } finally {
          release?.();
        }
        skipped = raw.length - task.leftover.length;
        if (skipped > 0) {
          const kept = new Set(task.leftover.map((p) => p.record));
          for (const record of raw)
            if (!kept.has(record))
              skippedByTopic[record.logicalTopic] = (skippedByTopic[record.logicalTopic] ?? 0) + 1;
        }
      }
      let outcome: ProcessOutcome = { kind: 'done', outbox: [] };
      let advanced: number | null = null;
      if (task.leftover.length > 0) {
        outcome = await processor.processPrepared(task.leftover, guard);
      } else if (task.advanceTo !== null) {
        advanced = task.advanceTo;
        outcome = await processor.advanceStreamTime(advanced, guard);
        if (processor.streamTime !== null && processor.streamTime >= advanced) task.advanceTo = null;
        if (processor.startedAt === advanced)
          this.announce({ kind: 'snapshot', partition: task.partition, boundary: advanced });
      }
      task.leftover = outcome.kind === 'blocked' ? (outcome.remaining as PreparedRecord<unknown>[]) : [];
      await this.finish(task, processor, outcome);
      task.attempt = 0;
      task.lastActivityAt = this.options.wallClock();
      if (outcome.kind === 'blocked') this.onBlocked(task, outcome);
      if (
        task.pausedInKafka &&
        task.bufferedBytes < this.lowWaterBytes &&
        task.fencedInGeneration !== generation
      )
        this.resumeInKafka(task);
      this.options.events.emit('batchCompleted', {
        partition: task.partition,
        records: fetched,
        skipped,
        skippedByTopic,
        durationMs: performance.now() - started,
        lag: null,
      });
    } catch (error) {
      this.onStepError(task, processor, generation, error);
    }
  }

  /** The registry cannot give the writer schemas of the partition's next records: wait, then retry. */
  private waitForSchemas(task: PartitionTask, error: ValuestreamError): void {
    task.schemaWaits += 1;
    this.options.events.emit('batchRetried', { partition: task.partition, reasonCode: error.reasonCode });
    this.options.logger.warn(
      {
        partition: task.partition,
        attempt: task.schemaWaits,
        reasonCode: error.reasonCode,
        err: scrubText(errorMessage(error)),
      },
      'cannot fetch the writer schemas of the next records; the partition waits (records kept)',
    );
    task.retryAt =
      this.options.wallClock() + Math.min(250 * 2 ** Math.min(task.schemaWaits, 6), MAX_SCHEMA_WAIT_MS);
  }

  private onStepError(
    task: PartitionTask,
    processor: PartitionProcessor<unknown, unknown, unknown>,
    generation: number,
    error: unknown,
  ): void {
    processor.release();
    task.claimedInGeneration = null;
    // The group moved on while the step ran (its partition may be another member's now): the
    // error, whatever it is, is the step's being cut short.
    if (error instanceof StopProcessing || generation !== this.generation || this.stopping) return;
    if (error instanceof PartitionFencedError || error instanceof StateVersionConflictError) {
      // Another owner holds the partition: never commit for it; claim again only if Kafka
      // gives it back to us in a later generation.
      this.options.events.emit('partitionFenced', {
        partition: task.partition,
        reasonCode: error.reasonCode,
      });
      this.options.logger.warn({ partition: task.partition, reasonCode: error.reasonCode }, error.message);
      if (error instanceof StateVersionConflictError && task.attempt < 3) {
        task.attempt += 1;
        return;
      }
      // Claiming again in this generation would fence the other owner in turn, back and
      // forth until the group rebalances; wait for the next generation instead.
      task.fencedInGeneration = generation;
      task.clear();
      this.pauseInKafka(task);
      setTimeout(() => this.resumeInKafka(task), this.options.sessionTimeoutMs).unref();
      return;
    }
    // A reply error of Redis (a script refused, OOM, NOPERM, LOADING) is no reason to exit: a
    // restart would meet it again, a crash loop. The partition backs off and retries, the others
    // go on, and the stall metric and alert say it. Records that would make Redis refuse a step
    // never get this far (INVALID_DECISION).
    const retriable =
      error instanceof ValuestreamError
        ? error.retriable
        : isTransient(error) || isKafkaJsError(error) || isRedisReplyError(error);
    if (!retriable) {
      // A bug, not an outage: retrying the same step cannot help. Exit; the supervisor
      // restarts us (PITFALLS 7).
      this.options.onFatal(error as Error);
      return;
    }
    // Outcome unknown (Redis or Kafka unreachable): do not commit; claim again (re-reads the
    // applied offset, produces any outbox left) and retry the records kept in the task.
    task.attempt += 1;
    task.reclaim = true;
    const reasonCode = error instanceof ValuestreamError ? error.reasonCode : 'TRANSIENT';
    this.options.events.emit('batchRetried', { partition: task.partition, reasonCode });
    this.options.logger.warn(
      { partition: task.partition, attempt: task.attempt, reasonCode, err: scrubText(errorMessage(error)) },
      'step failed, retrying after claim',
    );
    task.retryAt = this.options.wallClock() + Math.min(200 * 2 ** Math.min(task.attempt, 5), 5000);
  }

  /** Claims the partition if this generation has not; false when it had to seek (buffer dropped). */
  private async ensureClaimed(
    task: PartitionTask,
    processor: PartitionProcessor<unknown, unknown, unknown>,
    generation: number,
  ): Promise<boolean> {
    if (task.claimedInGeneration === generation && processor.isClaimed) return true;
    const positions = [...this.options.topics.keys()]
      .map((topic) => ({ topic, position: task.firstOffset(topic) }))
      .filter((p): p is { topic: string; position: bigint } => p.position !== null);
    const seeks = await this.claim(processor, task.partition, positions);
    if (generation !== this.generation) throw new StopProcessing('generation moved on during the claim');
    task.claimedInGeneration = generation;
    if (seeks.length === 0) return true;
    task.clear();
    for (const seek of seeks) {
      this.consumer.seek({ topic: seek.topic, partition: task.partition, offset: seek.offset });
      task.expected.set(seek.topic, BigInt(seek.offset));
    }
    return false;
  }

  /**
   * On every assignment, claims each assigned partition at once and compares Redis's applied
   * offset with the group's committed offset (PITFALLS 1): when Redis is behind (lost writes, lost
   * state), seeks back to Redis's offset + 1. Doing it here, not only at the first batch, matters
   * when no new record arrives: the records Redis lost would never be fetched again, and an
   * earlier owner's outbox would never be produced. Partitions without a committed offset are
   * left to the first step, as are partitions whose claim fails here once the generation moves on.
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
        const task = this.taskFor(partition);
        const positions = topics
          .filter((t) => assignment[t]?.includes(partition))
          .map((t) => {
            const groupOffset = committed.get(t)?.get(partition) ?? null;
            if (groupOffset !== null) task.committed.set(t, groupOffset);
            // Kept across the rebalance: what we hold starts there (Redis must have all before).
            return { topic: t, position: task.firstOffset(t) ?? task.expected.get(t) ?? groupOffset };
          });
        // A topic with no committed offset (an input that never had a record here: erasure
        // requests, say) starts where fromBeginning says and its first step decides; the others
        // are claimed now, or a partition with one empty input would wait for a record to be
        // claimed (and to find Redis behind Kafka).
        const known = positions.filter((p): p is { topic: string; position: bigint } => p.position !== null);
        if (known.length === 0) continue;
        const ok = await this.withPartitionLock(partition, async () => {
          if (!current()) return true;
          const processor = this.options.processorFor(partition);
          if (task.claimedInGeneration === generation && processor.isClaimed) return true;
          try {
            const seeks = await this.claim(processor, partition, known);
            if (!current()) return true;
            task.claimedInGeneration = generation;
            if (seeks.length > 0) task.clear();
            for (const seek of seeks) {
              this.consumer.seek({ topic: seek.topic, partition, offset: seek.offset });
              task.expected.set(seek.topic, BigInt(seek.offset));
            }
            // Redis may hold more than the group committed: a commit cut short by the rebalance
            // (a coordinator that moved, a generation that ended mid-step). A kept partition
            // fetches on after what it held, so with no new record no step would commit it.
            if (seeks.length === 0) await this.commit(task, processor, false);
            return true;
          } catch (error) {
            processor.release();
            task.claimedInGeneration = null;
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
    const task = this.taskFor(partition);
    if (task.claimedInGeneration !== generation || !processor.isClaimed) {
      const seeks = await this.claim(processor, partition, [{ topic, position: first }]);
      task.claimedInGeneration = generation;
      if (seeks.length > 0) {
        task.clear();
        for (const seek of seeks) {
          this.consumer.seek({ topic: seek.topic, partition, offset: seek.offset });
          task.expected.set(seek.topic, BigInt(seek.offset));
        }
        return;
      }
    }
    const applied = processor.appliedOffset(this.options.topics.get(topic)!);
    const expected = task.expected.get(topic);
    let nothingSkipped =
      (applied !== null && applied + 1n >= first) ||
      (expected !== undefined && first <= expected && !task.hasRecordsOf(topic));
    if (!nothingSkipped && applied === null) {
      const offsets = await this.admin.fetchTopicOffsets(topic);
      nothingSkipped = first <= BigInt(offsets.find((o) => o.partition === partition)?.low ?? '0');
    }
    if (!nothingSkipped || this.stopping || generation !== this.generation) return;
    const next = last + 1n;
    await this.consumer.commitOffsets([{ topic, partition, offset: next.toString() }]);
    task.committed.set(topic, next);
    if (expected === undefined || expected < next) task.expected.set(topic, next);
    this.options.events.emit('offsetsCommitted', { topic, partition, offset: next.toString() });
    this.options.events.emit('appliedOffset', {
      topic: this.options.topics.get(topic)!,
      partition,
      offset: last.toString(),
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
      if (resumeAt !== null) {
        seeks.push({ topic, offset: resumeAt });
        this.options.logger.warn(
          { partition, topic: logical, kafkaPosition: position.toString(), resumeAt },
          "Redis is behind Kafka for this partition (lost writes or lost state): replaying from Redis's applied offset",
        );
      }
    }
    this.reportApplied(processor, partition);
    this.options.events.emit('partitionClaimed', {
      partition,
      leftoverOutbox: leftovers.length,
      redisBehindKafka: seeks.length > 0,
    });
    return seeks;
  }

  /**
   * The next offset from which nothing is applied yet, per cluster topic: Redis's applied offset
   * + 1, or past the aborted records and transaction markers that ended the last batch fetched
   * when every record of it is applied (kafkajs counts them in the batch).
   */
  private appliedThrough(
    task: PartitionTask,
    processor: PartitionProcessor<unknown, unknown, unknown>,
  ): Map<string, bigint> {
    const through = new Map<string, bigint>();
    for (const [topic, logical] of this.options.topics) {
      const applied = processor.appliedOffset(logical);
      if (applied === null) continue;
      let next = applied + 1n;
      const expected = task.expected.get(topic);
      if (expected !== undefined && expected > next && !task.hasRecordsOf(topic)) next = expected;
      through.set(topic, next);
    }
    return through;
  }

  private reportApplied(processor: PartitionProcessor<unknown, unknown, unknown>, partition: number): void {
    const task = this.taskFor(partition);
    for (const [topic, next] of this.appliedThrough(task, processor))
      this.options.events.emit('appliedOffset', {
        topic: this.options.topics.get(topic)!,
        partition,
        offset: (next - 1n).toString(),
      });
  }

  /** Make durable, produce, acknowledge the outbox; commit when due (or when the partition drained). */
  private async finish(
    task: PartitionTask,
    processor: PartitionProcessor<unknown, unknown, unknown>,
    outcome: ProcessOutcome,
  ): Promise<void> {
    let durable = false;
    if (outcome.outbox.length > 0) {
      await this.makeDurable();
      durable = true;
      await this.options.producer.produce(outcome.outbox);
    }
    publishStep('after-produce', task.partition);
    // With records buffered the next step comes at once: its apply removes what was produced.
    await processor.ackOutbox(outcome.outbox.length, task.hasRecords && !this.stopping);
    this.reportApplied(processor, task.partition);
    const due =
      !task.hasRecords || this.options.wallClock() - task.lastCommitAt >= this.options.commitIntervalMs;
    if (due) await this.commit(task, processor, durable);
  }

  /** Commits Redis's applied offsets + 1 where they moved past the committed ones. */
  private async commit(
    task: PartitionTask,
    processor: PartitionProcessor<unknown, unknown, unknown>,
    durable: boolean,
  ): Promise<void> {
    const offsets: Array<{ topic: string; partition: number; offset: string }> = [];
    for (const [topic, next] of this.appliedThrough(task, processor)) {
      const committed = task.committed.get(topic);
      if (committed === undefined || next > committed)
        offsets.push({ topic, partition: task.partition, offset: next.toString() });
    }
    task.lastCommitAt = this.options.wallClock();
    if (offsets.length === 0) return;
    // A commit must never lead what Redis holds durably (a Redis restart would lose the rest).
    if (!durable) await this.makeDurable();
    await this.consumer.commitOffsets(offsets);
    publishStep('after-commit', task.partition);
    for (const o of offsets) {
      task.committed.set(o.topic, BigInt(o.offset));
      this.options.events.emit('offsetsCommitted', o);
    }
  }

  /** At stop: commit every claimed partition's applied offsets. */
  private async commitAll(): Promise<void> {
    for (const task of this.tasks.values()) {
      const processor = this.options.processorFor(task.partition);
      if (task.claimedInGeneration !== this.generation || !processor.isClaimed) continue;
      await this.commit(task, processor, false);
    }
  }

  /**
   * A partition waits for view(boundary). The partitions missing a snapshot of it are woken by
   * their snapshots; one of ours that has nothing left to apply (its end offset proves it) moves
   * to the waiting partition's stream time with no record, so an empty or quiet partition never
   * stops the population; other processes are told, and do the same for theirs.
   */
  private onBlocked(task: PartitionTask, outcome: Extract<ProcessOutcome, { kind: 'blocked' }>): void {
    // Snapshots signalled between the step's last look and now (while its outputs were produced)
    // would not wake it: without the ones seen since, it waits only for those still missing.
    const missing = outcome.missing.filter(
      (p) => (this.snapshotsSeen.get(p) ?? Number.NEGATIVE_INFINITY) < outcome.boundary,
    );
    if (missing.length === 0 && task.lookedAgainAt !== outcome.boundary) {
      task.lookedAgainAt = outcome.boundary;
      return;
    }
    task.waitingFor = {
      boundary: outcome.boundary,
      missing: new Set(missing.length > 0 ? missing : outcome.missing),
      since: this.options.wallClock(),
    };
    // The partitions it waits for were helped when the step said so (the populationWait listener).
  }

  private helpMissing(
    boundary: number,
    streamTime: number,
    missing: readonly number[],
    announce: boolean,
  ): void {
    let remote = false;
    for (const partition of missing) {
      // To the boundary, not further: its snapshot is what the waiting partition needs, and a
      // replay moves it exactly so far (test/oracle/in-memory-driver.ts advanceDrainedPartitions).
      if (this.assigned.has(partition)) this.moveWhenQuiet(partition, boundary);
      else remote = true;
    }
    const key = `${boundary}`;
    if (announce && remote && !this.announcedWaits.has(key)) {
      this.announcedWaits.add(key);
      if (this.announcedWaits.size > 1000)
        this.announcedWaits.delete(this.announcedWaits.values().next().value!);
      this.announce({ kind: 'wait', boundary, streamTime, missing });
    }
  }

  private announce(signal: PopulationSignal): void {
    void this.options.signals
      ?.publish(signal)
      .catch((error: unknown) =>
        this.options.logger.debug(
          { err: scrubText(errorMessage(error)) },
          'cannot publish a population signal',
        ),
      );
  }

  private onSignal(signal: PopulationSignal): void {
    if (this.stopping) return;
    if (signal.kind === 'wait') {
      this.helpMissing(signal.boundary, signal.streamTime, signal.missing, false);
      return;
    }
    if (signal.kind === 'data') {
      // This process's own snapshots are in its memory already.
      if (!this.options.localPartitions.has(signal.partition))
        this.options.snapshotAnnounced?.(signal.partition, signal.boundary, signal.value);
      return;
    }
    if ((this.snapshotsSeen.get(signal.partition) ?? Number.NEGATIVE_INFINITY) < signal.boundary)
      this.snapshotsSeen.set(signal.partition, signal.boundary);
    this.options.events.emit('populationSnapshotSeen', {
      partition: signal.partition,
      boundary: signal.boundary,
    });
    let woke = false;
    for (const task of this.tasks.values()) {
      const waiting = task.waitingFor;
      if (!waiting || waiting.boundary > signal.boundary) continue;
      waiting.missing.delete(signal.partition);
      if (waiting.missing.size === 0) {
        task.waitingFor = null;
        this.options.events.emit('populationWake', { partition: task.partition, boundary: waiting.boundary });
        woke = true;
      }
    }
    if (woke) this.wake();
  }

  /** Waiting partitions that no signal woke try again now and then (a lost message, a restart). */
  private recheckWaits(): void {
    const now = this.options.wallClock();
    let woke = false;
    for (const task of this.tasks.values()) {
      const waiting = task.waitingFor;
      if (!waiting || now - waiting.since < this.options.barrierRetryMs) continue;
      task.waitingFor = null;
      this.announcedWaits.delete(`${waiting.boundary}`);
      woke = true;
    }
    if (woke) this.wake();
  }

  /**
   * Moves a partition others wait for to `target` once it is caught up and has been quiet for
   * quietPartitionWaitMs. Caught up proves no record is in Kafka now, not that none is on its
   * way: a send being retried (a leader not elected yet) came after the partition was moved, and
   * its history was applied late, unlike a replay of the same topic.
   */
  private moveWhenQuiet(partition: number, target: number): void {
    const task = this.taskFor(partition);
    const pending = task.quietMove;
    if (pending !== null && pending.target >= target) return;
    const wait = task.quietWaitLeft(this.options.wallClock(), this.options.quietPartitionWaitMs);
    task.cancelQuietMove();
    if (wait <= 0) {
      void this.advanceIfCaughtUp(partition, target);
      return;
    }
    const timer = setTimeout(() => {
      if (task.quietMove?.timer !== timer) return;
      task.quietMove = null;
      if (!this.stopping && this.assigned.has(partition)) this.moveWhenQuiet(partition, target);
    }, wait);
    timer.unref();
    task.quietMove = { target, timer };
  }

  private async advanceIfCaughtUp(partition: number, target: number): Promise<void> {
    const task = this.taskFor(partition);
    if (task.hasRecords || task.waitingFor !== null) return;
    const generation = this.generation;
    const processor = this.options.processorFor(partition);
    await this.withPartitionLock(partition, async () => {
      if (this.stopping || generation !== this.generation || task.hasRecords) return;
      if (!(await this.ensureClaimed(task, processor, generation))) return;
      if (processor.streamTime !== null && processor.streamTime >= target) return;
      if (!(await this.caughtUp(task, processor))) return;
      task.advanceTo = Math.max(task.advanceTo ?? Number.NEGATIVE_INFINITY, target);
      this.wake();
    }).catch((error: unknown) => {
      processor.release();
      task.claimedInGeneration = null;
      this.options.logger.warn(
        { partition, err: scrubText(errorMessage(error)) },
        'cannot check whether the partition is caught up',
      );
    });
  }

  /** Every record in the partition's topics is applied (or there is none): its end offset proves it. */
  private async caughtUp(
    task: PartitionTask,
    processor: PartitionProcessor<unknown, unknown, unknown>,
  ): Promise<boolean> {
    if (task.hasRecords) return false;
    for (const [topic, logical] of this.options.topics) {
      const ends = await this.endOffsets(topic);
      const end = ends.get(task.partition);
      if (!end) return false;
      const applied = processor.appliedOffset(logical);
      const next = applied === null ? end.low : applied + 1n;
      if (next < end.high) return false;
    }
    return true;
  }

  private async endOffsets(topic: string): Promise<Map<number, { low: bigint; high: bigint }>> {
    const now = this.options.wallClock();
    const cached = this.endOffsetCache.get(topic);
    if (cached && now - cached.at < END_OFFSET_TTL_MS) return cached.offsets;
    const offsets = new Map<number, { low: bigint; high: bigint }>();
    for (const o of await this.admin.fetchTopicOffsets(topic))
      offsets.set(o.partition, { low: BigInt(o.low), high: BigInt(o.high) });
    this.endOffsetCache.set(topic, { at: now, offsets });
    return offsets;
  }

  /**
   * Idle partitions: stream time follows the wall clock, so timers and refreshes still fire; but
   * only a partition whose every record is applied, so history still in the topic never turns
   * into late events.
   */
  private async advanceIdlePartitions(): Promise<void> {
    if (!this.joined || this.stopping) return;
    const now = this.options.wallClock();
    for (const partition of this.assigned) {
      const task = this.taskFor(partition);
      if (now - task.lastActivityAt < this.options.idleAdvanceMs) continue;
      if (task.hasRecords || task.waitingFor !== null) continue;
      await this.advanceIfCaughtUp(partition, now - this.options.idleAdvanceMs);
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

function isKafkaJsError(error: unknown): boolean {
  return (
    typeof (error as { name?: unknown })?.name === 'string' && (error as Error).name.startsWith('KafkaJS')
  );
}

function isRedisReplyError(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError';
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

function errorMessage(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
