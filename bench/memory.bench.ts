import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { allTopicNames } from '../shared/topics.js';
import { AppliedOffsetReader, describeProgress, progressOf } from './lib/applied-offsets.js';
import { crmDataset, type Dataset, purchasesDataset, recordCount } from './lib/datasets.js';
import { benchKafka, connectProducer, createBenchTopics, produceAll, topicEnds } from './lib/kafka-io.js';
import { MEMORY_HELP, type MemoryOptions, parseMemoryOptions } from './lib/memory-options.js';
import { type KindTotals, measureKeys, memoryInfo, totalsByKind } from './lib/memory-usage.js';
import { UsageError } from './lib/options.js';
import { startOwnRedis } from './lib/redis-server.js';
import { inputsOf as workerInputs } from './lib/worker-inputs.js';
import { startProcesses, type WorkerKind } from './lib/workers.js';

// npm run bench:memory: bytes per customer in Redis, by Redis's own accounting. Each worker runs
// as its own process, as in production, over purchases of N simulated customers, into a fresh
// redis-server; once Redis's applied offsets reach every partition's end the worker is stopped
// and every key is measured (MEMORY USAGE ... SAMPLES 0), grouped by key kind.

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const policyPath = join(root, 'deploy/retention-offer-policy.json');

let options: MemoryOptions;
try {
  const parsed = parseMemoryOptions(process.argv.slice(2));
  if (parsed === 'help') {
    process.stdout.write(`${MEMORY_HELP}\n`);
    process.exit(0);
  }
  options = parsed;
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`bench:memory: ${error.message}\n\n${MEMORY_HELP}\n`);
  process.exit(2);
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const runId = `mem-${Date.now().toString(36)}`;
const logDir = join(root, '.cache', 'bench-logs', runId);
mkdirSync(logDir, { recursive: true });
const kafka = benchKafka(brokers, runId);
const admin = kafka.admin();
await admin.connect();
const children = new Set<ChildProcess>();

function inputsOf(kind: WorkerKind): Array<{ topic: string; schema: string }> {
  return workerInputs(kind, options.partitions, policyPath);
}

function datasetFor(kind: WorkerKind): Dataset {
  const o = {
    seed: options.seed,
    customers: options.customers,
    events: options.customers * options.purchasesPerCustomer,
    consumptionCustomers: 0,
  };
  return kind === 'value-segmentation' ? purchasesDataset(o) : crmDataset(o, kind === 'retention');
}

function distinctKeys(dataset: Dataset): number {
  const keys = new Set<string>();
  for (const records of dataset.values()) for (const r of records) keys.add(r.key);
  return keys.size;
}

interface WorkerMemory {
  readonly worker: WorkerKind;
  readonly records: number;
  readonly customersInStream: number;
  /** Fields of the customers hashes: customers with state at the end. */
  readonly customersInRedis: number;
  readonly seconds: number;
  readonly usedMemoryBefore: Record<string, number>;
  readonly usedMemoryAfter: Record<string, number>;
  readonly keysBytes: number;
  readonly kinds: ReadonlyArray<KindTotals & { readonly bytesPerCustomer: number }>;
  readonly bytesPerCustomer: { readonly keys: number; readonly usedMemory: number };
}

