// Every metric a worker exposes, as data: name, type, labels, meaning, the workers that expose
// it and what makes it move. deploy/METRICS.md is generated from it (metrics-doc.ts); tests check
// that the workers' registries, the alert rules and the dashboard agree with it. Every metric also
// carries the `worker` label (the registry's default label); Prometheus adds `job` and `instance`.
// Labels take values from bounded sets only: never a customer id.

export type MetricType = 'counter' | 'gauge' | 'histogram';
export type WorkerName = 'value-segmentation' | 'share-of-wallet' | 'retention' | 'next-best-offer';

export const WORKERS: readonly WorkerName[] = [
  'value-segmentation',
  'share-of-wallet',
  'retention',
  'next-best-offer',
];

export interface CatalogueEntry {
  /** The exposed name (histograms add _bucket, _sum and _count). */
  readonly name: string;
  readonly type: MetricType;
  /** Labels besides `worker`, each with the bounded set its values come from. */
  readonly labels: Readonly<Record<string, string>>;
  readonly meaning: string;
  /** 'all' for the shared runtime's metrics. */
  readonly workers: 'all' | readonly WorkerName[];
  /** What makes it move: ordinary traffic, or only a fault (the integration test induces each). */
  readonly movesOn: 'traffic' | { readonly fault: string };
}

/** A group of metrics named by a prefix (prom-client's default process metrics). */
export interface CatalogueFamily {
  readonly prefix: string;
  readonly meaning: string;
  readonly workers: 'all';
}

const PARTITION = 'partition number of the input topics';
const TOPIC = 'logical input topic (purchases, interactions, customer-profiles, segment-changes)';
const OUTPUT_TOPIC = 'output or dead-letter topic, as named on the cluster (TOPIC_PREFIX included)';
const REASON = 'dead-letter reason code (shared/contracts/reason-codes.ts)';
const ERROR_REASON =
  'error reason code (REDIS_UNAVAILABLE, REDIS_REPLY_ERROR, REDIS_SCRIPT_ERROR, SCHEMA_REGISTRY_UNAVAILABLE, ...)';
const KIND =
  'decision kind (segment-changed, under-consumption, retention-offer, retention-holdout, ladder-move, next-best-offer, next-best-offer-holdout)';
const OPERATION =
  'the runtime call: claim, read, apply, snapshot, ack-outbox, read-counters, read-index-ranges, durable-wait, get-view, set-view, read-snapshots, read-counter-totals, latest-view';
const TIER = 'value tier (top2, top, middle, bottom, lapsed)';

