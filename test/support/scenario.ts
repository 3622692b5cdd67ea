// A value-segmentation run against the real Kafka and Redis, isolated by names: its own topic
// prefix (purchases, purchases.dlq, segment-changes with 12 partitions), consumer group and Redis
// key prefix. Used by the integration tests of the shared runtime (dead letters, shutdown,
// restarts, fencing, observability).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll } from 'vitest';
import { generatePurchaseStream, type PurchaseStreamOptions } from '../../services/pos-simulator/generate.js';
import {
  DAY_MS,
  type ValueSegmentationSettings,
  valueSegmentationSettings,
} from '../../services/value-segmentation/settings.js';
import { VALUE_SEGMENTATION } from '../../services/value-segmentation/worker.js';
import { scrubText } from '../../shared/observability/logger.js';
import type { RedisClient } from '../../shared/redis/connection.js';
import { partitionKeys } from '../../shared/redis/keys.js';
import { deadLetterTopicOf, topicCatalogue } from '../../shared/topics.js';
import { testEndpoints, uniqueName } from './endpoints.js';
import {
  createTestTopics,
  produceRecords,
  readWholeTopic,
  type TopicRecord,
  testKafka,
  waitFor,
} from './kafka-test-client.js';
import { committedToEnd, compareWithOracle, type RunComparison } from './value-segmentation-check.js';
import { freePort, startWorkerProcess, type WorkerProcess } from './worker-process.js';

export const PARTITIONS = 12;
export const WORKER_ENTRY = 'services/value-segmentation/main.ts';

/**
 * A unique name that cannot be mistaken for a customer id: uniqueName's base-36 parts can read
 * "…c-3…", which would blur the "no customer id in labels or logs" checks, and its random hex can
 * read "c96374", which the logs' scrubber redacts (a test then misses the name in a log line).
 */
export function idFreeName(prefix: string): string {
  for (;;) {
    const name = uniqueName(prefix);
    if (!/c-\d/.test(name) && scrubText(name) === name) return name;
  }
}

/** Small, fast settings that still exercise windows ageing out and threshold refreshes. */
export const scenarioSettings: ValueSegmentationSettings = valueSegmentationSettings({
  windowsDays: [7, 30],
  rankingWindowDays: 30,
  allowedLatenessMs: 2 * DAY_MS,
  refreshPeriodMs: 7 * DAY_MS,
  publishDelayMs: 7 * DAY_MS,
  top2Share: 0.02,
});

/** The worker's VALUE_* variables for `settings`. */
export function settingsEnv(settings: ValueSegmentationSettings): Record<string, string> {
  return {
    VALUE_WINDOWS_DAYS: settings.windowsDays.join(','),
    VALUE_RANKING_WINDOW_DAYS: String(settings.rankingWindowDays),
    VALUE_BUCKET_WIDTH: `${settings.bucketWidthMs}ms`,
    VALUE_ALLOWED_LATENESS: `${settings.allowedLatenessMs}ms`,
    VALUE_BASIS: settings.valueBasis,
    VALUE_COST_TO_SERVE_MINOR: String(settings.costToServeMinor),
    VALUE_CURRENCY: settings.valueCurrency,
    VALUE_TOP_SHARE: String(settings.topShare),
    VALUE_TOP2_SHARE: String(settings.top2Share),
    VALUE_BOTTOM_SHARE: String(settings.bottomShare),
    VALUE_HYSTERESIS_SHARE: String(settings.hysteresisShare),
    VALUE_REFRESH_PERIOD: `${settings.refreshPeriodMs}ms`,
    VALUE_PUBLISH_DELAY: `${settings.publishDelayMs}ms`,
  };
}

/** The default stream of these tests: a few thousand purchases over four months. */
export const scenarioStream: PurchaseStreamOptions = {
  seed: 7,
  customers: 600,
  events: 6000,
  spanMs: 120 * DAY_MS,
  maxLatenessMs: 3 * DAY_MS,
  lateShare: 0.02,
  malformedShare: 0.01,
};

