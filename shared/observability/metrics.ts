import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { redisCommandsSent } from '../redis/connection.js';
import type { RuntimeEvents } from '../runtime/runtime-events.js';
import { PartitionGauges } from './partition-gauges.js';
import { LagTracker, parseOffset, type Stall, StallDetector } from './partition-progress.js';

// Every metric of the runtime, subscribed to its events. Labels are bounded sets (worker,
// topic, partition number, reason code, decision kind, tier): never a customer id.

export interface RuntimeMetrics {
  readonly registry: Registry;
  /** Owned partitions with records waiting and none applied or dead-lettered for STALL_AFTER_MS. */
  stalledPartitions(): Stall[];
}

export interface RuntimeMetricsOptions {
  /** STALL_AFTER_MS (0 = off). */
  readonly stallAfterMs?: number;
  /**
   * The worker's input topics, name on the cluster → logical name: their per-topic counters are
   * exposed at 0 from the start (so ratios of them exist before the first skip), and the cluster
   * names some events carry (offsetsCommitted) are read as logical ones.
   */
  readonly inputTopics?: ReadonlyMap<string, string>;
  /** Logical input topics deduplicated by eventId: their duplicate counters are exposed at 0 from the start. */
  readonly dedupedTopics?: readonly string[];
  /** Wall clock of the stall detector (tests pass a fake one). */
  readonly clock?: () => number;
}

export const DEFAULT_STALL_AFTER_MS = 60_000;

