import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import type { Admin } from 'kafkajs';
import { expect } from 'vitest';
import type { RedisClient } from '../../shared/redis/connection.js';
import { partitionKeys } from '../../shared/redis/keys.js';
import { deadLetterTopicOf } from '../../shared/topics.js';
import { clusterStackEnv, readStackEnvFile, runStack } from '../support/cluster-stack.js';
import { testEndpoints } from '../support/endpoints.js';
import { createTestTopics, produceRecords, testKafka, waitFor } from '../support/kafka-test-client.js';
import { type OwnRedisCluster, ownRedisCluster } from '../support/redis-cluster.js';
import {
  commitsAheadOfRedis,
  committedOffsets,
  deleteKeys,
  idFreeName,
  type OwnRedis,
  ownRedisServer,
  PARTITIONS,
  type RedisPersistence,
} from '../support/scenario.js';
import { committedToEnd } from '../support/value-segmentation-check.js';
import { describeWorker, startWorkerProcess, type WorkerProcess } from '../support/worker-process.js';
import type { LoadOptions } from './load.js';
import {
  appliedOffsetsOf,
  type RunContext,
  type RunningLoad,
  type TablePhase,
  type Workload,
} from './workload.js';
import { valueSegmentationWorkload } from './workloads/value-segmentation.js';

// One fault scenario: a worker group of one workload (workload.ts) on its own topics, consumer
// group and Redis, under a continuous load on its stream input. Workers run under a supervisor
// that restarts them when they die (as Kubernetes would), each start taking the next failpoint
// of its plan. Table inputs are produced and applied before the load (they are applied on
// arrival, so the load's faults are what is under test). The run ends when the load has been
// sent and the group has committed every input to its end; then the workers stop gracefully and
// the topics and Redis are compared with the workload's oracle.

export interface FaultRunOptions {
  readonly name: string;
  readonly seed: number;
  /**
   * The run's Redis: the suite stack's, a redis-server of its own with this persistence, or a
   * Redis Cluster of its own (three primaries, a replica each; the workers get REDIS_CLUSTER_NODES).
   */
  readonly redis: 'stack' | RedisPersistence | 'cluster';
  /**
   * 'three-brokers': the run gets a stack of its own from `deploy/stack.sh up --cluster` (three
   * Kafka brokers, replication factor 3, min.insync.replicas 2, and its Redis Cluster, which
   * then replaces `redis`), torn down after the run.
   */
  readonly kafka?: 'suite' | 'three-brokers';
  /** The worker under test (made when the run starts); value segmentation under the simulator's load when absent. */
  readonly workload?: () => Workload;
  readonly workerEnv?: Record<string, string>;
  /** Options of the value-segmentation load (simulator); only without `workload`. */
  readonly load?: Partial<Omit<LoadOptions, 'seed'>>;
  /**
   * Kafka's committed offsets may never pass Redis's applied offsets (sampled throughout). Off
   * only where the scenario makes Redis lose writes it acknowledged (no AOF): then the worker
   * must notice and replay instead.
   */
  readonly commitsWithinRedis?: boolean;
}

export interface ScenarioResult {
  readonly scenario: string;
  readonly recordsIn: number;
  readonly applied: number;
  readonly deadLettered: number;
  readonly outputs: number;
  /** Outputs and dead letters produced more than once (same eventId / same original offset). */
  readonly duplicates: number;
  readonly faults: number;
  readonly restarts: number;
  /** Worst time from a fault (or its end) until the group had committed everything produced by then. */
  readonly recoverMs: number | null;
  readonly wallMs: number;
}

interface Supervised {
  readonly name: string;
  current: WorkerProcess;
  readonly failpoints: string[];
  starts: number;
  stopping: boolean;
  readonly env: Record<string, string>;
  exits: Promise<void>;
}

export const WORKER_TIMING = {
  SESSION_TIMEOUT_MS: '6000',
  HEARTBEAT_INTERVAL_MS: '500',
  MAX_BATCH_RECORDS: '200',
  SHUTDOWN_TIMEOUT_MS: '15000',
  REDIS_COMMAND_TIMEOUT_MS: '3000',
};

export class FaultRun {
  readonly started = Date.now();
  readonly violations: string[] = [];
  private readonly workers = new Map<string, Supervised>();
  private readonly recoveries: Array<Promise<number>> = [];
  private faults = 0;
  private restarts = 0;
  private sampling = true;
  private readonly sampler: Promise<void>;
  private load: RunningLoad | null = null;
  private tablesProduced: boolean;

