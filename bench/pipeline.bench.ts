import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { generatePurchaseStream } from '../services/pos-simulator/generate.js';
import { DAY_MS, valueSegmentationSettings } from '../services/value-segmentation/settings.js';
import { createValueSegmentationWorker } from '../services/value-segmentation/worker.js';
import { codecFor } from '../shared/avro/index.js';
import { parseRuntimeConfig } from '../shared/config/runtime-config.js';
import { waitForTopicLeaders } from '../shared/kafka/create-topics.js';
import { createLogger } from '../shared/observability/logger.js';
import { runWorker } from '../shared/runtime/run-worker.js';
import { deadLetterTopicOf, topicCatalogue } from '../shared/topics.js';

// The first pipeline benchmark. In one run, against the same Kafka and Redis:
//   1. raw kafkajs consume + Avro decode of the purchases topic (the ceiling for any consumer),
//   2. raw Redis: the same number of per-event writes, pipelined 1000 at a time,
//   3. the value-segmentation worker end to end (decode, decide, atomic apply, produce, commit),
// and reports the worker's rate as ratios of the two raw rates, plus Redis round trips per
// event counted by the server itself (INFO commandstats).

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    customers: { type: 'string', default: '20000' },
    partitions: { type: 'string', default: '12' },
    seed: { type: 'string', default: '42' },
  },
});
const events = Number(values.events);
const customers = Number(values.customers);
const partitions = Number(values.partitions);

function endpoints(): { brokers: string; redisUrl: string } {
  if (process.env.KAFKA_BROKERS && process.env.REDIS_URL)
    return { brokers: process.env.KAFKA_BROKERS, redisUrl: process.env.REDIS_URL };
  const envFile = join(root, '.stack', 'env');
  if (
    !existsSync(envFile) ||
    !/running/.test(execFileSync('bash', [join(root, 'deploy/stack.sh'), 'status']).toString())
  ) {
    execFileSync('bash', [join(root, 'deploy/stack.sh'), 'up'], { stdio: 'inherit' });
  }
  const env = Object.fromEntries(
    readFileSync(envFile, 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => l.split('=', 2) as [string, string]),
  );
  return { brokers: env.KAFKA_BROKERS!, redisUrl: env.REDIS_URL! };
}