const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600, 86_400];
const redisBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export function createRuntimeMetrics(
  worker: string,
  events: RuntimeEvents,
  options: RuntimeMetricsOptions = {},
): RuntimeMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ worker });
  collectDefaultMetrics({ register: registry, prefix: 'vs_process_' });

  const recordsIn = new Counter({
    name: 'vs_records_consumed_total',
    help: 'Input records Kafka handed to the runtime, by topic (every fetch: re-fetches included)',
    labelNames: ['topic'],
    registers: [registry],
  });
  const recordsSkipped = new Counter({
    name: 'vs_records_skipped_total',
    help: 'Re-delivered records at or below the applied offset (skipped)',
    labelNames: ['topic'],
    registers: [registry],
  });
  const duplicates = new Counter({
    name: 'vs_duplicate_events_total',
    help: 'Input records skipped because their customer had their eventId applied within DEDUPE_HORIZON (a re-send)',
    labelNames: ['topic'],
    registers: [registry],
  });
  const erasures = new Counter({
    name: 'vs_erasures_total',
    help: 'Erasure requests applied: the customer forgotten (state, timers, index, event ids, population contribution)',
    registers: [registry],
  });
  const erasedSkips = new Counter({
    name: 'vs_erased_customer_records_total',
    help: 'Input records skipped because their customer was erased (until a newer profile re-admits it)',
    labelNames: ['topic'],
    registers: [registry],
  });
  const applied = new Counter({
    name: 'vs_records_applied_total',
    help: 'Input records applied to state',
    registers: [registry],
  });
  const deadLettered = new Counter({
    name: 'vs_records_dead_lettered_total',
    help: 'Input records dead-lettered by an applied step (settled without being applied)',
    registers: [registry],
  });
  const deadLetters = new Counter({
    name: 'vs_dead_letters_total',
    help: 'Records sent to a dead-letter topic, by reason code',
    labelNames: ['topic', 'reason'],
    registers: [registry],
  });
  const decisions = new Counter({
    name: 'vs_decisions_total',
    help: 'Decisions produced, by kind and label (e.g. tier reached)',
    labelNames: ['kind', 'label'],
    registers: [registry],
  });
  const outputs = new Counter({
    name: 'vs_records_produced_total',
    help: 'Records produced, by topic',
    labelNames: ['topic'],
    registers: [registry],
  });
  const batchSize = new Histogram({
    name: 'vs_batch_records',
    help: 'Records per fetch handed to the runtime',
    buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10_000],
    registers: [registry],
  });
  const batchSeconds = new Histogram({
    name: 'vs_batch_duration_seconds',
    help: 'Time to apply, produce and commit one batch',
    buckets: latencyBuckets,
    registers: [registry],
  });
  const populationMergeSeconds = new Histogram({
    name: 'vs_population_merge_seconds',
    help: 'Time to merge one population view from every partition snapshot (a model fit for retention), once per process and boundary',
    buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 2, 10, 30, 120],
    registers: [registry],
  });
  const redisSeconds = new Histogram({
    name: 'vs_redis_command_seconds',
    help: "Latency of the runtime's Redis calls, by operation (apply, read, claim, ack-outbox, durable-wait, ...)",
    labelNames: ['operation'],
    buckets: redisBuckets,
    registers: [registry],
  });
  const produceSeconds = new Histogram({
    name: 'vs_produce_seconds',
    help: 'Latency of producing one batch of outputs',
    buckets: latencyBuckets,
    registers: [registry],
  });
  const endToEnd = new Histogram({
    name: 'vs_end_to_end_latency_seconds',
    help: 'From the event time of the causing input to its decision being produced',
    labelNames: ['kind'],
    buckets: latencyBuckets,
    registers: [registry],
  });
  // Lag and stalls of the partitions this member owns, from the end offsets of its fetches and
  // Redis's applied offsets (not kafkajs's fetch position: fetched is not applied).
  const lags = new LagTracker();
  const stalls = new StallDetector(options.stallAfterMs ?? DEFAULT_STALL_AFTER_MS, options.clock ?? Date.now);
  new Gauge({
    name: 'vs_consumer_lag',
    help: "Records of the partition not yet applied or dead-lettered: the end offset of the last fetch minus Redis's applied offset minus 1 (the end offset until something is applied)",
    labelNames: ['topic', 'partition'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { topic, partition, lag } of lags.lags())
        this.set({ topic, partition: String(partition) }, lag);
    },
  });
  new Gauge({
    name: 'vs_partition_stalled',
    help: 'Per owned partition: 1 when records wait and none has been applied or dead-lettered for STALL_AFTER_MS, else 0',
    labelNames: ['partition'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of stalls.states()) this.set({ partition: String(s.partition) }, s.stalled ? 1 : 0);
    },
  });
  new Gauge({
    name: 'vs_stalled_partitions',
    help: 'Owned partitions stalled (records waiting, none applied or dead-lettered for STALL_AFTER_MS)',
    registers: [registry],
    collect() {
      this.set(stalls.stalled().length);
    },
  });
  // Partition gauges of this member only: a partition that moved to another member leaves them,
  // or its last value would stay here for good (a frozen value on a worker that no longer owns it).
  const partitionGauges = new PartitionGauges();
  const streamTime = partitionGauges.add(
    new Gauge({
      name: 'vs_stream_time_seconds',
      help: 'Stream time (largest event time applied) per partition',
      labelNames: ['partition'],
      registers: [registry],
    }),
  );
  const outboxBacklog = partitionGauges.add(
    new Gauge({
      name: 'vs_outbox_backlog',
      help: "Entries in the partition's Redis outbox not yet produced to Kafka and acknowledged",
      labelNames: ['partition'],
      registers: [registry],
    }),
  );
  const pendingTimers = partitionGauges.add(
    new Gauge({
      name: 'vs_pending_timers',
      help: 'Stream-time timers scheduled in Redis and not yet fired, per partition',
      labelNames: ['partition'],
      registers: [registry],
    }),
  );
  const timers = new Counter({
    name: 'vs_timers_fired_total',
    help: 'Stream-time timers fired, by kind',
    labelNames: ['kind'],
    registers: [registry],
  });
  const populationWaits = new Counter({
    name: 'vs_population_waits_total',
    help: 'Times a partition paused waiting for other partitions to snapshot a boundary',
    registers: [registry],
  });
  const populationApplied = new Counter({
    name: 'vs_population_views_applied_total',
    help: 'Population views (e.g. tier thresholds) applied in a partition',
    registers: [registry],
  });
  const fenced = new Counter({
    name: 'vs_partitions_fenced_total',
    help: 'Steps rejected because another owner holds the partition',
    labelNames: ['reason'],
    registers: [registry],
  });
  const redisErrors = new Counter({
    name: 'vs_redis_errors_total',
    help: 'Redis calls that failed or whose outcome is unknown, by operation and reason code',
    labelNames: ['operation', 'reason'],
    registers: [registry],
  });
  new Counter({
    name: 'vs_redis_commands_total',
    help: 'Commands sent to Redis (an FCALL counts once, each pipelined command once), by connection and command',
    labelNames: ['connection', 'command'],
    registers: [registry],
    // Counted where the commands are written (shared/redis/connection.ts), read at scrape time.
    collect() {
      this.reset();
      for (const { connection, command, count } of redisCommandsSent())
        this.inc({ connection, command }, count);
    },
  });
  const batchRetries = new Counter({
    name: 'vs_batch_retries_total',
    help: 'Batches that failed with an unknown outcome (Redis or Kafka unreachable) and were retried after a claim',
    labelNames: ['reason'],
    registers: [registry],
  });
  const behind = new Counter({
    name: 'vs_redis_behind_kafka_total',
    help: 'Claims that found Redis behind Kafka (lost writes) and replayed',
    registers: [registry],
  });
  const claims = new Counter({
    name: 'vs_partition_claims_total',
    help: 'Partition claims (owner epoch bumps)',
    registers: [registry],
  });
  const commits = new Counter({
    name: 'vs_offset_commits_total',
    help: 'Offset commits after durable effects',
    registers: [registry],
  });

  for (const topic of new Set(options.inputTopics?.values() ?? [])) {
    recordsIn.inc({ topic }, 0);
    recordsSkipped.inc({ topic }, 0);
  }
  for (const topic of new Set(options.dedupedTopics ?? [])) duplicates.inc({ topic }, 0);
  const logicalTopic = (topic: string) => options.inputTopics?.get(topic) ?? topic;

  // The partitions this member owns: those of the last assignment, less those released since (a
  // late event of a released partition must not bring its series back). A claim or an applied
  // offset of an assigned partition takes it back. Before any assignment, every partition counts.
  let assigned: Set<number> | null = null;
  const released = new Set<number>();
  const owns = (partition: number) =>
    !released.has(partition) && (assigned === null || assigned.has(partition));
  const takeBack = (partition: number) => {
    if (assigned === null || assigned.has(partition)) released.delete(partition);
  };
  const updateLag = (partition: number, progressed: boolean) => {
    if (progressed) stalls.progress(partition);
    stalls.lag(partition, lags.partitionLag(partition));
  };

  events.on('recordsFetched', (e) => {
    recordsIn.inc({ topic: e.topic }, e.records);
    batchSize.observe(e.records);
  });
  events.on('partitionEndOffset', (e) => {
    const end = parseOffset(e.endOffset);
    if (end === null || !owns(e.partition)) return;
    lags.end(e.topic, e.partition, end);
    updateLag(e.partition, false);
  });
  events.on('appliedOffset', (e) => {
    const offset = parseOffset(e.offset);
    takeBack(e.partition);
    if (offset === null || !owns(e.partition)) return;
    updateLag(e.partition, lags.applied(e.topic, e.partition, offset));
  });
  events.on('populationMerged', (e) => populationMergeSeconds.observe(e.durationMs / 1000));
  events.on('batchCompleted', (e) => {
    for (const [topic, skipped] of Object.entries(e.skippedByTopic))
      if (skipped > 0) recordsSkipped.inc({ topic }, skipped);
    batchSeconds.observe(e.durationMs / 1000);
  });
  events.on('segmentApplied', (e) => {
    applied.inc(e.applied);
    deadLettered.inc(e.deadLettered);
    for (const [topic, count] of Object.entries(e.duplicatesByTopic)) duplicates.inc({ topic }, count);
    if (e.erasures > 0) erasures.inc(e.erasures);
    for (const [topic, count] of Object.entries(e.erasedSkipsByTopic)) erasedSkips.inc({ topic }, count);
    if (!owns(e.partition)) return;
    if (e.records > 0) stalls.progress(e.partition);
    if (e.streamTime !== null) streamTime.set(e.partition, {}, e.streamTime / 1000);
  });
  events.on('outputsProduced', (e) => {
    produceSeconds.observe(e.durationMs / 1000);
    const now = Date.now();
    for (const entry of e.entries) {
      outputs.inc({ topic: entry.topic });
      if (entry.decisionKind === 'dead-letter') {
        deadLetters.inc({ topic: entry.topic, reason: entry.decisionLabel ?? 'UNKNOWN' });
        continue;
      }
      decisions.inc({ kind: entry.decisionKind, label: entry.decisionLabel ?? '' });
      if (entry.causedAtEventTime !== undefined)
        endToEnd.observe({ kind: entry.decisionKind }, Math.max(0, now - entry.causedAtEventTime) / 1000);
    }
  });
  events.on('timerFired', (e) => timers.inc({ kind: e.kind }));
  events.on('populationWait', () => populationWaits.inc());
  events.on('populationApplied', () => populationApplied.inc());
  events.on('partitionFenced', (e) => fenced.inc({ reason: e.reasonCode }));
  events.on('redisError', (e) => redisErrors.inc({ operation: e.operation, reason: e.reasonCode }));
  events.on('redisLatency', (e) => redisSeconds.observe({ operation: e.operation }, e.seconds));
  events.on('batchRetried', (e) => batchRetries.inc({ reason: e.reasonCode }));
  events.on('outboxBacklog', (e) => {
    if (owns(e.partition)) outboxBacklog.set(e.partition, {}, e.entries);
  });
  events.on('pendingTimers', (e) => {
    if (owns(e.partition)) pendingTimers.set(e.partition, {}, e.timers);
  });
  events.on('groupJoined', (e) => {
    assigned = new Set(e.partitions);
    released.clear();
    partitionGauges.keepOnly(e.partitions);
    lags.keepOnly(e.partitions);
    stalls.keepOnly(e.partitions);
  });
  events.on('partitionReleased', (e) => {
    released.add(e.partition);
    partitionGauges.drop(e.partition);
    lags.release(e.partition);
    stalls.release(e.partition);
  });
  events.on('partitionClaimed', (e) => {
    claims.inc();
    if (e.redisBehindKafka) behind.inc();
    takeBack(e.partition);
    // Redis behind Kafka (lost writes): the commits seen so far are ahead of what Redis holds.
    if (e.redisBehindKafka && owns(e.partition)) {
      lags.claimed(e.partition);
      stalls.lag(e.partition, lags.partitionLag(e.partition));
    }
  });
  events.on('offsetsCommitted', (e) => {
    commits.inc();
    const offset = parseOffset(e.offset);
    if (offset === null || !owns(e.partition)) return;
    updateLag(e.partition, lags.committed(logicalTopic(e.topic), e.partition, offset));
  });
  return { registry, stalledPartitions: () => stalls.stalled() };
}