export interface Scenario {
  readonly brokers: string;
  readonly redisUrl: string;
  readonly topicPrefix: string;
  readonly keyPrefix: string;
  /** CONSUMER_GROUP_PREFIX of the worker. */
  readonly groupPrefix: string;
  /** The worker's consumer group. */
  readonly groupId: string;
  readonly purchases: string;
  readonly deadLetters: string;
  readonly segmentChanges: string;
  readonly settings: ValueSegmentationSettings;
}

export async function createScenario(
  name: string,
  options: { redisUrl?: string; settings?: ValueSegmentationSettings } = {},
): Promise<Scenario> {
  const { kafkaBrokers, redisUrl } = testEndpoints();
  const topicPrefix = `${idFreeName(name)}.`;
  const groupPrefix = idFreeName(name);
  const scenario: Scenario = {
    brokers: kafkaBrokers,
    redisUrl: options.redisUrl ?? redisUrl,
    topicPrefix,
    keyPrefix: idFreeName(name),
    groupPrefix,
    groupId: `${groupPrefix}.${VALUE_SEGMENTATION}`,
    purchases: topicPrefix + topicCatalogue.purchases.name,
    deadLetters: topicPrefix + deadLetterTopicOf(topicCatalogue.purchases.name),
    segmentChanges: topicPrefix + topicCatalogue.segmentChanges.name,
    settings: options.settings ?? scenarioSettings,
  };
  await createTestTopics(
    kafkaBrokers,
    [scenario.purchases, scenario.deadLetters, scenario.segmentChanges],
    PARTITIONS,
  );
  return scenario;
}

/** The environment of a worker process of the scenario. */
export function workerEnv(scenario: Scenario, extra: Record<string, string> = {}): Record<string, string> {
  return {
    KAFKA_BROKERS: scenario.brokers,
    REDIS_URL: scenario.redisUrl,
    TOPIC_PREFIX: scenario.topicPrefix,
    KEY_PREFIX: scenario.keyPrefix,
    CONSUMER_GROUP_PREFIX: scenario.groupPrefix,
    TOPIC_PARTITIONS: String(PARTITIONS),
    LOG_LEVEL: 'info',
    SESSION_TIMEOUT_MS: '10000',
    HEARTBEAT_INTERVAL_MS: '1000',
    ...settingsEnv(scenario.settings),
    ...extra,
  };
}

export function startScenarioWorker(
  scenario: Scenario,
  name: string,
  extra: Record<string, string> = {},
): Promise<WorkerProcess> {
  return startWorkerProcess(WORKER_ENTRY, workerEnv(scenario, extra), name);
}

/** Generates the stream and produces it to the scenario's purchases topic (keyed: Kafka's partitioner). */
export async function produceStream(
  scenario: Scenario,
  options: PurchaseStreamOptions = scenarioStream,
): Promise<{ count: number; customerIds: Set<string> }> {
  const records = [...generatePurchaseStream(options)];
  await produceRecords(
    scenario.brokers,
    scenario.purchases,
    records.map((r) => ({ key: r.key, value: r.value })),
  );
  return { count: records.length, customerIds: new Set(records.map((r) => r.key)) };
}

/** Redis's applied offset of the purchases topic per partition (meta hash `offset:purchases`). */
export async function appliedOffsets(redis: RedisClient, keyPrefix: string): Promise<Array<bigint | null>> {
  return Promise.all(
    Array.from({ length: PARTITIONS }, async (_, p) => {
      const value = await redis.hget(
        partitionKeys(keyPrefix, VALUE_SEGMENTATION, p).meta,
        'offset:purchases',
      );
      return value === null ? null : BigInt(value);
    }),
  );
}