async function commandCalls(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  let calls = 0;
  for (const m of info.matchAll(/calls=(\d+)/g)) calls += Number(m[1]);
  return calls;
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const { brokers, redisUrl } = endpoints();
const runId = `bench-${Date.now().toString(36)}`;
const prefix = `${runId}.`;
const kafka = new Kafka({ clientId: runId, brokers: brokers.split(','), logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
const topics = [
  topicCatalogue.purchases.name,
  deadLetterTopicOf(topicCatalogue.purchases.name),
  topicCatalogue.segmentChanges.name,
];
// A broker that has just started can answer the metadata calls of createTopics with
// UNKNOWN_TOPIC_OR_PARTITION (seen on a cold start); the topics are created, so try again.
for (let attempt = 1; ; attempt += 1) {
  try {
    await admin.createTopics({
      topics: topics.map((t) => ({ topic: prefix + t, numPartitions: partitions, replicationFactor: 1 })),
    });
    break;
  } catch (error) {
    if (attempt >= 5 || (error as { retriable?: boolean }).retriable !== true) throw error;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
await waitForTopicLeaders(
  admin,
  topics.map((t) => prefix + t),
  partitions,
  60_000,
);

process.stdout.write(
  `generating and producing ${events} purchases for ${customers} customers over one year...\n`,
);
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
await producer.connect();
let batch: Array<{ key: string; value: Buffer }> = [];
let produced = 0;
for (const record of generatePurchaseStream({
  seed: Number(values.seed),
  customers,
  events,
  spanMs: 365 * DAY_MS,
})) {
  batch.push({ key: record.key, value: record.value });
  if (batch.length === 5000) {
    await producer.send({ topic: prefix + topicCatalogue.purchases.name, acks: -1, messages: batch });
    produced += batch.length;
    batch = [];
  }
}
if (batch.length)
  await producer.send({ topic: prefix + topicCatalogue.purchases.name, acks: -1, messages: batch });
produced += batch.length;
await producer.disconnect();

// 1. Raw kafkajs consume + decode.
const purchaseCodec = codecFor('Purchase');
const rawConsumer = kafka.consumer({ groupId: `${runId}-raw` });
await rawConsumer.connect();
await rawConsumer.subscribe({ topic: prefix + topicCatalogue.purchases.name, fromBeginning: true });
let consumed = 0;
let decodeFailures = 0;
const rawStarted = performance.now();
await new Promise<void>((resolve) => {
  void rawConsumer.run({
    eachBatch: async ({ batch: b }) => {
      for (const m of b.messages) {
        try {
          purchaseCodec.decode(m.value!);
        } catch {
          decodeFailures += 1;
        }
      }
      consumed += b.messages.length;
      if (consumed >= produced) resolve();
    },
  });
});
const rawKafkaSeconds = (performance.now() - rawStarted) / 1000;
await rawConsumer.disconnect();

// 2. Raw Redis: one HINCRBY per event, pipelined 1000 per round trip.
const redis = new Redis(redisUrl);
const rawRedisStarted = performance.now();
for (let i = 0; i < produced; i += 1000) {
  const pipeline = redis.pipeline();
  for (let j = i; j < Math.min(produced, i + 1000); j++)
    pipeline.hincrby(`${runId}:raw:{${j % partitions}}`, `c-${j % customers}`, 1);
  await pipeline.exec();
}
const rawRedisSeconds = (performance.now() - rawRedisStarted) / 1000;
for (let p = 0; p < partitions; p++) await redis.del(`${runId}:raw:{${p}}`);

// 3. The worker, in process, from the start of the topic to its last offset.
const settings = valueSegmentationSettings({});
const config = parseRuntimeConfig({
  KAFKA_BROKERS: brokers,
  REDIS_URL: redisUrl,
  TOPIC_PREFIX: prefix,
  KEY_PREFIX: runId,
  CONSUMER_GROUP_PREFIX: runId,
  TOPIC_PARTITIONS: String(partitions),
  METRICS_PORT: '0',
  METRICS_HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
});
const callsBefore = await commandCalls(redis);
const batchLatencies: number[] = [];
let applied = 0;
const workerStarted = performance.now();
const worker = await runWorker({
  definition: createValueSegmentationWorker(settings),
  config,
  logger: createLogger({ level: 'warn', name: 'bench' }),
  handleSignals: false,
});
worker.events.on('batchCompleted', (e) => {
  batchLatencies.push(e.durationMs);
  applied += e.records - e.skipped;
});
await new Promise<void>((resolve) => {
  const check = setInterval(() => {
    if (applied >= produced) {
      clearInterval(check);
      resolve();
    }
  }, 50);
});
const workerSeconds = (performance.now() - workerStarted) / 1000;
await worker.stop();
const calls = (await commandCalls(redis)) - callsBefore;
const metrics = await worker.registry.getMetricsAsJSON();
const waits = metrics.find((m) => m.name === 'vs_population_waits_total')?.values[0]?.value ?? 0;

await admin.deleteTopics({ topics: topics.map((t) => prefix + t) }).catch(() => undefined);
await admin.disconnect();
const keys = await redis.keys(`${runId}*`);
for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000));
await redis.quit();

batchLatencies.sort((a, b) => a - b);
const result = {
  at: new Date().toISOString(),
  node: process.version,
  machine: { cpus: (await import('node:os')).cpus().length },
  events: produced,
  customers,
  partitions,
  decodeFailures,
  rawKafkaConsumeDecode: { seconds: rawKafkaSeconds, eventsPerSecond: produced / rawKafkaSeconds },
  rawRedisPipelined: { seconds: rawRedisSeconds, eventsPerSecond: produced / rawRedisSeconds },
  worker: {
    seconds: workerSeconds,
    eventsPerSecond: produced / workerSeconds,
    redisCommandsPerEvent: calls / produced,
    batchMs: {
      p50: percentile(batchLatencies, 0.5),
      p99: percentile(batchLatencies, 0.99),
      count: batchLatencies.length,
    },
    populationWaits: waits,
  },
  ratios: {
    workerToRawKafka: produced / workerSeconds / (produced / rawKafkaSeconds),
    workerToRawRedis: produced / workerSeconds / (produced / rawRedisSeconds),
  },
};

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const rows: Array<[string, string]> = [
  ['events (customers, partitions)', `${fmt(produced)} (${fmt(customers)}, ${partitions})`],
  ['raw kafkajs consume + decode', `${fmt(result.rawKafkaConsumeDecode.eventsPerSecond)} events/s`],
  ['raw Redis, pipelined writes', `${fmt(result.rawRedisPipelined.eventsPerSecond)} events/s`],
  ['value-segmentation worker', `${fmt(result.worker.eventsPerSecond)} events/s`],
  ['worker / raw Kafka', result.ratios.workerToRawKafka.toFixed(3)],
  ['worker / raw Redis', result.ratios.workerToRawRedis.toFixed(3)],
  ['Redis commands per event', result.worker.redisCommandsPerEvent.toFixed(4)],
  [
    'batch latency p50 / p99',
    `${result.worker.batchMs.p50.toFixed(1)} / ${result.worker.batchMs.p99.toFixed(1)} ms`,
  ],
  ['population barrier waits', String(waits)],
];
const width = Math.max(...rows.map(([k]) => k.length));
process.stdout.write(`\n${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`);
const out = join(root, 'bench', 'results');
mkdirSync(out, { recursive: true });
const file = join(out, `pipeline-${result.at.slice(0, 19).replace(/[:T]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(`\nwritten ${file}\n`);
process.exit(0);
