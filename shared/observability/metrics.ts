import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { redisCommandsSent } from '../redis/connection.js';
import type { RuntimeEvents } from '../runtime/runtime-events.js';
import { PartitionGauges } from './partition-gauges.js';

// Every metric of the runtime, subscribed to its events. Labels are bounded sets (worker,
// topic, partition number, reason code, decision kind, tier): never a customer id.

export interface RuntimeMetrics {
  readonly registry: Registry;
}

const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600, 86_400];
const redisBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export function createRuntimeMetrics(worker: string, events: RuntimeEvents): RuntimeMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ worker });
  collectDefaultMetrics({ register: registry, prefix: 'vs_process_' });

  const recordsIn = new Counter({
    name: 'vs_records_consumed_total',
    help: 'Input records fetched, by topic',
    labelNames: ['topic'],
    registers: [registry],
  });
  const recordsSkipped = new Counter({
    name: 'vs_records_skipped_total',
    help: 'Re-delivered records at or below the applied offset (skipped)',
    labelNames: ['topic'],
    registers: [registry],
  });
  const applied = new Counter({
    name: 'vs_records_applied_total',
    help: 'Input records applied to state',
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
    help: 'Records per fetched batch',
    buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10_000],
    registers: [registry],
  });
  const batchSeconds = new Histogram({
    name: 'vs_batch_duration_seconds',
    help: 'Time to apply, produce and commit one batch',
    buckets: latencyBuckets,
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
  // Partition gauges of this member only: a partition that moved to another member leaves them,
  // or its last value would stay here for good (a frozen lag on a worker that no longer owns it).
  const partitionGauges = new PartitionGauges();
  const lag = partitionGauges.add(
    new Gauge({
      name: 'vs_consumer_lag',
      help: 'Records behind the high watermark after the last batch',
      labelNames: ['topic', 'partition'],
      registers: [registry],
    }),
  );
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

  events.on('batchCompleted', (e) => {
    recordsIn.inc({ topic: e.topic }, e.records);
    recordsSkipped.inc({ topic: e.topic }, e.skipped);
    batchSize.observe(e.records);
    batchSeconds.observe(e.durationMs / 1000);
    if (e.lag !== null) lag.set(e.partition, { topic: e.topic }, e.lag);
  });
  events.on('segmentApplied', (e) => {
    applied.inc(e.applied);
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
  events.on('outboxBacklog', (e) => outboxBacklog.set(e.partition, {}, e.entries));
  events.on('pendingTimers', (e) => pendingTimers.set(e.partition, {}, e.timers));
  events.on('groupJoined', (e) => partitionGauges.keepOnly(e.partitions));
  events.on('partitionClaimed', (e) => {
    claims.inc();
    if (e.redisBehindKafka) behind.inc();
  });
  events.on('offsetsCommitted', () => commits.inc());
  return { registry };
}