/** The group's committed offset per partition (null: none committed). */
export async function committedOffsets(
  admin: Admin,
  groupId: string,
  topic: string,
): Promise<Array<bigint | null>> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const result: Array<bigint | null> = Array.from({ length: PARTITIONS }, () => null);
  for (const p of committed?.partitions ?? []) {
    const offset = BigInt(p.offset);
    result[p.partition] = offset < 0n ? null : offset;
  }
  return result;
}

/**
 * Partitions where Kafka's committed offset is past what Redis applied (committed > applied + 1):
 * records Kafka would never deliver again although their effects are not in Redis.
 */
export function commitsAheadOfRedis(
  committed: ReadonlyArray<bigint | null>,
  applied: ReadonlyArray<bigint | null>,
): string[] {
  const problems: string[] = [];
  committed.forEach((c, p) => {
    if (c === null || c === 0n) return;
    const a = applied[p] ?? null;
    if (a === null || c > a + 1n) problems.push(`partition ${p}: committed ${c}, Redis applied ${a}`);
  });
  return problems;
}

export async function waitCommittedToEnd(scenario: Scenario, timeoutMs = 90_000): Promise<void> {
  const admin = testKafka(scenario.brokers).admin();
  await admin.connect();
  try {
    await waitFor(
      'the worker to commit to the end of the purchases topic',
      () => committedToEnd(admin, scenario.groupId, scenario.purchases),
      { timeoutMs, intervalMs: 500 },
    );
  } finally {
    await admin.disconnect();
  }
}

/** Waits until the worker's /metrics answers with `name` summing to at least `atLeast`. */
export async function waitMetricAtLeast(
  worker: WorkerProcess,
  name: string,
  atLeast: number,
  sum: (text: string, name: string) => number,
  timeoutMs = 90_000,
): Promise<number> {
  return waitFor(
    `${name} >= ${atLeast}`,
    async () => {
      const value = sum(await worker.metrics().catch(() => ''), name);
      return value >= atLeast ? value : false;
    },
    { timeoutMs, intervalMs: 100 },
  );
}

/**
 * Reads the scenario's topics and compares the run with the oracle; `oracleSees` turns the
 * purchases as Kafka holds them into what the oracle must see (without re-sent copies, say).
 */
export async function compareScenarioWithOracle(
  scenario: Scenario,
  redis: RedisClient,
  keyPrefix = scenario.keyPrefix,
  oracleSees: (purchases: TopicRecord[][]) => TopicRecord[][] = (purchases) => purchases,
): Promise<RunComparison> {
  const [purchases, segmentChanges, deadLetters] = await Promise.all([
    readWholeTopic(scenario.brokers, scenario.purchases),
    readWholeTopic(scenario.brokers, scenario.segmentChanges),
    readWholeTopic(scenario.brokers, scenario.deadLetters),
  ]);
  return compareWithOracle({
    settings: scenario.settings,
    purchases: oracleSees(purchases),
    segmentChanges,
    deadLetters,
    redis,
    keyPrefix,
    topicPrefix: scenario.topicPrefix,
  });
}

/** Deletes the scenario's Redis keys (best effort, for a tidy shared Redis). */
export async function deleteKeys(redis: Redis, keyPrefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}:*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}

/** What a test file of scenarios shares: one Redis client, the workers it starts, the scenarios it creates. */
export interface ScenarioFile {
  readonly redis: Redis;
  /** Workers to kill after the file (push each one started). */
  readonly workers: WorkerProcess[];
  /** createScenario, with the scenario's Redis keys deleted after the file. */
  createScenario(name: string, options?: Parameters<typeof createScenario>[1]): Promise<Scenario>;
}