async function measureWorker(kind: WorkerKind): Promise<WorkerMemory> {
  const id = `${runId}-${kind}`;
  const started = performance.now();
  const dataset = datasetFor(kind);
  const customersInStream = distinctKeys(dataset);
  log(
    `[${kind}] generated ${recordCount(dataset).toLocaleString('en-US')} records for ` +
      `${customersInStream.toLocaleString('en-US')} customers in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  const inputs = inputsOf(kind);
  await createBenchTopics(
    brokers,
    allTopicNames().map((t) => `${id}.${t}`),
    options.partitions,
  );
  const producer = await connectProducer(kafka);
  try {
    for (const input of inputs) {
      const records = dataset.get(input.topic) ?? [];
      if (records.length > 0) await produceAll(producer, `${id}.${input.topic}`, records, options.partitions);
    }
  } finally {
    await producer.disconnect();
  }
  const ends = await topicEnds(
    admin,
    inputs.map((i) => `${id}.${i.topic}`),
  );
  const targets = new Map(inputs.map((i) => [i.topic, ends.get(`${id}.${i.topic}`)!]));
  log(`[${kind}] produced in ${((performance.now() - started) / 1000).toFixed(1)} s; starting the worker`);

  const redisServer = await startOwnRedis();
  const redis = new Redis(redisServer.url, { connectionName: `${id}-bench` });
  try {
    const usedMemoryBefore = await memoryInfo(redis);
    const env = Object.fromEntries(
      Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
    );
    const worker = await startProcesses(
      {
        kind,
        env: {
          ...env,
          LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
          ...(kind === 'retention' ? { RETENTION_OFFER_POLICY: policyPath } : {}),
          KAFKA_BROKERS: brokers.join(','),
          REDIS_URL: redisServer.url,
          // The bench's server keeps nothing on disk on purpose: only its memory is measured.
          REDIS_DURABILITY: 'none',
          TOPIC_PREFIX: `${id}.`,
          KEY_PREFIX: id,
          CONSUMER_GROUP_PREFIX: id,
          KAFKA_CLIENT_ID: id,
          TOPIC_PARTITIONS: String(options.partitions),
        },
        logFile: join(logDir, `${kind}.log`),
      },
      root,
      1,
      (child) => children.add(child),
    );
    const reader = new AppliedOffsetReader(
      redis,
      id,
      kind,
      options.partitions,
      inputs.map((i) => i.topic),
    );
    const deadline = performance.now() + options.timeoutSeconds * 1000;
    let lastReport = performance.now();
    for (;;) {
      const progress = progressOf(targets, await reader.read());
      if (progress.done) break;
      const problem = await worker.health();
      if (problem !== null) throw new Error(`[${kind}] ${describeProgress(progress)}; ${problem}`);
      if (performance.now() > deadline)
        throw new Error(
          `[${kind}] not at the end within ${options.timeoutSeconds} s: ${describeProgress(progress)}`,
        );
      if (performance.now() - lastReport > 15_000) {
        lastReport = performance.now();
        log(`[${kind}] ${describeProgress(progress, 2)}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    const seconds = (performance.now() - worker.startedAt) / 1000;
    // Stopped before measuring, so nothing changes under the scan.
    await worker.kill();
    const usedMemoryAfter = await memoryInfo(redis);
    const keys = await measureKeys(redis);
    const totals = totalsByKind(keys);
    const customersInRedis = totals.find((t) => t.kind === 'customers')?.elements ?? 0;
    const per = (bytes: number) => (customersInRedis === 0 ? 0 : bytes / customersInRedis);
    const keysBytes = keys.reduce((a, k) => a + k.bytes, 0);
    if (options.keepRedis) log(`[${kind}] Redis left running at ${redisServer.url}`);
    return {
      worker: kind,
      records: recordCount(dataset),
      customersInStream,
      customersInRedis,
      seconds,
      usedMemoryBefore,
      usedMemoryAfter,
      keysBytes,
      kinds: totals.map((t) => ({ ...t, bytesPerCustomer: per(t.bytes) })),
      bytesPerCustomer: {
        keys: per(keysBytes),
        usedMemory: per((usedMemoryAfter.used_memory ?? 0) - (usedMemoryBefore.used_memory ?? 0)),
      },
    };
  } finally {
    await redis.quit().catch(() => redis.disconnect());
    if (!options.keepRedis) await redisServer.stop();
    await cleanUpKafka(id);
  }
}

async function cleanUpKafka(prefix: string): Promise<void> {
  const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
  if (topics.length > 0)
    await admin.deleteTopics({ topics, timeout: 30_000 }).catch((e: Error) => log(`clean-up: ${e.message}`));
  const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix));
  if (groups.length > 0) await admin.deleteGroups(groups).catch((e: Error) => log(`clean-up: ${e.message}`));
}

function table(result: WorkerMemory): string {
  const fmt = (n: number, digits = 0) =>
    n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const rows = result.kinds.map(
    (k) =>
      `| ${k.kind} | ${fmt(k.keys)} | ${fmt(k.elements)} | ${Object.entries(k.encodings)
        .map(([e, n]) => `${e} ×${n}`)
        .join(', ')} | ${fmt(k.bytes)} | ${fmt(k.bytesPerCustomer, 1)} |`,
  );
  return [
    `${result.worker}: ${fmt(result.customersInRedis)} customers with state (${fmt(result.customersInStream)} in the stream, ${fmt(result.records)} records, ${result.seconds.toFixed(0)} s)`,
    '',
    '| key kind | keys | elements | encodings | bytes | bytes per customer |',
    '|---|--:|--:|---|--:|--:|',
    ...rows,
    `| **all keys** (MEMORY USAGE) | | | | ${fmt(result.keysBytes)} | **${fmt(result.bytesPerCustomer.keys, 1)}** |`,
    `| used_memory after − before | | | | ${fmt((result.usedMemoryAfter.used_memory ?? 0) - (result.usedMemoryBefore.used_memory ?? 0))} | ${fmt(result.bytesPerCustomer.usedMemory, 1)} |`,
  ].join('\n');
}

const startedAt = new Date();
const results: WorkerMemory[] = [];
let failed: Error | null = null;
try {
  for (const kind of options.workers) {
    const result = await measureWorker(kind);
    results.push(result);
    log(`\n${table(result)}\n`);
  }
} catch (error) {
  failed = error as Error;
} finally {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await admin.disconnect().catch(() => undefined);
}
const outDir = join(root, 'bench', 'results');
mkdirSync(outDir, { recursive: true });
const file = join(outDir, `memory-${startedAt.toISOString().slice(0, 19).replace(/[:T]/g, '-')}.json`);
writeFileSync(
  file,
  `${JSON.stringify({ at: startedAt.toISOString(), runId, node: process.version, options, results, failure: failed?.message ?? null }, null, 2)}\n`,
);
log(`written ${file}`);
if (failed) {
  process.stderr.write(`bench:memory FAILED: ${failed.message}\n`);
  process.exit(1);
}
process.exit(0);