export const METRICS: readonly CatalogueEntry[] = [
  // Throughput
  {
    name: 'vs_records_consumed_total',
    type: 'counter',
    labels: { topic: TOPIC },
    meaning:
      'Input records Kafka handed to the runtime (records in), on every fetch: re-fetches of records not yet applied (after a seek or a population wait) and re-deliveries included. Read amplification = consumed ÷ (applied + dead-lettered + skipped + duplicates): 1 when every record is fetched once.',
    workers: 'all',
    movesOn: 'traffic',
  },
  {
    name: 'vs_records_skipped_total',
    type: 'counter',
    labels: { topic: TOPIC },
    meaning: 'Re-delivered records at or below the offset Redis has applied, skipped (exactly-once guard).',
    workers: 'all',
    movesOn: { fault: 'a re-delivery after a crash or a rebalance' },
  },
  {
    name: 'vs_erasures_total',
    type: 'counter',
    labels: {},
    meaning:
      'Erasure requests (customer-erasures) applied: the customer’s state, timers, index entry and event ids deleted and its contribution taken out of the population counters; one ErasureCompleted each.',
    workers: 'all',
    movesOn: 'traffic',
  },
  {
    name: 'vs_erased_customer_records_total',
    type: 'counter',
    labels: { topic: TOPIC },
    meaning:
      'Input records skipped because their customer was erased and no newer profile re-admitted it: settled, never applied, no output.',
    workers: 'all',
    movesOn: 'traffic',
  },
  {
    name: 'vs_duplicate_events_total',
    type: 'counter',
    labels: { topic: TOPIC },
    meaning:
      'Input records skipped because their customer had their eventId applied within DEDUPE_HORIZON of stream time (a producer re-sent them): settled, never applied, no output. Purchases and interactions.',
    workers: 'all',
    movesOn: 'traffic',
  },
  {
    name: 'vs_records_applied_total',
    type: 'counter',
    labels: {},
    meaning: 'Input records applied to state (dead-lettered records excluded).',
    workers: 'all',
    movesOn: 'traffic',
  },
  {
    name: 'vs_records_dead_lettered_total',
    type: 'counter',
    labels: {},
    meaning:
      'Input records dead-lettered by a step Redis applied (settled without being applied). With vs_records_applied_total and vs_records_skipped_total, every input record settled; vs_dead_letters_total counts the dead letters produced, by reason.',
    workers: 'all',
    movesOn: 'traffic',
  },
  {
    name: 'vs_records_produced_total',
    type: 'counter',
    labels: { topic: OUTPUT_TOPIC },
    meaning: 'Records produced to Kafka (records out): decisions and dead letters.',
    workers: 'all',
    movesOn: 'traffic',
  },
  {
    name: 'vs_batch_records',
    type: 'histogram',
    labels: {},
    meaning: 'Records per fetch handed to the runtime for one partition (batch size).',
    workers: 'all',
    movesOn: 'traffic',
  },
  {
    name: 'vs_batch_duration_seconds',
    type: 'histogram',
    labels: {},
    meaning: 'Processing time of one batch: claim if needed, apply, make durable, produce, commit.',
    workers: 'all',
    movesOn: 'traffic',
  },
  {
    name: 'vs_population_merge_seconds',
    type: 'histogram',
    labels: {},
    meaning:
      'Time to merge one population view from every partition snapshot, once per process and boundary: tier thresholds, peer benchmarks, the retention model fits (which give the event loop turns while they run), or the next-best-offer rules, steps and prices (the mining time).',
    workers: 'all',
    movesOn: 'traffic',
  },
  {
    name: 'vs_produce_seconds',
    type: 'histogram',
    labels: {},
    meaning: 'Latency of producing one batch of outputs to Kafka.',
    workers: 'all',
    movesOn: 'traffic',
  },
  {
    name: 'vs_offset_commits_total',
    type: 'counter',
    labels: {},
    meaning: 'Kafka offset commits, each after the effects of the batch were durable and produced.',
    workers: 'all',
    movesOn: 'traffic',
  },
  // Decisions and latency
  {
    name: 'vs_decisions_total',
    type: 'counter',
    labels: {
      kind: KIND,
      label:
        'segment-changed: the value tier reached; ladder-move: the rung reached; retention-offer and retention-holdout: the value tier; under-consumption: the basis (household-calories, headcount-peer-usage)',
    },
    meaning: 'Decisions produced, by type and tier (or rung, or basis).',
    workers: 'all',
    movesOn: 'traffic',
  },
  {
    name: 'vs_end_to_end_latency_seconds',
    type: 'histogram',
    labels: { kind: KIND },
    meaning:
      'From the event time of the input (or the stream time of the timer) that caused a decision to the decision being produced. In a replay of history it measures the age of the history.',
    workers: 'all',
    movesOn: 'traffic',
  },
  {
    name: 'vs_dead_letters_total',
    type: 'counter',
    labels: { topic: OUTPUT_TOPIC, reason: REASON },
    meaning: 'Input records sent to a dead-letter topic, by reason code.',
    workers: 'all',
    movesOn: 'traffic',
  },
  // Position and progress
  {
    name: 'vs_consumer_lag',
    type: 'gauge',
    labels: { topic: TOPIC, partition: PARTITION },
    meaning:
      "Records of the partition not yet applied or dead-lettered, on the member that owns it: the end offset (high watermark) its last fetch saw minus Redis's applied offset minus 1, or minus the offset committed past transaction markers when further. Until the partition's applied offset is known it is the end offset (the log start is not known, so it reads high where retention deleted old records). Not kafkajs's fetch position: records fetched but not applied count. Dropped when the partition leaves the member.",
    workers: 'all',
    movesOn: 'traffic',
  },
  {
    name: 'vs_partition_stalled',
    type: 'gauge',
    labels: { partition: PARTITION },
    meaning:
      'Per partition the member owns: 1 when records wait (vs_consumer_lag > 0) and none has been applied or dead-lettered for STALL_AFTER_MS (a stuck step, Redis refusing it, a population barrier that never opens), else 0. /readyz answers 503 naming the partition meanwhile.',
    workers: 'all',
    movesOn: 'traffic',
  },
  {
    name: 'vs_stalled_partitions',
    type: 'gauge',
    labels: {},
    meaning:
      'How many partitions the member owns are stalled (the sum of vs_partition_stalled); 0 while every partition applies.',
    workers: 'all',
    movesOn: 'traffic',
  },
  {
    name: 'vs_stream_time_seconds',
    type: 'gauge',
    labels: { partition: PARTITION },
    meaning: 'Stream time of the partition (largest event time applied), epoch seconds.',
    workers: 'all',
    movesOn: 'traffic',
  },
  {
    name: 'vs_outbox_backlog',
    type: 'gauge',
    labels: { partition: PARTITION },
    meaning:
      'Entries in the partition’s Redis outbox not yet produced to Kafka and acknowledged; stays up while Kafka refuses the outputs.',
    workers: 'all',
    movesOn: 'traffic',
  },
  {
    name: 'vs_pending_timers',
    type: 'gauge',
    labels: { partition: PARTITION },
    meaning: 'Stream-time timers scheduled in Redis and not yet fired (exact, counted after each step).',
    workers: 'all',
    movesOn: 'traffic',
  },
  {
    name: 'vs_timers_fired_total',
    type: 'counter',
    labels: { kind: 'timer kind (age-out windows, ladder, churn risk, ...)' },
    meaning: 'Stream-time timers fired.',
    workers: 'all',
    movesOn: 'traffic',
  },
  {
    name: 'vs_population_waits_total',
    type: 'counter',
    labels: {},
    meaning: 'Times a partition paused at a population boundary until the other partitions snapshotted it.',
    workers: 'all',
    movesOn: 'traffic',
  },
  {
    name: 'vs_population_views_applied_total',
    type: 'counter',
    labels: {},
    meaning: 'Population views (tier thresholds, peer benchmarks, model fits) applied in a partition.',
    workers: 'all',
    movesOn: 'traffic',
  },
  // Ownership and Redis
  {
    name: 'vs_partition_claims_total',
    type: 'counter',
    labels: {},
    meaning: 'Partition claims (owner epoch bumps) at assignment or after an unknown outcome.',
    workers: 'all',
    movesOn: 'traffic',
  },
  {
    name: 'vs_partitions_fenced_total',
    type: 'counter',
    labels: { reason: 'PARTITION_FENCED or STATE_VERSION_CONFLICT' },
    meaning: 'Steps rejected because another owner claimed the partition (a zombie after a rebalance).',
    workers: 'all',
    movesOn: { fault: 'a second claim of a partition the worker owns' },
  },
  {
    name: 'vs_redis_behind_kafka_total',
    type: 'counter',
    labels: {},
    meaning: 'Claims that found Redis behind the committed Kafka offset (lost writes) and replayed.',
    workers: 'all',
    movesOn: { fault: 'Redis losing its state while Kafka keeps the committed offsets' },
  },
  {
    name: 'vs_redis_command_seconds',
    type: 'histogram',
    labels: { operation: OPERATION },
    meaning: 'Latency of the runtime’s Redis calls, by operation.',
    workers: 'all',
    movesOn: 'traffic',
  },
  {
    name: 'vs_redis_commands_total',
    type: 'counter',
    labels: {
      connection:
        'Redis connection name, <KAFKA_CLIENT_ID>-<worker> (one per worker process; every connection the process opened)',
      command: 'Redis command name, lower case (fcall, client, info, ...)',
    },
    meaning:
      'Commands the worker sent to Redis, counted as the server receives them: an FCALL is one whatever its script runs, each pipelined command is one. Commands per record = rate of this ÷ rate of vs_records_consumed_total.',
    workers: 'all',
    movesOn: 'traffic',
  },
  {
    name: 'vs_redis_errors_total',
    type: 'counter',
    labels: { operation: OPERATION, reason: ERROR_REASON },
    meaning: 'Redis calls that failed or whose outcome is unknown (fencing excluded).',
    workers: 'all',
    movesOn: { fault: 'Redis unreachable' },
  },
  {
    name: 'vs_batch_retries_total',
    type: 'counter',
    labels: { reason: ERROR_REASON },
    meaning:
      'Batches that failed with an unknown outcome (Redis or Kafka unreachable) and were retried after a claim; or that wait, not decoded, for the schema registry (reason SCHEMA_REGISTRY_UNAVAILABLE) and are retried with backoff.',
    workers: 'all',
    movesOn: { fault: 'Redis unreachable' },
  },
  {
    name: 'vs_redis_function_reloads_total',
    type: 'counter',
    labels: {},
    meaning:
      'Times the Redis function library was missing (restart without persistence, failover, FUNCTION FLUSH) and was loaded again.',
    workers: 'all',
    movesOn: { fault: 'FUNCTION FLUSH on the worker’s Redis' },
  },
  // Schema registry (only with SCHEMA_REGISTRY_URL set)
  {
    name: 'vs_schema_registry_requests_total',
    type: 'counter',
    labels: {
      operation: 'probe, get-schema, register, compatibility',
      outcome: 'ok, not-found, incompatible, rejected, unavailable',
    },
    meaning:
      'Requests to the schema registry. Only workers with SCHEMA_REGISTRY_URL set expose the schema registry metrics.',
    workers: 'all',
    movesOn: { fault: 'a worker with SCHEMA_REGISTRY_URL set (and the registry stopped, for unavailable)' },
  },
  {
    name: 'vs_schema_registry_up',
    type: 'gauge',
    labels: {},
    meaning:
      '1 when the last request to the schema registry got an answer; 0 when it was unreachable, timed out, answered 5xx or refused our credentials (framed records then wait, not decoded).',
    workers: 'all',
    movesOn: { fault: 'a worker with SCHEMA_REGISTRY_URL set' },
  },
  {
    name: 'vs_schema_cache_lookups_total',
    type: 'counter',
    labels: { result: 'hit (cached) or miss (fetched from the registry)' },
    meaning: 'Writer schema ids of framed input records looked up before decoding.',
    workers: 'all',
    movesOn: { fault: 'a worker with SCHEMA_REGISTRY_URL set reading framed input' },
  },
  // Process
  {
    name: 'vs_ready',
    type: 'gauge',
    labels: {},
    meaning:
      '1 while the worker is consuming (member of its group, fetching, Redis connected, no partition stalled), else 0: what /readyz answers.',
    workers: 'all',
    movesOn: 'traffic',
  },
  {
    name: 'vs_metric_collect_errors_total',
    type: 'counter',
    labels: { metric: 'name of a metric read at scrape time' },
    meaning: 'Scrape-time collections that failed or timed out (gauges read from Redis while it is down).',
    workers: 'all',
    movesOn: { fault: 'Redis unreachable during a scrape' },
  },
  {
    name: 'vs_process_process_cpu_seconds_total',
    type: 'counter',
    labels: {},
    meaning: 'CPU time of the worker process (user and system).',
    workers: 'all',
    movesOn: 'traffic',
  },
  {
    name: 'vs_process_process_resident_memory_bytes',
    type: 'gauge',
    labels: {},
    meaning: 'Resident memory of the worker process.',
    workers: 'all',
    movesOn: 'traffic',
  },
  {
    name: 'vs_process_nodejs_eventloop_lag_p99_seconds',
    type: 'gauge',
    labels: {},
    meaning: '99th percentile of the Node.js event-loop delay.',
    workers: 'all',
    movesOn: 'traffic',
  },
  // Value segmentation
  {
    name: 'vs_value_tier_customers',
    type: 'gauge',
    labels: { tier: TIER },
    meaning: 'Customers per value tier, all partitions (read from Redis at scrape time).',
    workers: ['value-segmentation'],
    movesOn: 'traffic',
  },
  {
    name: 'vs_value_skew_share',
    type: 'gauge',
    labels: { segment: 'top2, top20, bottom20' },
    meaning: 'Share of total rolling value from the top 2 %, the top 20 % and the bottom 20 % of customers.',
    workers: ['value-segmentation'],
    movesOn: 'traffic',
  },
  {
    name: 'vs_value_threshold_minor',
    type: 'gauge',
    labels: { tier: 'top2, top, middle (the lower edge of the tier)' },
    meaning: 'Current tier thresholds of rolling value, minor units.',
    workers: ['value-segmentation'],
    movesOn: 'traffic',
  },
  {
    name: 'vs_value_population_size',
    type: 'gauge',
    labels: {},
    meaning: 'Active customers ranked at the newest thresholds boundary.',
    workers: ['value-segmentation'],
    movesOn: 'traffic',
  },
  // Share of wallet
  {
    name: 'vs_share_of_wallet',
    type: 'histogram',
    labels: { basis: 'household-calories or headcount-peer-usage', window: 'window in days' },
    meaning: 'Share of wallet (actual / expected consumption) at each evaluation.',
    workers: ['share-of-wallet'],
    movesOn: 'traffic',
  },
  {
    name: 'vs_share_of_wallet_evaluations_total',
    type: 'counter',
    labels: {
      outcome:
        'evaluated, no-profile, empty-household, missing-headcount, insufficient-history, no-peer-benchmark, no-peer-usage',
      basis: 'household-calories or headcount-peer-usage',
    },
    meaning: 'Share-of-wallet evaluations per customer, window and unit, by outcome.',
    workers: ['share-of-wallet'],
    movesOn: 'traffic',
  },
  // Retention
  {
    name: 'vs_retention_model_parameter',
    type: 'gauge',
    labels: { model: 'bgnbd, gamma-gamma', parameter: 'r, alpha, a, b; p, q, gamma' },
    meaning:
      'Fitted population parameters of the models in force, each its last accepted fit (Gamma-Gamma gamma in minor units).',
    workers: ['retention'],
    movesOn: 'traffic',
  },
  {
    name: 'vs_retention_model_log_likelihood',
    type: 'gauge',
    labels: { model: 'bgnbd, gamma-gamma', what: 'log-likelihood, customers, fitted-at-seconds' },
    meaning:
      'Log-likelihood of each model in force, the customers its fit covered and the boundary it was fitted at.',
    workers: ['retention'],
    movesOn: 'traffic',
  },
  {
    name: 'vs_next_best_offer_decisions_total',
    type: 'counter',
    labels: {
      outcome: 'suggest, holdout, no-consent, cooldown, no-suggestion',
      tier: `${TIER}, unknown`,
      trigger: 'purchase, due-step',
    },
    meaning:
      'Suggestion decisions on a sale or a due up-sell step (once a model is in force), by outcome: sent, held out (control group), or suppressed and why.',
    workers: ['next-best-offer'],
    movesOn: 'traffic',
  },
  {
    name: 'vs_next_best_offer_suggestions_total',
    type: 'counter',
    labels: { kind: 'rule, sequence, ladder, popular', tier: `${TIER}, unknown` },
    meaning:
      "Items suggested (holdouts included), by the evidence that valued each highest: a basket rule, a learned up-sell step, a configured ladder, or the window's most-bought items filling the places left (NBO_POPULAR_FILL).",
    workers: ['next-best-offer'],
    movesOn: 'traffic',
  },
  {
    name: 'vs_next_best_offer_conversions_total',
    type: 'counter',
    labels: { arm: 'suggested, holdout', tier: `${TIER}, unknown` },
    meaning:
      'Suggestions (and holdouts) whose customer bought one of the items within NBO_RECENT_DAYS: with the decisions, the uplift of suggesting over not suggesting, per tier.',
    workers: ['next-best-offer'],
    movesOn: 'traffic',
  },
  {
    name: 'vs_next_best_offer_model',
    type: 'gauge',
    labels: {
      what: 'rules, rules-mined, steps, items, baskets, boundary-seconds',
      length: 'rule length 1-10 (what="rules"), empty otherwise',
    },
    meaning:
      'The model in force (the latest view applied): rules by length, rules mined before NBO_MAX_RULES, learned up-sell steps, items priced, baskets in the window and the boundary it was mined at. Read from Redis at scrape time.',
    workers: ['next-best-offer'],
    movesOn: 'traffic',
  },
  {
    name: 'vs_retention_model_stale_after_seconds',
    type: 'gauge',
    labels: {},
    meaning:
      'Stream time with no accepted BG/NBD fit after which ValuestreamRetentionModelStale fires: RETENTION_STALE_FIT_PERIODS × RETENTION_FIT_PERIOD.',
    workers: ['retention'],
    movesOn: 'traffic',
  },
  {
    name: 'vs_retention_model_fits_total',
    type: 'counter',
    labels: {
      model: 'bgnbd, gamma-gamma',
      outcome: 'accepted, too-few-customers, too-few-repeat-buyers, no-convergence, degenerate-parameters',
    },
    meaning:
      'Model fits this process ran at fit-period boundaries, by outcome; a fit not accepted keeps the model in force (Gamma-Gamma is fitted only after an accepted BG/NBD fit).',
    workers: ['retention'],
    movesOn: 'traffic',
  },
  {
    name: 'vs_retention_uplift_customers',
    type: 'gauge',
    labels: { group: 'offer, holdout', tier: TIER, what: 'assigned, retained' },
    meaning: 'Customers given an offer or held out, and those of them who bought again before expiry.',
    workers: ['retention'],
    movesOn: 'traffic',
  },
  {
    name: 'vs_retention_budget_used_minor',
    type: 'gauge',
    labels: { tier: TIER },
    meaning: 'Offer budget charged over the days still counted in Redis, minor units.',
    workers: ['retention'],
    movesOn: 'traffic',
  },
  {
    name: 'vs_retention_rate',
    type: 'gauge',
    labels: { tier: TIER },
    meaning:
      'Share of the customers who bought in a period who bought again in the next one (newest complete cohort).',
    workers: ['retention'],
    movesOn: 'traffic',
  },
  {
    name: 'vs_repeat_revenue_share',
    type: 'gauge',
    labels: { window: 'period, all' },
    meaning: 'Share of revenue from repeat purchase days: the newest complete period, and all time.',
    workers: ['retention'],
    movesOn: 'traffic',
  },
  {
    name: 'vs_retention_treatments_total',
    type: 'counter',
    labels: {
      tier: TIER,
      outcome: 'offer, holdout, no-consent, cooldown, no-paid-offer, budget-exhausted',
      reason: 'first risk reason (silence, dissatisfaction, spend-decline)',
    },
    meaning: 'At-risk decisions by tier, outcome and first reason.',
    workers: ['retention'],
    movesOn: 'traffic',
  },
];

