import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, createWriteStream, existsSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { loadRetentionConfig } from '../../services/retention/config.js';
import { createRetentionWorker } from '../../services/retention/worker.js';
import { loadShareOfWalletConfig } from '../../services/share-of-wallet/config.js';
import { registerShareOfWalletMetrics } from '../../services/share-of-wallet/metrics.js';
import { createShareOfWalletWorker } from '../../services/share-of-wallet/worker.js';
import { loadValueSegmentationConfig } from '../../services/value-segmentation/config.js';
import { createValueSegmentationWorker } from '../../services/value-segmentation/worker.js';
import { createLogger } from '../../shared/observability/logger.js';
import { type RunningWorker, runWorker } from '../../shared/runtime/run-worker.js';
import { type FetchCounts, firstRecordHandedTo, recordsHandedTo } from './fetch-counter.js';
import {
  histogramQuantile,
  quantile,
  type Sample,
  samplesFromJson,
  samplesFromText,
  sumOf,
} from './metric-samples.js';
import type { Latency } from './report.js';

// The workers under measurement: in this process (runWorker, as main.ts runs it) or as child
// processes (the worker's main.ts, exactly as `npm run worker:<name>` starts it).

export type WorkerKind = 'value-segmentation' | 'share-of-wallet' | 'retention';

export const WORKER_ENTRY: Readonly<Record<WorkerKind, string>> = {
  'value-segmentation': 'services/value-segmentation/main.ts',
  'share-of-wallet': 'services/share-of-wallet/main.ts',
  retention: 'services/retention/main.ts',
};

/** What the bench reads from a worker once it has reached the end (or failed). */
export interface WorkerMeasures {
  /** vs_records_consumed_total over every topic and process. */
  readonly consumedMetric: number;
  /** Sum of recordsFetched runtime events; null when the runtime emitted none (or out of process). */
  readonly fetchedEvents: number | null;
  /** Records kafkajs handed to the group's eachBatch; null when a process left no count. */
  readonly fetchedKafkajs: number | null;
  /** vs_redis_commands_total of the worker's own connection(s), by command. */
  readonly commands: Readonly<Record<string, number>>;
  readonly populationWaits: number;
  readonly batchMs: Latency | null;
  readonly stepMs: Latency | null;
  /**
   * When kafkajs handed the group its first record, in any process (performance.now() of the
   * bench): the clock of events/s starts there, as the raw baseline's does (null: none seen).
   */
  readonly firstRecordAt: number | null;
  readonly processes?: ReadonlyArray<Readonly<Record<string, number | string | null>>>;
}

export interface WorkerHandle {
  /** performance.now() just before the worker was started. */
  readonly startedAt: number;
  /** Why the worker can no longer reach the end (crashed, exited), or null while it is healthy. */
  health(): Promise<string | null>;
  /** Reads the measures, then stops the worker (bounded). */
  finish(): Promise<WorkerMeasures>;
  /** Stops without measuring (interrupted). */
  kill(): Promise<void>;
}

export interface WorkerLaunch {
  readonly kind: WorkerKind;
  /** The variables of the worker: runtime (TOPIC_PREFIX, KEY_PREFIX, ...) and its settings. */
  readonly env: Readonly<Record<string, string>>;
  readonly logFile: string;
}

/**
 * vs_redis_commands_total of the connections whose name starts with `clientId` (runWorker names
 * its connection <KAFKA_CLIENT_ID>-<worker>; any other the runtime opens with connectRedis and a
 * name of that form is counted too). Other connections of the same process are not the worker's.
 */
function commandsOf(samples: readonly Sample[], clientId: string): Record<string, number> {
  const byCommand: Record<string, number> = {};
  for (const s of samples)
    if (s.name === 'vs_redis_commands_total' && (s.labels.connection ?? '').startsWith(clientId))
      byCommand[s.labels.command ?? '?'] = (byCommand[s.labels.command ?? '?'] ?? 0) + s.value;
  return byCommand;
}

