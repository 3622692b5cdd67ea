// Part of `npm run verify:datasets` (not of `npm test`: the data are not in the repo). Streams the
// Groceries baskets through Kafka into the next-best-offer worker (a real process on Redis) and
// checks that the rules it mines from its own state equal arules' published results
// (../shared/data/groceries/SOURCE.md): the view it stored for the boundary after the baskets'
// day (the worker's own merge), and every published setting mined from the basket counters it
// keeps in Redis. Prints the mining times and the counters' size.
//
// DATASETS_DIR: folder holding groceries/ (default ../shared/data, from the repo root).
// KAFKA_BROKERS / REDIS_URL: existing endpoints; otherwise the local stack is started (and
// stopped again) with deploy/stack.sh.
//
// The data carry no customers and no times: each basket is one sale of its own customer, all on
// one day, spread over it in file order; an item is its category (the worker's default level).

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { BASKET_FIELD_PREFIX } from '../../services/next-best-offer/basket-key.js';
import { readGroceryBaskets } from '../../services/next-best-offer/groceries-baskets.js';
import { miningChecks, windowChecks } from '../../services/next-best-offer/groceries-checks.js';
import {
  GROCERIES_SETTINGS,
  GROCERIES_TRANSACTIONS,
} from '../../services/next-best-offer/groceries-published.js';
import {
  type Check,
  checkTable,
  checkVerdict,
  numberCheck,
  settingChecks,
} from '../../services/next-best-offer/published-checks.js';
import type { NextBestOfferView } from '../../services/next-best-offer/view.js';
import { NEXT_BEST_OFFER_WORKER } from '../../services/next-best-offer/worker.js';
import { codecFor } from '../../shared/avro/index.js';
import type { Purchase } from '../../shared/contracts/generated.js';
import { samplePurchase } from '../../shared/contracts/samples.js';
import { partitionKeys, populationViewKey } from '../../shared/redis/keys.js';
import { topicCatalogue } from '../../shared/topics.js';
import { uniqueName } from '../support/endpoints.js';
import {
  createTopicSet,
  NEXT_BEST_OFFER_TOPICS,
  produceRecords,
  waitFor,
} from '../support/kafka-test-client.js';
import { metricSum, startWorkerProcess } from '../support/worker-process.js';
import { datasetEndpoints, waitUntilApplied } from './dataset-endpoints.js';

const DAY_MS = 86_400_000;
const PARTITIONS = 12;
const WINDOW_DAYS = 30;
/** The baskets' day D, 2026-12-01 UTC; the view checked is that of the boundary D + 1. */
const BASKET_DAY = Date.UTC(2026, 11, 1) / DAY_MS;
const BOUNDARY = (BASKET_DAY + 1) * DAY_MS;
/** The one setting the worker runs with (the first published one); the others are mined here. */
const WORKER_SETTING = GROCERIES_SETTINGS[0]!;
const UNIT_PRICE_MINOR = 100;
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** One sale per basket, its own customer, on day D in file order (spread evenly over the day). */
function groceryPurchases(): Purchase[] {
  const baskets = [...readGroceryBaskets()];
  const sale = samplePurchase();
  return baskets.map(([id, items], i) => ({
    ...sale,
    eventId: `groceries-${id}`,
    customerId: `groceries-${id}`,
    occurredAt: BASKET_DAY * DAY_MS + Math.floor((i * DAY_MS) / baskets.length),
    lines: items.map(({ code, item }) => ({
      sku: code,
      category: item,
      quantity: 1,
      unitPriceMinor: UNIT_PRICE_MINOR,
      marginMinor: null,
      kcalPerUnit: null,
      usage: null,
    })),
    channel: 'store',
    storeId: null,
  }));
}

