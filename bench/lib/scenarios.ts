import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { primariesOf, type RedisClient } from '../../shared/redis/connection.js';
import { allTopicNames, topicCatalogue } from '../../shared/topics.js';
import {
  type Applied,
  AppliedOffsetReader,
  describeProgress,
  type Progress,
  progressOf,
  type Targets,
} from './applied-offsets.js';
import type { BenchRecord, Dataset } from './datasets.js';
import {
  connectProducer,
  createBenchTopics,
  produceAll,
  rawConsumeAndDecode,
  recordsIn,
  sendChunk,
  type TopicEnds,
  topicEnds,
} from './kafka-io.js';
import { quantile } from './metric-samples.js';
import { type BenchOptions, SCENARIO_TITLES, type ScenarioName } from './options.js';
import { ProgressTimeline } from './progress-timeline.js';
import type { LivePart, ScenarioResult, ScenarioStatus } from './report.js';
import {
  startInProcess,
  startProcesses,
  type WorkerHandle,
  type WorkerKind,
  type WorkerMeasures,
} from './workers.js';

// One scenario: its own topics, consumer groups and Redis keys (prefixed with the run's id and
// the scenario's name), the dataset produced, the raw baseline on the same topics, the worker
// from its start until Redis's applied offsets reach every partition's end, then clean-up.

export interface BenchContext {
  readonly runId: string;
  readonly root: string;
  readonly options: BenchOptions;
  readonly brokers: readonly string[];
  readonly redisUrl: string;
  readonly kafka: Kafka;
  readonly admin: Admin;
  /** The bench's own connection (polls applied offsets, deletes keys): not the worker's. */
  readonly redis: RedisClient;
  /** host:port,... of a Redis Cluster ('' for one Redis at redisUrl). */
  readonly redisClusterNodes: string;
  readonly logDir: string;
  readonly signal: AbortSignal;
  readonly children: Set<ChildProcess>;
  log(line: string): void;
}

export interface ScenarioPlan {
  readonly name: ScenarioName;
  readonly worker: WorkerKind;
  /** Logical input topics of the worker with their schemas (empty ones included). */
  readonly inputs: ReadonlyArray<{ readonly topic: string; readonly schema: string }>;
  readonly dataset: Dataset;
  /** Worker settings that differ from the defaults (also recorded in the results). */
  readonly settings: Readonly<Record<string, string>>;
  readonly mode: 'in-process' | 'backfill-live' | 'processes';
  /** Worker processes of the group in 'processes' mode (2 when absent). */
  readonly processes?: number;
}

const POLL_MS = 50;
const HEALTH_EVERY_MS = 1000;

interface Names {
  readonly id: string;
  readonly topic: (logical: string) => string;
  readonly workerGroup: string;
  readonly rawGroup: string;
  readonly rawRedisGroup: string;
}

function namesOf(ctx: BenchContext, plan: ScenarioPlan): Names {
  const id = `${ctx.runId}-${plan.name}`;
  return {
    id,
    topic: (logical) => `${id}.${logical}`,
    workerGroup: `${id}.${plan.worker}`,
    rawGroup: `${id}.raw`,
    rawRedisGroup: `${id}.raw-redis`,
  };
}

function workerEnv(ctx: BenchContext, plan: ScenarioPlan, names: Names): Record<string, string> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  return {
    ...inherited,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    ...plan.settings,
    KAFKA_BROKERS: ctx.brokers.join(','),
    ...(ctx.redisClusterNodes ? { REDIS_CLUSTER_NODES: ctx.redisClusterNodes } : { REDIS_URL: ctx.redisUrl }),
    TOPIC_PREFIX: `${names.id}.`,
    KEY_PREFIX: names.id,
    CONSUMER_GROUP_PREFIX: names.id,
    KAFKA_CLIENT_ID: names.id,
    TOPIC_PARTITIONS: String(ctx.options.partitions),
  };
}

function targetsOf(plan: ScenarioPlan, names: Names, ends: TopicEnds): Targets {
  return new Map(plan.inputs.map((i) => [i.topic, ends.get(names.topic(i.topic))!]));
}

function byTopic(targets: Targets): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [topic, { low, high }] of targets) {
    let n = 0n;
    for (let p = 0; p < high.length; p++) n += high[p]! - (low[p] ?? 0n);
    counts[topic] = Number(n);
  }
  return counts;
}

interface WaitOutcome {
  readonly status: ScenarioStatus;
  readonly at: number;
  readonly progress: Progress;
  readonly failure?: string;
}