function exactLatency(values: number[]): Latency | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), count: sorted.length, from: 'events' };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} took more than ${ms / 1000} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function startRunWorker(launch: WorkerLaunch, env: Record<string, string>): Promise<RunningWorker> {
  const logger = createLogger({
    level: env.LOG_LEVEL ?? 'warn',
    name: launch.kind,
    destination: createWriteStream(launch.logFile, { flags: 'a' }),
  });
  // As each worker's main.ts builds it, without the scrape-time gauges (they read Redis on the
  // worker's connection, and the bench reads the registry). Share of wallet's metrics are fed by
  // its evaluations, not read at scrape time: registered, so that their cost is measured.
  if (launch.kind === 'value-segmentation') {
    const config = loadValueSegmentationConfig(env);
    return runWorker({
      definition: createValueSegmentationWorker(config.settings),
      config: config.runtime,
      logger,
      handleSignals: false,
    });
  }
  if (launch.kind === 'share-of-wallet') {
    const config = loadShareOfWalletConfig(env);
    return runWorker({
      definition: createShareOfWalletWorker(config.settings),
      config: config.runtime,
      logger,
      handleSignals: false,
      registerMetrics: (registry, _population, events) => registerShareOfWalletMetrics(registry, events),
    });
  }
  const config = loadRetentionConfig(env);
  return runWorker({
    definition: createRetentionWorker({
      settings: config.settings,
      policy: config.policy,
      partitionCount: config.runtime.TOPIC_PARTITIONS,
      ladder: config.ladder,
    }),
    config: config.runtime,
    logger,
    handleSignals: false,
  });
}