/** Every partition's counters hash as numbers, and its size: MEMORY USAGE and field + value bytes. */
async function readCounters(
  redis: Redis,
  keyPrefix: string,
): Promise<{
  partitions: Record<string, number>[];
  memory: number;
  all: { fields: number; bytes: number };
  baskets: { fields: number; bytes: number };
}> {
  const partitions: Record<string, number>[] = [];
  let memory = 0;
  const all = { fields: 0, bytes: 0 };
  const baskets = { fields: 0, bytes: 0 };
  for (let p = 0; p < PARTITIONS; p += 1) {
    const key = partitionKeys(keyPrefix, NEXT_BEST_OFFER_WORKER, p).counters;
    const hash = await redis.hgetall(key);
    memory += Number((await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? 0);
    for (const [field, value] of Object.entries(hash)) {
      const bytes = Buffer.byteLength(field) + Buffer.byteLength(value);
      for (const sum of field.startsWith(BASKET_FIELD_PREFIX) ? [all, baskets] : [all]) {
        sum.bytes += bytes;
        sum.fields += 1;
      }
    }
    partitions.push(Object.fromEntries(Object.entries(hash).map(([f, v]) => [f, Number(v)])));
  }
  return { partitions, memory, all, baskets };
}

async function main(): Promise<void> {
  const purchases = groceryPurchases();
  const { brokers, redisUrl, started } = datasetEndpoints();
  const prefix = `${uniqueName('groceries')}.`;
  const keyPrefix = uniqueName('groceries');
  const group = uniqueName('groceries');
  const topic = (name: string) => prefix + name;
  const purchasesTopic = topic(topicCatalogue.purchases.name);
  // The worker's topics, and those of every worker (erasure requests, completions).
  await createTopicSet(brokers, prefix, NEXT_BEST_OFFER_TOPICS, PARTITIONS);
  const codec = codecFor('Purchase');
  // One sale on every partition two days on, so every partition's stream time passes the boundary
  // D + 1 (its snapshot) and D + 2 (the view applied after the publish delay).
  const ticks = Array.from({ length: PARTITIONS }, (_, p) => ({
    partition: p,
    event: {
      ...samplePurchase(),
      eventId: `tick-${p}`,
      customerId: `tick-${p}`,
      occurredAt: BOUNDARY + DAY_MS + 3_600_000,
    },
  }));
  const produceStarted = performance.now();
  await produceRecords(brokers, purchasesTopic, [
    ...purchases.map((p) => ({ key: p.customerId, value: codec.encode(p) })),
    ...ticks.map((t) => ({ key: t.event.customerId, value: codec.encode(t.event), partition: t.partition })),
  ]);
  const produced = performance.now() - produceStarted;
  const worker = await startWorkerProcess(
    'services/next-best-offer/main.ts',
    {
      KAFKA_BROKERS: brokers,
      REDIS_URL: redisUrl,
      TOPIC_PREFIX: prefix,
      KEY_PREFIX: keyPrefix,
      CONSUMER_GROUP_PREFIX: group,
      TOPIC_PARTITIONS: String(PARTITIONS),
      NBO_MIN_SUPPORT: String(WORKER_SETTING.options.minSupport),
      NBO_MIN_CONFIDENCE: String(WORKER_SETTING.options.minConfidence),
      NBO_MIN_RULE_LENGTH: String(WORKER_SETTING.options.minLen),
      NBO_MAX_RULE_LENGTH: String(WORKER_SETTING.options.maxLen),
      NBO_BASKET_WINDOW_DAYS: String(WINDOW_DAYS),
      NBO_REFRESH_PERIOD: '1d',
      NBO_PUBLISH_DELAY: '1d',
      LOG_LEVEL: 'warn',
    },
    'groceries-next-best-offer',
  );
  const redis = new Redis(redisUrl);
  const checks: Check[] = [];
  const lines: string[] = [];
  try {
    const applied = await waitUntilApplied(
      'the Groceries purchases applied on every partition',
      worker,
      redis,
      keyPrefix,
      purchasesTopic,
      brokers,
      NEXT_BEST_OFFER_WORKER,
    );
    const encoded = await waitFor('the view of the boundary D + 1', () =>
      redis.get(populationViewKey(keyPrefix, NEXT_BEST_OFFER_WORKER, BOUNDARY)),
    );
    const view = JSON.parse(encoded) as NextBestOfferView;
    const viewLabel = `worker's view, ${WORKER_SETTING.name}`;
    checks.push(
      numberCheck(`${viewLabel}: baskets`, GROCERIES_TRANSACTIONS, view.baskets, 0),
      numberCheck(`${viewLabel}: rules mined`, WORKER_SETTING.rules, view.rulesMined, 0),
      numberCheck(`${viewLabel}: malformed fields`, 0, view.malformedFields, 0),
      ...settingChecks(WORKER_SETTING, view, viewLabel),
    );

    const state = await readCounters(redis, keyPrefix);
    const window = windowChecks(state.partitions, BASKET_DAY, WINDOW_DAYS);
    const mining = miningChecks(window.baskets, "worker's counters, ");
    checks.push(...window.checks.map((c) => ({ ...c, name: `worker's counters: ${c.name}` })));
    checks.push(...mining.checks);

    const metrics = await worker.metrics();
    const mergeSeconds = metricSum(metrics, 'vs_population_merge_seconds_sum');
    const merges = metricSum(metrics, 'vs_population_merge_seconds_count');
    lines.push(
      `Produced ${purchases.length} sales + ${PARTITIONS} ticks to ${PARTITIONS} partitions in ${(produced / 1000).toFixed(1)} s; ` +
        `applied by the worker ${(applied / 1000).toFixed(1)} s after its start.`,
      `Worker's merges (vs_population_merge_seconds): ${merges} views, ${mergeSeconds.toFixed(3)} s in all.`,
      ...mining.timings,
      `State: counters hashes of ${PARTITIONS} partitions, ${state.memory} bytes by Redis MEMORY USAGE; ` +
        `${state.all.fields} fields, ${state.all.bytes} bytes of field names + values, of which baskets ` +
        `(${BASKET_FIELD_PREFIX}) ${state.baskets.fields} fields, ${state.baskets.bytes} bytes ` +
        `(${window.baskets.length} distinct baskets in the window).`,
    );
  } finally {
    worker.kill('SIGTERM');
    await worker.exited;
    redis.disconnect();
    if (started) execFileSync('bash', ['deploy/stack.sh', 'down'], { cwd: repoRoot, stdio: 'inherit' });
  }
  process.stdout.write('\nGroceries through Kafka into the next-best-offer worker\n');
  for (const line of checkTable(checks)) process.stdout.write(`${line}\n`);
  process.stdout.write('\n');
  for (const line of lines) process.stdout.write(`${line}\n`);
  process.stdout.write(`${checkVerdict(checks)}\n`);
  if (!checks.every((c) => c.ok)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(
    `groceries-through-kafka: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exitCode = 1;
});
