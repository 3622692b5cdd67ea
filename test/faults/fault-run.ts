import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import type { Admin } from 'kafkajs';
import { expect } from 'vitest';
import { testKafka, waitFor } from '../support/kafka-test-client.js';
import {
  appliedOffsets,
  commitsAheadOfRedis,
  committedOffsets,
  compareScenarioWithOracle,
  createScenario,
  deleteKeys,
  type OwnRedis,
  ownRedisServer,
  PARTITIONS,
  type RedisPersistence,
  type Scenario,
  WORKER_ENTRY,
  waitCommittedToEnd,
  workerEnv,
} from '../support/scenario.js';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process.js';
import { defaultLoad, type LoadOptions, type LoadProcess, startLoad } from './load.js';

// One fault scenario: a value-segmentation worker group on its own topics, consumer group and
// Redis, under load from the simulator. Workers run under a supervisor that restarts them when
// they die (as Kubernetes would), each start taking the next failpoint of its plan. The run
// ends when the load has been sent and the group has committed to the end; then the workers
// stop gracefully and the topics and Redis are compared with the oracle.

export interface FaultRunOptions {
  readonly name: string;
  readonly seed: number;
  /** The run's Redis: the suite stack's, or a redis-server of its own with this persistence. */
  readonly redis: 'stack' | RedisPersistence;
  readonly workerEnv?: Record<string, string>;
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
  private load: LoadProcess | null = null;

  private constructor(
    readonly options: FaultRunOptions,
    readonly scenario: Scenario,
    readonly ownRedis: OwnRedis | null,
    readonly redis: Redis,
    private readonly admin: Admin,
  ) {
    this.sampler = this.sampleCommits();
  }

  static async create(options: FaultRunOptions): Promise<FaultRun> {
    const ownRedis = options.redis === 'stack' ? null : await ownRedisServer(options.redis);
    const scenario = await createScenario(options.name, ownRedis ? { redisUrl: ownRedis.url } : {});
    // Commands fail fast while the run's Redis is down; the checks retry them.
    const redis = new Redis(scenario.redisUrl, { maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined);
    const admin = testKafka(scenario.brokers).admin();
    await admin.connect();
    return new FaultRun(options, scenario, ownRedis, redis, admin);
  }

  /** Starts a supervised worker; each (re)start takes the next failpoint of `failpoints`. */
  async startWorker(name: string, failpoints: readonly string[] = []): Promise<WorkerProcess> {
    const supervised: Supervised = {
      name,
      current: undefined as never,
      failpoints: [...failpoints],
      starts: 0,
      stopping: false,
      env: { ...WORKER_TIMING, ...this.options.workerEnv },
      exits: Promise.resolve(),
    };
    this.workers.set(name, supervised);
    await this.spawn(supervised);
    return supervised.current;
  }

  private async spawn(supervised: Supervised): Promise<void> {
    const failpoint = supervised.failpoints.shift();
    supervised.starts += 1;
    const env = workerEnv(this.scenario, {
      ...supervised.env,
      ...(failpoint ? { VS_FAILPOINT: failpoint } : {}),
    });
    const worker = await startWorkerProcess(
      WORKER_ENTRY,
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
      this.recoveries.push(this.recoveryFrom(Date.now()));
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

  /** Starts the simulator's load on the run's purchases topic. */
  startLoad(): void {
    this.load = startLoad(
      this.scenario.brokers,
      this.scenario.purchases,
      { ...defaultLoad, ...this.options.load, seed: this.options.seed },
      this.options.name,
    );
  }

  /** Waits until the workers have applied at least `records` input records in all (any process). */
  async waitApplied(records: number, timeoutMs = 90_000): Promise<void> {
    await waitFor(
      `${records} records applied in Redis`,
      async () => {
        const applied = await appliedOffsets(this.redis, this.scenario.keyPrefix);
        return (
          applied.reduce((sum, offset) => sum + (offset === null ? 0 : Number(offset) + 1), 0) >= records
        );
      },
      { timeoutMs, intervalMs: 100 },
    );
  }

  /** Runs a fault from outside the workers (Redis, Kafka, signals) and measures the recovery from its end. */
  async inject(fault: () => Promise<void>): Promise<void> {
    this.faults += 1;
    await fault();
    this.recoveries.push(this.recoveryFrom(Date.now()));
  }

  /** Time from `from` until the group has committed every record produced up to `from`. */
  private async recoveryFrom(from: number): Promise<number> {
    const ends = await waitFor('topic offsets', () => this.admin.fetchTopicOffsets(this.scenario.purchases), {
      timeoutMs: 120_000,
      intervalMs: 250,
    });
    await waitFor(
      'the group to commit what was produced before the fault',
      async () => {
        const committed = await committedOffsets(this.admin, this.scenario.groupId, this.scenario.purchases);
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
        const committed = await committedOffsets(this.admin, this.scenario.groupId, this.scenario.purchases);
        const applied = await appliedOffsets(this.redis, this.scenario.keyPrefix);
        this.violations.push(...commitsAheadOfRedis(committed, applied));
      } catch {
        // Kafka or Redis is down in this scenario: nothing to sample now.
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** Finishes the run and checks it against the oracle; returns its row of the report. */
  async finish(): Promise<ScenarioResult> {
    try {
      if (this.load) expect(await this.load.finished, `simulator exit (log ${this.load.logFile})`).toBe(0);
      await waitCommittedToEnd(this.scenario, 180_000);
      const recoveries = await Promise.all(this.recoveries);
      this.sampling = false;
      await this.sampler;
      for (const name of [...this.workers.keys()]) await this.stopWorker(name);
      expect(this.violations).toEqual([]);

      // Every record was applied or dead-lettered: Redis's applied offset is at each partition's end.
      const ends = await this.admin.fetchTopicOffsets(this.scenario.purchases);
      const applied = await appliedOffsets(this.redis, this.scenario.keyPrefix);
      for (const end of ends)
        if (BigInt(end.high) > 0n)
          expect(applied[end.partition], `partition ${end.partition}`).toBe(BigInt(end.high) - 1n);
      const recordsIn = ends.reduce((sum, end) => sum + Number(BigInt(end.high) - BigInt(end.low)), 0);

      const comparison = await compareScenarioWithOracle(this.scenario, this.redis);
      const uniqueDead = comparison.uniqueDeadLetters;
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
    } finally {
      await this.dispose();
    }
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
    if (this.load && this.load.child.exitCode === null) this.load.child.kill('SIGKILL');
    await this.admin.disconnect().catch(() => undefined);
    if (this.ownRedis) {
      try {
        this.ownRedis.signal('SIGCONT');
      } catch {
        // not running
      }
      this.redis.disconnect();
      await this.ownRedis.destroy();
    } else {
      await deleteKeys(this.redis, this.scenario.keyPrefix).catch(() => undefined);
      this.redis.disconnect();
    }
  }
}

/** The process state letter of /proc/<pid>/stat ('T' = stopped by a signal). */
export function processState(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '?';
}

export { PARTITIONS };