/**
 * Polls Redis's applied offsets every 50 ms until every partition of every input reaches its
 * end offset (once `final()` says the ends no longer move), the worker fails its health check,
 * or the deadline passes.
 */
async function waitUntilApplied(args: {
  readonly ctx: BenchContext;
  readonly scenario: ScenarioName;
  readonly reader: AppliedOffsetReader;
  readonly targets: () => Targets;
  readonly final: () => boolean;
  readonly worker: WorkerHandle;
  readonly deadline: number;
  readonly onPoll?: (applied: Applied, now: number) => void;
}): Promise<WaitOutcome> {
  const { ctx, reader, worker } = args;
  let lastHealth = performance.now();
  let lastReport = performance.now();
  let progress: Progress = progressOf(args.targets(), new Map());
  for (;;) {
    const applied = await reader.read();
    const now = performance.now();
    args.onPoll?.(applied, now);
    progress = progressOf(args.targets(), applied);
    if (args.final() && progress.done) return { status: 'ok', at: now, progress };
    if (ctx.signal.aborted)
      return { status: 'error', at: now, progress, failure: `interrupted; ${describeProgress(progress)}` };
    if (now - lastHealth >= HEALTH_EVERY_MS) {
      lastHealth = now;
      const problem = await worker.health();
      if (problem !== null)
        return {
          status: 'crashed',
          at: now,
          progress,
          failure: `${describeProgress(progress)} after ${((now - worker.startedAt) / 1000).toFixed(1)} s; ${problem}`,
        };
    }
    if (now >= args.deadline)
      return {
        status: 'timeout',
        at: now,
        progress,
        failure:
          `did not reach the end offsets within ${ctx.options.timeoutSeconds} s (--timeout): ` +
          describeProgress(progress),
      };
    if (now - lastReport >= 10_000) {
      lastReport = now;
      ctx.log(
        `[${args.scenario}] ${((now - worker.startedAt) / 1000).toFixed(0)} s: ${describeProgress(progress, 3)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Scans every primary (each holds its own keys on a Cluster) and unlinks key by key (one slot each). */
async function deleteKeys(redis: RedisClient, prefix: string): Promise<number> {
  let deleted = 0;
  for (const node of primariesOf(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) {
        const pipeline = node.pipeline();
        for (const key of keys) pipeline.unlink(key);
        for (const [error, count] of (await pipeline.exec()) ?? []) if (!error) deleted += Number(count);
      }
    } while (cursor !== '0');
  }
  return deleted;
}

/** Deletes what a run left: topics, consumer groups and Redis keys whose names start with `prefix`. */
export async function cleanUp(ctx: BenchContext, prefix: string): Promise<void> {
  const topics = (await ctx.admin.listTopics()).filter((t) => t.startsWith(prefix));
  if (topics.length > 0)
    await ctx.admin
      .deleteTopics({ topics, timeout: 30_000 })
      .catch((error: Error) =>
        ctx.log(`clean-up: cannot delete topics ${topics.join(', ')}: ${error.message}`),
      );
  const groups = (await ctx.admin.listGroups()).groups
    .map((g) => g.groupId)
    .filter((g) => g.startsWith(prefix));
  if (groups.length > 0)
    await ctx.admin
      .deleteGroups(groups)
      .catch((error: Error) =>
        ctx.log(`clean-up: cannot delete groups ${groups.join(', ')}: ${error.message}`),
      );
  await deleteKeys(ctx.redis, prefix).catch((error: Error) =>
    ctx.log(`clean-up: cannot delete Redis keys ${prefix}*: ${error.message}`),
  );
}

function emptyResult(plan: ScenarioPlan, processes: number): ScenarioResult {
  return {
    scenario: plan.name,
    title: SCENARIO_TITLES[plan.name],
    status: 'error',
    workerProcesses: processes,
    settings: plan.settings,
    records: { total: 0, byTopic: {} },
    appliedRecords: 0,
    seconds: 0,
    eventsPerSecond: null,
    raw: null,
    ratioToRaw: null,
    rawWithRedis: null,
    ratioToRawWithRedis: null,
    fetched: { runtimeMetric: 0, runtimeEvents: null, kafkajs: null, used: 0 },
    readAmplification: null,
    redisCommands: { total: 0, byCommand: {}, perEvent: null },
    populationWaits: 0,
    batchMs: null,
    stepMs: null,
  };
}

function resultOf(
  plan: ScenarioPlan,
  processes: number,
  targets: Targets,
  outcome: WaitOutcome,
  startedAt: number,
  measures: WorkerMeasures,
  { raw, rawWithRedis }: RawBaselines,
  recordsAtEnd: number | null,
): ScenarioResult {
  const total = outcome.progress.totalRecords;
  // Fetched over what the topics held when it stopped: a worker that writes into its own input
  // (retention's ladder moves into segment-changes) reads those records too, once.
  const inTopics = Math.max(total, recordsAtEnd ?? total);
  const clockFrom = measures.firstRecordAt ?? startedAt;
  const seconds = (outcome.at - clockFrom) / 1000;
  const ok = outcome.status === 'ok';
  const eventsPerSecond = ok && seconds > 0 ? total / seconds : null;
  const fetchedUsed = Math.max(
    measures.consumedMetric,
    measures.fetchedEvents ?? 0,
    measures.fetchedKafkajs ?? 0,
  );
  const commandsTotal = Object.values(measures.commands).reduce((a, b) => a + b, 0);
  return {
    ...emptyResult(plan, processes),
    status: outcome.status,
    ...(outcome.failure === undefined ? {} : { failure: outcome.failure }),
    records: { total, byTopic: byTopic(targets), ...(recordsAtEnd === null ? {} : { atEnd: recordsAtEnd }) },
    appliedRecords: outcome.progress.appliedRecords,
    seconds,
    startupSeconds: (clockFrom - startedAt) / 1000,
    eventsPerSecond,
    raw,
    ratioToRaw: eventsPerSecond !== null && raw !== null ? eventsPerSecond / raw.eventsPerSecond : null,
    rawWithRedis,
    ratioToRawWithRedis:
      eventsPerSecond !== null && rawWithRedis !== null
        ? eventsPerSecond / rawWithRedis.eventsPerSecond
        : null,
    fetched: {
      runtimeMetric: measures.consumedMetric,
      runtimeEvents: measures.fetchedEvents,
      kafkajs: measures.fetchedKafkajs,
      used: fetchedUsed,
    },
    // Over the records in the topics when it finished; over those applied so far when it did not.
    readAmplification:
      total === 0 ? null : fetchedUsed / (ok ? inTopics : Math.max(1, outcome.progress.appliedRecords)),
    redisCommands: {
      total: commandsTotal,
      byCommand: measures.commands,
      perEvent:
        total === 0 ? null : commandsTotal / (ok ? total : Math.max(1, outcome.progress.appliedRecords)),
    },
    populationWaits: measures.populationWaits,
    batchMs: measures.batchMs,
    stepMs: measures.stepMs,
    ...(measures.processes ? { processes: measures.processes } : {}),
  };
}

async function prepareTopics(ctx: BenchContext, names: Names): Promise<void> {
  await createBenchTopics(
    ctx.brokers,
    allTopicNames().map((t) => names.topic(t)),
    ctx.options.partitions,
  );
}

async function produceDataset(
  ctx: BenchContext,
  producer: Producer,
  plan: ScenarioPlan,
  names: Names,
  only?: (topic: string) => readonly BenchRecord[],
): Promise<void> {
  for (const input of plan.inputs) {
    const records = only ? only(input.topic) : (plan.dataset.get(input.topic) ?? []);
    if (records.length === 0) continue;
    const started = performance.now();
    await produceAll(producer, names.topic(input.topic), records, ctx.options.partitions);
    ctx.log(
      `[${plan.name}] produced ${records.length.toLocaleString('en-US')} records to ${input.topic} ` +
        `in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }
}

type RawBaselines = Pick<ScenarioResult, 'raw' | 'rawWithRedis'>;

/** Raw kafkajs consume + decode, then the same with each batch stored in Redis (kafka-io.ts). */
async function rawBaselines(
  ctx: BenchContext,
  plan: ScenarioPlan,
  names: Names,
  total: number,
): Promise<RawBaselines> {
  const topics = plan.inputs.map((i) => ({ topic: names.topic(i.topic), schema: i.schema }));
  const timeoutMs = ctx.options.timeoutSeconds * 1000;
  const rate = (r: { eventsPerSecond: number; seconds: number }) =>
    `${Math.round(r.eventsPerSecond).toLocaleString('en-US')} events/s (${r.seconds.toFixed(1)} s)`;
  const raw = await rawConsumeAndDecode(ctx.kafka, names.rawGroup, topics, total, timeoutMs);
  ctx.log(`[${plan.name}] raw kafkajs consume + decode: ${rate(raw)}`);
  const withRedis = await rawConsumeAndDecode(ctx.kafka, names.rawRedisGroup, topics, total, timeoutMs, {
    redis: ctx.redis,
    keyPrefix: names.id,
  });
  ctx.log(
    `[${plan.name}] raw kafkajs + Redis (a MULTI per batch: the HSET of its customers' counts, the offset): ${rate(withRedis)}`,
  );
  return {
    raw: { seconds: raw.seconds, eventsPerSecond: raw.eventsPerSecond, decodeFailures: raw.decodeFailures },
    rawWithRedis: { seconds: withRedis.seconds, eventsPerSecond: withRedis.eventsPerSecond },
  };
}

export async function runScenario(ctx: BenchContext, plan: ScenarioPlan): Promise<ScenarioResult> {
  const names = namesOf(ctx, plan);
  const processes = plan.mode === 'processes' ? (plan.processes ?? 2) : 1;
  ctx.log(`\n[${plan.name}] ${SCENARIO_TITLES[plan.name]}`);
  const producer = await connectProducer(ctx.kafka);
  try {
    await prepareTopics(ctx, names);
    if (plan.mode === 'backfill-live') return await runBackfillLive(ctx, plan, names, producer);
    await produceDataset(ctx, producer, plan, names);
    const ends = await topicEnds(
      ctx.admin,
      plan.inputs.map((i) => names.topic(i.topic)),
    );
    const targets = targetsOf(plan, names, ends);
    const total = progressOf(targets, new Map()).totalRecords;
    const raw = await rawBaselines(ctx, plan, names, total);
    const launch = {
      kind: plan.worker,
      env: workerEnv(ctx, plan, names),
      logFile: join(ctx.logDir, `${plan.name}.log`),
    };
    const reader = new AppliedOffsetReader(
      ctx.redis,
      names.id,
      plan.worker,
      ctx.options.partitions,
      plan.inputs.map((i) => i.topic),
    );
    ctx.log(
      `[${plan.name}] starting ${plan.mode === 'processes' ? `${processes} worker process(es)` : 'the worker'}: ` +
        `${total.toLocaleString('en-US')} records to apply`,
    );
    const worker =
      plan.mode === 'processes'
        ? await startProcesses(launch, ctx.root, processes, (child) => ctx.children.add(child))
        : await startInProcess(launch);
    const timeline = new ProgressTimeline(worker.startedAt);
    const outcome = await waitUntilApplied({
      ctx,
      scenario: plan.name,
      reader,
      targets: () => targets,
      final: () => true,
      worker,
      deadline: worker.startedAt + ctx.options.timeoutSeconds * 1000,
      onPoll: (applied, now) => timeline.note(now, progressOf(targets, applied).appliedRecords),
    });
    const measures = await worker.finish();
    const atEnd = recordsIn(
      await topicEnds(
        ctx.admin,
        plan.inputs.map((i) => names.topic(i.topic)),
      ),
    );
    return {
      ...resultOf(plan, processes, targets, outcome, worker.startedAt, measures, raw, atEnd),
      pauses: timeline.pauses(),
    };
  } catch (error) {
    return { ...emptyResult(plan, processes), failure: (error as Error).stack ?? String(error) };
  } finally {
    await producer.disconnect().catch(() => undefined);
    await cleanUp(ctx, `${names.id}`);
  }
}

/**
 * Backfill then live: the first half of the purchases is in the topic when the worker starts;
 * the second half is produced at `--live-rate` while it reads. Measured until the end offsets at
 * the end of production are applied. The raw baseline runs after, on the complete topic.
 */
async function runBackfillLive(
  ctx: BenchContext,
  plan: ScenarioPlan,
  names: Names,
  producer: Producer,
): Promise<ScenarioResult> {
  const purchasesTopic = topicCatalogue.purchases.name;
  const all = plan.dataset.get(purchasesTopic) ?? [];
  const half = Math.floor(all.length / 2);
  await produceDataset(ctx, producer, plan, names, (t) => (t === purchasesTopic ? all.slice(0, half) : []));
  const inputTopics = plan.inputs.map((i) => names.topic(i.topic));
  let targets = targetsOf(plan, names, await topicEnds(ctx.admin, inputTopics));
  const partitions = ctx.options.partitions;
  // What the bench has produced so far (acknowledged), per partition of the purchases topic.
  const producedEnd = [...targets.get(purchasesTopic)!.high];
  const pending: Array<{ partition: number; offset: bigint; ackAt: number }> = [];
  const latencies: number[] = [];
  let maxLag = 0;
  let productionDone = false;
  let productionEnd = 0;
  let productionStart = 0;
  let stopProducing = false;

  const reader = new AppliedOffsetReader(ctx.redis, names.id, plan.worker, partitions, [purchasesTopic]);
  const launch = {
    kind: plan.worker,
    env: workerEnv(ctx, plan, names),
    logFile: join(ctx.logDir, `${plan.name}.log`),
  };
  ctx.log(
    `[${plan.name}] starting the worker on ${half.toLocaleString('en-US')} records; ` +
      `${(all.length - half).toLocaleString('en-US')} more at ${ctx.options.liveRate.toLocaleString('en-US')}/s`,
  );
  const worker = await startInProcess(launch);
  const rate = ctx.options.liveRate;
  const chunk = Math.max(1, Math.round(rate / 20));
  const production = (async () => {
    productionStart = performance.now();
    for (let i = half; i < all.length && !ctx.signal.aborted && !stopProducing; i += chunk) {
      const due = productionStart + ((i - half) / rate) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const last = await sendChunk(
        producer,
        names.topic(purchasesTopic),
        all.slice(i, i + chunk),
        partitions,
      );
      const ackAt = performance.now();
      for (const [partition, offset] of last) {
        pending.push({ partition, offset, ackAt });
        producedEnd[partition] = offset + 1n;
      }
    }
    productionEnd = performance.now();
  })();
  let productionError: Error | null = null;
  const finished = production.then(
    async () => {
      targets = targetsOf(plan, names, await topicEnds(ctx.admin, inputTopics));
      productionDone = true;
    },
    (error: Error) => {
      productionError = error;
      productionDone = true;
    },
  );
  const outcome = await waitUntilApplied({
    ctx,
    scenario: plan.name,
    reader,
    targets: () => targets,
    final: () => productionDone,
    worker,
    deadline: worker.startedAt + ctx.options.timeoutSeconds * 1000,
    onPoll: (applied, now) => {
      const at = applied.get(purchasesTopic) ?? [];
      for (let i = pending.length - 1; i >= 0; i--) {
        const s = pending[i]!;
        const a = at[s.partition];
        if (a !== null && a !== undefined && a >= s.offset) {
          latencies.push(now - s.ackAt);
          pending.splice(i, 1);
        }
      }
      if (!productionDone) {
        let lag = 0n;
        for (let p = 0; p < partitions; p++) {
          const applied = at[p];
          const done =
            applied === null || applied === undefined
              ? (targets.get(purchasesTopic)!.low[p] ?? 0n)
              : applied + 1n;
          if (producedEnd[p]! > done) lag += producedEnd[p]! - done;
        }
        maxLag = Math.max(maxLag, Number(lag));
      }
    },
  });
  stopProducing = true;
  await Promise.race([finished, new Promise((resolve) => setTimeout(resolve, 30_000))]);
  const measures = await worker.finish();
  const raw = await rawBaselines(ctx, plan, names, progressOf(targets, new Map()).totalRecords).catch(
    (error: Error): RawBaselines => {
      ctx.log(`[${plan.name}] raw baseline failed: ${error.message}`);
      return { raw: null, rawWithRedis: null };
    },
  );
  const atEnd = recordsIn(await topicEnds(ctx.admin, inputTopics));
  const result = resultOf(plan, 1, targets, outcome, worker.startedAt, measures, raw, atEnd);
  const sorted = [...latencies].sort((a, b) => a - b);
  const liveRecords = all.length - half;
  const productionSeconds = ((productionEnd || performance.now()) - productionStart) / 1000;
  const live: LivePart = {
    rate,
    achievedRate: productionSeconds > 0 ? liveRecords / productionSeconds : 0,
    records: liveRecords,
    productionSeconds,
    drainSeconds: outcome.status === 'ok' && productionEnd > 0 ? (outcome.at - productionEnd) / 1000 : null,
    latencyMs: { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted.at(-1) ?? null },
    latencySamples: sorted.length,
    unappliedSamples: pending.length,
    maxLagRecords: maxLag,
  };
  const failure = productionError
    ? `producing the live half failed: ${(productionError as Error).message}`
    : result.failure;
  return {
    ...result,
    ...(productionError ? { status: 'error' as const } : {}),
    ...(failure === undefined ? {} : { failure }),
    live,
  };
}