export const FAMILIES: readonly CatalogueFamily[] = [
  {
    prefix: 'vs_process_',
    meaning:
      'The other Node.js process metrics of prom-client’s collectDefaultMetrics under this prefix: CPU user and system seconds, start time, virtual memory and heap, open and max file descriptors, event-loop lag statistics, active handles, requests and resources, V8 heap spaces, GC durations, Node.js version.',
    workers: 'all',
  },
];

export function catalogueEntry(name: string): CatalogueEntry | undefined {
  return METRICS.find((m) => m.name === name);
}

/** Whether `worker` exposes the metric. */
export function exposedBy(entry: CatalogueEntry, worker: WorkerName): boolean {
  return entry.workers === 'all' || entry.workers.includes(worker);
}

/** Whether a registered metric name is documented: its own entry, or a family's prefix. */
export function isCatalogued(name: string): boolean {
  return catalogueEntry(name) !== undefined || FAMILIES.some((f) => name.startsWith(f.prefix));
}

/** The series names a metric is exposed under (histograms: _bucket, _sum, _count). */
export function seriesNames(entry: Pick<CatalogueEntry, 'name' | 'type'>): string[] {
  return entry.type === 'histogram'
    ? [`${entry.name}_bucket`, `${entry.name}_sum`, `${entry.name}_count`]
    : [entry.name];
}