/** One worker in this process, measured through its registry and its runtime events. */
export async function startInProcess(launch: WorkerLaunch): Promise<WorkerHandle> {
  const env: Record<string, string> = {
    ...launch.env,
    METRICS_PORT: '0',
    METRICS_HOST: '127.0.0.1',
  };
  const clientId = env.KAFKA_CLIENT_ID!;
  const groupId = `${env.CONSUMER_GROUP_PREFIX}.${launch.kind}`;
  const startedAt = performance.now();
  const worker = await startRunWorker(launch, env);
  const batchMs: number[] = [];
  const stepMs: number[] = [];
  let fetchedEvents = 0;
  let fetchEvents = 0;
  worker.events.on('batchCompleted', (e) => {
    if (e.records > 0) batchMs.push(e.durationMs);
  });
  worker.events.on('segmentApplied', (e) => stepMs.push(e.durationMs));
  worker.events.on('recordsFetched', (e) => {
    fetchEvents += 1;
    fetchedEvents += e.records;
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await withTimeout(worker.stop(), 30_000, 'stopping the worker').catch((error: Error) =>
      process.stderr.write(`bench: ${error.message}\n`),
    );
  };
  return {
    startedAt,
    health: async () => {
      const response = await fetch(`http://127.0.0.1:${worker.metricsPort}/healthz`).catch(() => null);
      if (response === null || response.status === 200) return null;
      return `the worker reports itself unhealthy (its consumer crashed for good); log: ${launch.logFile}`;
    },
    finish: async () => {
      const samples = samplesFromJson(await worker.registry.getMetricsAsJSON());
      const measures: WorkerMeasures = {
        consumedMetric: sumOf(samples, 'vs_records_consumed_total'),
        fetchedEvents: fetchEvents > 0 ? fetchedEvents : null,
        fetchedKafkajs: recordsHandedTo(groupId),
        firstRecordAt: fromEpoch(firstRecordHandedTo(groupId)),
        commands: commandsOf(samples, `${clientId}-`),
        populationWaits: sumOf(samples, 'vs_population_waits_total'),
        batchMs: exactLatency(batchMs),
        stepMs: exactLatency(stepMs),
      };
      await stop();
      return measures;
    },
    kill: stop,
  };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

interface Child {
  readonly name: string;
  readonly clientId: string;
  readonly child: ChildProcess;
  readonly port: number;
  readonly logFile: string;
  readonly countFile: string;
  readonly exited: Promise<unknown>;
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * `count` worker processes in one consumer group, each with its own KAFKA_CLIENT_ID, started as
 * `npm run worker:<name>` starts them (tsx on the worker's main.ts), with the kafkajs fetch counter
 * preloaded. Measured from the first spawn; read through one scrape of each /metrics at the end.
 */
export async function startProcesses(
  launch: WorkerLaunch,
  root: string,
  count: number,
  track: (child: ChildProcess) => void,
): Promise<WorkerHandle> {
  const ports = [];
  for (let i = 0; i < count; i++) ports.push(await freePort());
  const startedAt = performance.now();
  const children: Child[] = ports.map((port, i) => {
    const name = String.fromCharCode(97 + i);
    const clientId = `${launch.env.KAFKA_CLIENT_ID}-${name}`;
    const logFile = launch.logFile.replace(/\.log$/, `-${name}.log`);
    const countFile = launch.logFile.replace(/\.log$/, `-${name}.fetched.json`);
    const fd = openSync(logFile, 'a');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--import',
        join(root, 'bench/lib/fetch-counter-preload.ts'),
        WORKER_ENTRY[launch.kind],
      ],
      {
        cwd: root,
        env: {
          ...process.env,
          ...launch.env,
          KAFKA_CLIENT_ID: clientId,
          METRICS_PORT: String(port),
          METRICS_HOST: '127.0.0.1',
          BENCH_FETCH_COUNT_FILE: countFile,
        },
        stdio: ['ignore', fd, fd],
      },
    );
    closeSync(fd);
    track(child);
    return { name, clientId, child, port, logFile, countFile, exited: once(child, 'exit') };
  });
  const alive = (c: Child) => c.child.exitCode === null && c.child.signalCode === null;
  const stopAll = async () => {
    for (const c of children) if (alive(c)) c.child.kill('SIGTERM');
    await Promise.all(
      children.map((c) =>
        withTimeout(c.exited, 30_000, `stopping worker process ${c.name}`).catch(() => {
          c.child.kill('SIGKILL');
          return c.exited;
        }),
      ),
    );
  };
  return {
    startedAt,
    health: async () => {
      const dead = children.find((c) => !alive(c));
      if (!dead) return null;
      return (
        `worker process ${dead.name} exited (code ${dead.child.exitCode}, signal ${dead.child.signalCode}); ` +
        `log ${dead.logFile}:\n${tail(dead.logFile)}`
      );
    },
    finish: async () => {
      const scraped = await Promise.all(
        children.map(async (c) => {
          const response = await fetch(`http://127.0.0.1:${c.port}/metrics`, {
            signal: AbortSignal.timeout(15_000),
          }).catch(() => null);
          return samplesFromText(response?.ok ? await response.text() : '');
        }),
      );
      await stopAll();
      const group = `${launch.env.CONSUMER_GROUP_PREFIX}.${launch.kind}`;
      const counts = children.map((c) =>
        existsSync(c.countFile) ? (JSON.parse(readFileSync(c.countFile, 'utf8')) as FetchCounts) : null,
      );
      const handed = counts.map((c) => (c === null ? null : (c.handed[group] ?? 0)));
      const firsts = counts.flatMap((c) =>
        c?.firstHandedAt[group] === undefined ? [] : [c.firstHandedAt[group]],
      );
      const commands: Record<string, number> = {};
      const processes = children.map((c, i) => {
        const own = commandsOf(scraped[i]!, `${c.clientId}-`);
        for (const [command, n] of Object.entries(own)) commands[command] = (commands[command] ?? 0) + n;
        return {
          process: c.name,
          clientId: c.clientId,
          consumed: sumOf(scraped[i]!, 'vs_records_consumed_total'),
          fetchedKafkajs: handed[i] ?? null,
          redisCommands: Object.values(own).reduce((a, b) => a + b, 0),
          populationWaits: sumOf(scraped[i]!, 'vs_population_waits_total'),
          partitionClaims: sumOf(scraped[i]!, 'vs_partition_claims_total'),
          metricsScraped: scraped[i]!.length > 0 ? 'yes' : 'no',
        };
      });
      const all = scraped.flat();
      const batches = sumOf(all, 'vs_batch_duration_seconds_count');
      const ms = (q: number) => {
        const s = histogramQuantile(all, 'vs_batch_duration_seconds', q);
        return s === null ? null : s * 1000;
      };
      return {
        consumedMetric: sumOf(all, 'vs_records_consumed_total'),
        fetchedEvents: null,
        fetchedKafkajs: handed.some((h) => h === null)
          ? null
          : handed.reduce<number>((a, b) => a + (b ?? 0), 0),
        commands,
        populationWaits: sumOf(all, 'vs_population_waits_total'),
        batchMs: batches > 0 ? { p50: ms(0.5), p99: ms(0.99), count: batches, from: 'histogram' } : null,
        stepMs: null,
        firstRecordAt: firsts.length === 0 ? null : fromEpoch(Math.min(...firsts)),
        processes,
      };
    },
    kill: stopAll,
  };
}

/** An epoch time (ms) as this process's performance.now(); null stays null. */
function fromEpoch(epochMs: number | null): number | null {
  return epochMs === null ? null : epochMs - performance.timeOrigin;
}