/** Registers the file's beforeAll/afterAll: a Redis client, then workers killed, keys deleted, client closed. */
export function useScenarioFile(): ScenarioFile {
  let redis: Redis | undefined;
  const workers: WorkerProcess[] = [];
  const scenarios: Scenario[] = [];
  beforeAll(() => {
    redis = new Redis(testEndpoints().redisUrl);
  });
  afterAll(async () => {
    for (const w of workers) await killWorker(w);
    for (const s of scenarios) if (redis) await deleteKeys(redis, s.keyPrefix);
    await redis?.quit();
  });
  return {
    get redis(): Redis {
      if (!redis) throw new Error('the Redis client is made in beforeAll');
      return redis;
    },
    workers,
    async createScenario(name, options) {
      const scenario = await createScenario(name, options);
      scenarios.push(scenario);
      return scenario;
    },
  };
}

/** Stops a worker if it still runs (end of a test); resolves when it has exited. */
export async function killWorker(worker: WorkerProcess | undefined): Promise<void> {
  if (!worker || worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  worker.kill('SIGKILL');
  await worker.exited;
}

/**
 * A redis-server of the test's own, in a temp dir on a free port; it can be stopped and started
 * again on the same port and data. Persistence: `aof-always` (AOF, appendfsync always, like the
 * stack: every acknowledged write survives), `snapshot` (RDB every second with a change, no AOF:
 * a crash loses the writes since the last snapshot) or `none` (a crash loses everything).
 */
export type RedisPersistence = 'aof-always' | 'snapshot' | 'none';

export interface OwnRedis {
  readonly port: number;
  readonly dir: string;
  readonly url: string;
  readonly persistence: RedisPersistence;
  start(): Promise<void>;
  /** SHUTDOWN NOSAVE: with appendfsync always, every acknowledged write is in the AOF already. */
  stop(): Promise<void>;
  /** Sends the server process a signal (SIGKILL: a crash; SIGSTOP/SIGCONT: unreachable, frozen). */
  signal(signal: NodeJS.Signals): void;
  /** Stops it and deletes its data. */
  destroy(): Promise<void>;
  readonly running: boolean;
}

const persistenceArgs: Record<RedisPersistence, string[]> = {
  'aof-always': ['--appendonly', 'yes', '--appendfsync', 'always', '--save', ''],
  snapshot: ['--appendonly', 'no', '--save', '1 1'],
  none: ['--appendonly', 'no', '--save', ''],
};

export async function ownRedisServer(persistence: RedisPersistence = 'aof-always'): Promise<OwnRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'vs-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  let running = false;
  const ping = async (): Promise<boolean> => {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return (await client.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      client.disconnect();
    }
  };
  const own: OwnRedis = {
    port,
    dir,
    url,
    persistence,
    get running() {
      return running;
    },
    async start() {
      const code = await new Promise<number | null>((resolve, reject) => {
        const child = spawn(
          'redis-server',
          [
            '--bind',
            '127.0.0.1',
            '--port',
            String(port),
            '--dir',
            dir,
            ...persistenceArgs[persistence],
            '--daemonize',
            'yes',
            '--pidfile',
            join(dir, 'redis.pid'),
            '--logfile',
            join(dir, 'redis.log'),
          ],
          { stdio: 'ignore' },
        );
        child.once('error', reject);
        child.once('exit', (c) => resolve(c));
      });
      if (code !== 0) throw new Error(`redis-server exited with ${code}; see ${join(dir, 'redis.log')}`);
      await waitFor(`redis-server on port ${port}`, ping, { timeoutMs: 20_000, intervalMs: 50 });
      running = true;
    },
    async stop() {
      if (!running) return;
      const client = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on('error', () => undefined);
      await client.call('SHUTDOWN', 'NOSAVE').catch(() => undefined);
      client.disconnect();
      await waitFor(`redis-server on port ${port} to stop`, async () => !(await ping()), {
        timeoutMs: 20_000,
        intervalMs: 50,
      });
      running = false;
    },
    signal(signal) {
      const pid = Number(readFileSync(join(dir, 'redis.pid'), 'utf8').trim());
      process.kill(pid, signal);
      if (signal === 'SIGKILL') running = false;
    },
    async destroy() {
      await own.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await own.start();
  return own;
}