  private constructor(
    readonly options: FaultRunOptions,
    readonly workload: Workload,
    readonly context: RunContext,
    readonly ownRedis: OwnRedis | null,
    readonly ownCluster: OwnRedisCluster | null,
    /** The run's own cluster stack (kafka: 'three-brokers'): its dir and deploy/stack.sh environment. */
    readonly clusterStack: ClusterStack | null,
    readonly redis: RedisClient,
    private readonly admin: Admin,
  ) {
    this.tablesProduced = workload.before.length === 0;
    this.sampler = this.sampleCommits();
  }

  static async create(options: FaultRunOptions): Promise<FaultRun> {
    const workload = options.workload?.() ?? valueSegmentationWorkload(options.seed, options.load);
    const clusterStack = options.kafka === 'three-brokers' ? await startClusterStack(options.name) : null;
    const ownCluster = options.redis === 'cluster' && !clusterStack ? await ownRedisCluster(3, 1) : null;
    const ownRedis =
      options.redis === 'stack' || options.redis === 'cluster' ? null : await ownRedisServer(options.redis);
    const suite = testEndpoints();
    const kafkaBrokers = clusterStack?.brokers ?? suite.kafkaBrokers;
    const redisUrl = suite.redisUrl;
    const redisNodes = clusterStack?.redisNodes ?? ownCluster?.seeds ?? null;
    const topicPrefix = `${idFreeName(options.name)}.`;
    const groupPrefix = idFreeName(options.name);
    const context: RunContext = {
      name: options.name,
      brokers: kafkaBrokers,
      redisUrl: ownRedis?.url ?? redisUrl,
      topicPrefix,
      keyPrefix: idFreeName(options.name),
      groupPrefix,
      groupId: `${groupPrefix}.${workload.worker}`,
      partitions: PARTITIONS,
      topic: (logical) => topicPrefix + logical,
    };
    await createTestTopics(
      kafkaBrokers,
      [...workload.inputs, ...workload.inputs.map(deadLetterTopicOf), ...workload.outputs].map(context.topic),
      PARTITIONS,
      clusterStack ? 3 : 1,
    );
    // Commands fail fast while the run's Redis is down; the checks retry them.
    const redis: RedisClient = redisNodes
      ? clusterClient(redisNodes)
      : new Redis(context.redisUrl, { maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined);
    const admin = testKafka(kafkaBrokers).admin();
    await admin.connect();
    return new FaultRun(options, workload, context, ownRedis, ownCluster, clusterStack, redis, admin);
  }

  get faultCount(): number {
    return this.faults;
  }

  /** Starts a supervised worker; each (re)start takes the next failpoint of `failpoints`. */
  async startWorker(name: string, failpoints: readonly string[] = []): Promise<WorkerProcess> {
    const supervised: Supervised = {
      name,
      current: undefined as never,
      failpoints: [...failpoints],
      starts: 0,
      stopping: false,
      env: { ...this.workload.env(this.context), ...WORKER_TIMING, ...this.options.workerEnv },
      exits: Promise.resolve(),
    };
    this.workers.set(name, supervised);
    await this.spawn(supervised);
    return supervised.current;
  }

  private async spawn(supervised: Supervised): Promise<void> {
    const failpoint = supervised.failpoints.shift();
    supervised.starts += 1;
    const run = this.context;
    const env = {
      KAFKA_BROKERS: run.brokers,
      REDIS_URL: run.redisUrl,
      TOPIC_PREFIX: run.topicPrefix,
      KEY_PREFIX: run.keyPrefix,
      CONSUMER_GROUP_PREFIX: run.groupPrefix,
      TOPIC_PARTITIONS: String(run.partitions),
      LOG_LEVEL: 'info',
      ...(this.ownCluster ? { REDIS_CLUSTER_NODES: this.ownCluster.seeds } : {}),
      ...(this.clusterStack ? { REDIS_CLUSTER_NODES: this.clusterStack.redisNodes } : {}),
      ...supervised.env,
      ...(failpoint ? { VS_FAILPOINT: failpoint } : {}),
    };
    const worker = await startWorkerProcess(
      this.workload.entry,
      env,
      `${this.options.name}-${supervised.name}-${supervised.starts}`,
      { preload: ['test/faults/failpoint.ts'] },
    );
    supervised.current = worker;
    supervised.exits = worker.exited.then(async (exit) => {
      if (supervised.stopping) return;
      // Died without being asked to: a fault. Measure the recovery from here, restart like a
      // supervisor would (after a short back-off).
      this.faults += 1;
      this.recoveries.push(this.measuredRecovery(Date.now()));
      if (exit.signal !== 'SIGKILL')
        this.violations.push(`${supervised.name} exited by itself (code ${exit.code}, ${exit.signal})`);
      await new Promise((resolve) => setTimeout(resolve, 500));
      if (supervised.stopping) return;
      this.restarts += 1;
      await this.spawn(supervised);
    });
  }

  worker(name: string): WorkerProcess {
    const supervised = this.workers.get(name);
    if (!supervised) throw new Error(`no worker ${name}`);
    return supervised.current;
  }

  /** Stops a worker gracefully (SIGTERM) and checks it exits 0. */
  async stopWorker(name: string): Promise<void> {
    const supervised = this.workers.get(name)!;
    supervised.stopping = true;
    const worker = supervised.current;
    if (worker.child.exitCode === null && worker.child.signalCode === null) {
      worker.kill('SIGTERM');
      const exit = await worker.exited;
      if (exit.code !== 0) this.violations.push(`${name} exited with ${exit.code}/${exit.signal} on SIGTERM`);
    }
    await supervised.exits;
    this.workers.delete(name);
  }

  /**
   * Produces the workload's table phases and has them applied by a worker without faults, which
   * then leaves: the faults of the scenario belong to the load that follows.
   */
  async produceTables(): Promise<void> {
    if (this.workload.before.length > 0) {
      await this.startWorker('tables');
      for (const phase of this.workload.before) await this.producePhase(phase);
      await this.stopWorker('tables');
    }
    this.tablesProduced = true;
  }

  private async producePhase(phase: TablePhase): Promise<void> {
    const topic = this.context.topic(phase.topic);
    await produceRecords(this.context.brokers, topic, phase.records);
    await waitFor(
      `the ${phase.name} applied`,
      () => committedToEnd(this.admin, this.context.groupId, topic),
      {
        timeoutMs: 180_000,
        intervalMs: 250,
      },
    );
  }

  /** Starts the workload's load on its stream input. */
  startLoad(): void {
    if (!this.tablesProduced) throw new Error('produceTables() must come before the load');
    this.load = this.workload.startLoad(this.context);
  }

  /** Redis's applied offset of the stream input per partition. */
  appliedOffsets(): Promise<Array<bigint | null>> {
    return appliedOffsetsOf(this.redis, this.context, this.workload.worker, this.workload.stream);
  }

  /** The group's committed offset of the stream input per partition. */
  committedOffsets(): Promise<Array<bigint | null>> {
    return committedOffsets(this.admin, this.context.groupId, this.context.topic(this.workload.stream));
  }

  /** Waits until the workers have applied at least `records` stream records in all (any process). */
  async waitApplied(records: number, timeoutMs = 90_000): Promise<void> {
    await waitFor(
      `${records} records applied in Redis`,
      async () => {
        const applied = await this.appliedOffsets();
        return (
          applied.reduce((sum, offset) => sum + (offset === null ? 0 : Number(offset) + 1), 0) >= records
        );
      },
      { timeoutMs, intervalMs: 100 },
    );
  }

  /** Waits until the load has written at least `records` records to the stream input. */
  async waitProduced(records: number, timeoutMs = 120_000): Promise<void> {
    const stream = this.context.topic(this.workload.stream);
    await waitFor(
      `${records} records produced`,
      async () => {
        const ends = await this.admin.fetchTopicOffsets(stream);
        return ends.reduce((sum, end) => sum + Number(BigInt(end.high) - BigInt(end.low)), 0) >= records;
      },
      { timeoutMs, intervalMs: 200 },
    );
  }

  /** Waits until `count` faults have happened (failpoints fired or faults injected). */
  async waitFaults(count: number, timeoutMs = 90_000): Promise<void> {
    await waitFor(`${count} faults`, async () => this.faults >= count, { timeoutMs, intervalMs: 100 });
  }

  /** Runs a fault from outside the workers (Redis, Kafka, signals) and measures the recovery from its end. */
  async inject(fault: () => Promise<void>): Promise<void> {
    this.faults += 1;
    await fault();
    this.recoveries.push(this.measuredRecovery(Date.now()));
  }

  /**
   * A recovery measured in the background: its failure fails the run when finish() awaits it (and
   * a run that fails earlier does not leave it unhandled).
   */
  private measuredRecovery(from: number): Promise<number> {
    const recovery = this.recoveryFrom(from);
    recovery.catch(() => undefined);
    return recovery;
  }

  /**
   * What a failed run prints, since a CI log keeps nothing else of it: per input partition the
   * end offset, the group's commit and Redis's applied offset, and each worker's account
   * (describeWorker: exit, progress metrics, last warnings and errors).
   */
  async describe(): Promise<string> {
    const lines = [`fault run ${this.options.name}: ${this.faults} faults, ${this.restarts} restarts`];
    for (const input of this.workload.inputs) {
      const topic = this.context.topic(input);
      try {
        const ends = await this.admin.fetchTopicOffsets(topic);
        const committed = await committedOffsets(this.admin, this.context.groupId, topic);
        const applied = await appliedOffsetsOf(this.redis, this.context, this.workload.worker, input);
        lines.push(
          `${input}: partition end/committed/applied ${ends
            .sort((a, b) => a.partition - b.partition)
            .map(
              (e) =>
                `${e.partition}:${e.high}/${committed[e.partition] ?? '-'}/${applied[e.partition] ?? '-'}`,
            )
            .join(' ')}`,
        );
      } catch (error) {
        lines.push(`${input}: offsets not read (${(error as Error).message})`);
      }
    }
    for (const supervised of this.workers.values())
      lines.push(
        `worker ${supervised.name} (start ${supervised.starts}):`,
        await describeWorker(supervised.current),
      );
    return lines.join('\n');
  }

  /** Time from `from` until the group has committed every stream record produced up to `from`. */
  private async recoveryFrom(from: number): Promise<number> {
    const stream = this.context.topic(this.workload.stream);
    const ends = await waitFor('topic offsets', () => this.admin.fetchTopicOffsets(stream), {
      timeoutMs: 120_000,
      intervalMs: 250,
    });
    await waitFor(
      'the group to commit what was produced before the fault',
      async () => {
        const committed = await committedOffsets(this.admin, this.context.groupId, stream);
        return ends.every((end) => {
          const c = committed[end.partition];
          return (
            BigInt(end.high) === BigInt(end.low) || (c !== null && c !== undefined && c >= BigInt(end.high))
          );
        });
      },
      { timeoutMs: 180_000, intervalMs: 100 },
    );
    return Date.now() - from;
  }

  private async sampleCommits(): Promise<void> {
    if (this.options.commitsWithinRedis === false) return;
    while (this.sampling) {
      try {
        for (const input of this.workload.inputs) {
          const committed = await committedOffsets(
            this.admin,
            this.context.groupId,
            this.context.topic(input),
          );
          const applied = await appliedOffsetsOf(this.redis, this.context, this.workload.worker, input);
          this.violations.push(...commitsAheadOfRedis(committed, applied).map((v) => `${input} ${v}`));
        }
      } catch {
        // Kafka or Redis is down in this scenario: nothing to sample now.
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  private async waitInputsCommittedToEnd(): Promise<void> {
    for (const input of this.workload.inputs)
      await waitFor(
        `the group to commit to the end of ${input}`,
        () => committedToEnd(this.admin, this.context.groupId, this.context.topic(input)),
        { timeoutMs: 180_000, intervalMs: 500 },
      );
  }

  /**
   * Waits until every partition's outbox is empty: the group commits what Redis holds, outputs
   * included, so a partition whose send failed last (a broker killed) can be committed to the end
   * with outputs that its next attempt, or its next owner, still has to produce.
   */
  private async waitOutboxesDrained(): Promise<void> {
    const outbox = (p: number) => partitionKeys(this.context.keyPrefix, this.workload.worker, p).outbox;
    await waitFor(
      'every outbox produced',
      async () => {
        const lengths = await Promise.all(
          Array.from({ length: PARTITIONS }, (_, p) => this.redis.llen(outbox(p))),
        );
        return lengths.every((n) => n === 0);
      },
      { timeoutMs: 120_000, intervalMs: 250 },
    );
  }

  /**
   * Finishes the run and checks it against the oracle; returns its row of the report. A run that
   * fails is left as it is, for the caller to describe and dispose of.
   */
  async finish(): Promise<ScenarioResult> {
    if (this.load) await this.load.finished;
    await this.waitInputsCommittedToEnd();
    for (const phase of this.workload.after) await this.producePhase(phase);
    await this.waitInputsCommittedToEnd();
    await this.waitOutboxesDrained();
    const recoveries = await Promise.all(this.recoveries);
    this.sampling = false;
    await this.sampler;
    for (const name of [...this.workers.keys()]) await this.stopWorker(name);
    expect(this.violations).toEqual([]);

    // Every record was applied or dead-lettered: Redis's applied offset is at each partition's end.
    let recordsIn = 0;
    for (const input of this.workload.inputs) {
      const ends = await this.admin.fetchTopicOffsets(this.context.topic(input));
      const applied = await appliedOffsetsOf(this.redis, this.context, this.workload.worker, input);
      for (const end of ends)
        if (BigInt(end.high) > 0n)
          expect(applied[end.partition], `${input} partition ${end.partition}`).toBe(BigInt(end.high) - 1n);
      recordsIn += ends.reduce((sum, end) => sum + Number(BigInt(end.high) - BigInt(end.low)), 0);
    }

    const comparison = await this.workload.compare(this.context, this.redis);
    const uniqueDead = comparison.uniqueDeadLetters;
    await this.dispose();
    return {
      scenario: this.options.name,
      recordsIn,
      applied: recordsIn - uniqueDead,
      deadLettered: uniqueDead,
      outputs: comparison.outputs,
      duplicates: comparison.duplicates + (comparison.deadLetters - uniqueDead),
      faults: this.faults,
      restarts: this.restarts,
      recoverMs: recoveries.length === 0 ? null : Math.max(...recoveries),
      wallMs: Date.now() - this.started,
    };
  }

  /** Kills everything of the run that still runs (also after a failed check). */
  async dispose(): Promise<void> {
    this.sampling = false;
    for (const supervised of this.workers.values()) {
      supervised.stopping = true;
      const worker = supervised.current;
      if (worker.child.exitCode === null && worker.child.signalCode === null) {
        worker.kill('SIGCONT');
        worker.kill('SIGKILL');
        await worker.exited;
      }
    }
    this.workers.clear();
    this.load?.stop();
    await this.admin.disconnect().catch(() => undefined);
    if (this.ownRedis) {
      try {
        this.ownRedis.signal('SIGCONT');
      } catch {
        // not running
      }
      this.redis.disconnect();
      await this.ownRedis.destroy();
    } else if (this.ownCluster) {
      this.redis.disconnect();
      await this.ownCluster.destroy();
    } else if (this.clusterStack) {
      this.redis.disconnect();
      await runStack(this.clusterStack.env, 'down', '--purge');
      rmSync(this.clusterStack.dir, { recursive: true, force: true });
    } else {
      await deleteKeys(this.redis as Redis, this.context.keyPrefix).catch(() => undefined);
      this.redis.disconnect();
    }
  }
}

export interface ClusterStack {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly brokers: string;
  readonly redisNodes: string;
}

/** A stack of the run's own: three brokers and a Redis Cluster (deploy/stack.sh up --cluster). */
async function startClusterStack(name: string): Promise<ClusterStack> {
  const dir = mkdtempSync(join(tmpdir(), `vs-fault-${name}-`));
  // Away from the default cluster ports (17000, 19192) and the integration test's (17100, 19300).
  const env = clusterStackEnv(dir, { redis: 27100, kafka: 29300 });
  const up = await runStack(env, 'up', '--cluster');
  if (up.code !== 0) {
    await runStack(env, 'down', '--purge');
    throw new Error(`deploy/stack.sh up --cluster failed (${up.code}):\n${up.output.slice(-2000)}`);
  }
  const written = readStackEnvFile(dir);
  return { dir, env, brokers: written.KAFKA_BROKERS!, redisNodes: written.REDIS_CLUSTER_NODES! };
}

function clusterClient(nodes: string): Cluster {
  return new Cluster(
    nodes.split(',').map((node) => {
      const at = node.lastIndexOf(':');
      return { host: node.slice(0, at), port: Number(node.slice(at + 1)) };
    }),
    { clusterRetryStrategy: (attempt) => Math.min(100 * attempt, 2000) },
  );
}

/** The process state letter of /proc/<pid>/stat ('T' = stopped by a signal). */
export function processState(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '?';
}

export { PARTITIONS };
