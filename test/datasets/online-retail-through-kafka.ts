// Part of `npm run verify:datasets` (not of `npm test`: the data are not in the repo). The Online
// Retail backtest of issue 13 through the worker itself: the training invoices (2010-12-01 …
// 2011-10-31) go through Kafka into the next-best-offer worker (a real process on Redis) at SKU
// level; at the end of training each test customer's suggestions are what the worker's own
// ranking (suggest.ts rankedFor: rankSuggestions on evidenceOf the view) makes of the state and
// the view it keeps in Redis; they are scored against what the customers bought in November 2011,
// beside popularity and random (backtest/score.ts, as in verify-online-retail.ts). Exits 1 unless
// the worker beats popularity on hit@10.
//
// DATASETS_DIR: folder holding online_retail/ (default ../shared/data, from the repo root).
// KAFKA_BROKERS / REDIS_URL: existing endpoints; otherwise the local stack is started (and
// stopped again) with deploy/stack.sh.
//
// The worker runs with the default rule settings (window 28 d, minSupport 0.01, minConfidence 0.3,
// rules of 2–4 items, recentDays 28: fixed before looking at November) and: NBO_ITEM_LEVEL=sku;
// NBO_LEARN_STEPS=false (3,600 items: the step counters would grow with every pair a customer
// bought); NBO_TOP_K=10 (the largest k scored); no holdout (scores every customer); GBP; and
// NBO_MAX_ITEMS_PER_CUSTOMER=10000, so that the worker remembers every item a customer bought in
// the last 28 days and never suggests one (the rule the baselines follow; with the default 64 a
// wholesaler's forgotten items could be suggested, and restocking is the easiest hit here).
// Times are moved forward by whole days so that the end of training falls on a weekly refresh
// boundary (the view scored is mined over exactly the 28 days before it, like the baselines).

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { standInSuggester } from '../../services/next-best-offer/backtest/batch-suggestions.js';
import {
  invoicesIn,
  readOnlineRetail,
  TEST_MONTH,
  TRAINING_MONTHS,
} from '../../services/next-best-offer/backtest/online-retail.js';
import {
  ONLINE_RETAIL_CURRENCY,
  purchaseOf,
  shiftOntoBoundary,
} from '../../services/next-best-offer/backtest/online-retail-purchases.js';
import {
  basketsBefore,
  itemsByCustomer,
  pairedHits,
  popularItems,
  popularitySuggester,
  randomSuggester,
  type Score,
  type Suggester,
  scoreSuggester,
  testCustomers,
} from '../../services/next-best-offer/backtest/score.js';
import { loadNextBestOfferConfig } from '../../services/next-best-offer/config.js';
import type { Suggestion } from '../../services/next-best-offer/rank.js';
import { DAY_MS } from '../../services/next-best-offer/settings.js';
import { decodeState, type NextBestOfferState } from '../../services/next-best-offer/state.js';
import { rankedFor } from '../../services/next-best-offer/suggest.js';
import type { NextBestOfferView } from '../../services/next-best-offer/view.js';
import { NEXT_BEST_OFFER_WORKER } from '../../services/next-best-offer/worker.js';
import { codecFor } from '../../shared/avro/index.js';
import { sampleConsumerProfile, samplePurchase } from '../../shared/contracts/samples.js';
import { datasetsDir } from '../../shared/datasets-dir.js';
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

const PARTITIONS = 12;
const KS = [3, 10] as const;
const TOP_K = Math.max(...KS);
const SEED = 20111101;
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The worker's variables beyond the endpoints and names; everything else is its default. */
const WORKER_VARIABLES = {
  NBO_ITEM_LEVEL: 'sku',
  NBO_LEARN_STEPS: 'false',
  NBO_CURRENCY: ONLINE_RETAIL_CURRENCY,
  NBO_TOP_K: String(TOP_K),
  NBO_HOLDOUT_BY_TIER: 'top=0,middle=0,bottom=0,unknown=0',
  NBO_MAX_ITEMS_PER_CUSTOMER: '10000',
} as const;

/** Every customer state the worker keeps, by customer. */
async function readStates(redis: Redis, keyPrefix: string): Promise<Map<string, NextBestOfferState>> {
  const states = new Map<string, NextBestOfferState>();
  for (let p = 0; p < PARTITIONS; p += 1) {
    const hash = await redis.hgetall(partitionKeys(keyPrefix, NEXT_BEST_OFFER_WORKER, p).customers);
    for (const [customerId, encoded] of Object.entries(hash)) states.set(customerId, decodeState(encoded));
  }
  return states;
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const HEADER = `${'suggester'.padEnd(28)}${['hit@3', 'hit@10', 'precision@3', 'precision@10', 'coverage'].map((h) => h.padStart(14)).join('')}`;
function row(name: string, s: Score): string {
  const cells = [s.hitAt[3]!, s.hitAt[10]!, s.precisionAt[3]!, s.precisionAt[10]!, s.coverage];
  return `${name.padEnd(28)}${cells.map((v) => pct(v).padStart(14)).join('')}`;
}

async function main(): Promise<void> {
  const started = performance.now();
  const { invoices } = readOnlineRetail(datasetsDir('online_retail'));
  const training = invoicesIn(invoices, TRAINING_MONTHS);
  const test = invoicesIn(invoices, TEST_MONTH);
  const customers = testCustomers(training, test);
  const boughtInTest = itemsByCustomer(test);

  const { brokers, redisUrl, started: stackStarted } = datasetEndpoints();
  const prefix = `${uniqueName('online-retail')}.`;
  const keyPrefix = uniqueName('online-retail');
  const group = uniqueName('online-retail');
  const environment = {
    KAFKA_BROKERS: brokers,
    REDIS_URL: redisUrl,
    TOPIC_PREFIX: prefix,
    KEY_PREFIX: keyPrefix,
    CONSUMER_GROUP_PREFIX: group,
    TOPIC_PARTITIONS: String(PARTITIONS),
    LOG_LEVEL: 'warn',
    ...WORKER_VARIABLES,
  };
  // The settings the worker process parses from the same variables: its ranking is rerun with them.
  const { settings } = loadNextBestOfferConfig(environment);
  const shift = shiftOntoBoundary(TRAINING_MONTHS.to, settings.refreshPeriodMs);
  const boundary = TRAINING_MONTHS.to + shift;
  const endOfTraining = boundary - 1;

  const topic = (name: string) => prefix + name;
  const purchasesTopic = topic(topicCatalogue.purchases.name);
  // The worker's topics, and those of every worker (erasure requests, completions).
  await createTopicSet(brokers, prefix, NEXT_BEST_OFFER_TOPICS, PARTITIONS);
  const purchases = training.map((invoice) => purchaseOf(invoice, shift));
  const firstTime = purchases[0]!.occurredAt;
  const profileCodec = codecFor('CustomerProfile');
  const profiles = [...new Set(training.map((invoice) => invoice.customerId))].map((customerId) => ({
    ...sampleConsumerProfile(),
    eventId: `online-retail-profile-${customerId}`,
    customerId,
    occurredAt: firstTime,
    signedUpAt: firstTime,
    marketingConsent: true,
  }));
  const purchaseCodec = codecFor('Purchase');
  // One sale on every partition a day and an hour after the boundary, so every partition's stream
  // time passes it (its snapshot, hence the view).
  const ticks = Array.from({ length: PARTITIONS }, (_, p) => ({
    partition: p,
    event: {
      ...samplePurchase(),
      currency: ONLINE_RETAIL_CURRENCY,
      eventId: `tick-${p}`,
      customerId: `tick-${p}`,
      occurredAt: boundary + DAY_MS + 3_600_000,
    },
  }));
  const produceStarted = performance.now();
  await produceRecords(
    brokers,
    topic(topicCatalogue.customerProfiles.name),
    profiles.map((p) => ({ key: p.customerId, value: profileCodec.encode(p) })),
  );
  await produceRecords(brokers, purchasesTopic, [
    ...purchases.map((p) => ({ key: p.customerId, value: purchaseCodec.encode(p) })),
    ...ticks.map((t) => ({
      key: t.event.customerId,
      value: purchaseCodec.encode(t.event),
      partition: t.partition,
    })),
  ]);
  const produced = performance.now() - produceStarted;

  const worker = await startWorkerProcess(
    'services/next-best-offer/main.ts',
    environment,
    'online-retail-next-best-offer',
  );
  const redis = new Redis(redisUrl);
  let suggestions: Map<string, Suggestion[]>;
  let view: NextBestOfferView;
  let states: Map<string, NextBestOfferState>;
  let applied: number;
  let deadLetters: number;
  try {
    applied = await waitUntilApplied(
      'the Online Retail purchases applied on every partition',
      worker,
      redis,
      keyPrefix,
      purchasesTopic,
      brokers,
      NEXT_BEST_OFFER_WORKER,
    );
    const encoded = await waitFor('the view of the end of training', () =>
      redis.get(populationViewKey(keyPrefix, NEXT_BEST_OFFER_WORKER, boundary)),
    );
    view = JSON.parse(encoded) as NextBestOfferView;
    states = await readStates(redis, keyPrefix);
    deadLetters = metricSum(await worker.metrics(), 'vs_dead_letters_total');
    suggestions = new Map(
      customers.map((id) => {
        const state = states.get(id);
        return [id, state === undefined ? [] : rankedFor(state, endOfTraining, view, settings)];
      }),
    );
  } finally {
    worker.kill('SIGTERM');
    await worker.exited;
    redis.disconnect();
    if (stackStarted) execFileSync('bash', ['deploy/stack.sh', 'down'], { cwd: repoRoot, stdio: 'inherit' });
  }

  const score = (suggest: Suggester, who: readonly string[] = customers) =>
    scoreSuggester(who, suggest, boughtInTest, KS);
  const fromWorker: Suggester = (id) => (suggestions.get(id) ?? []).map((s) => s.item);
  const fromRules: Suggester = (id) =>
    (suggestions.get(id) ?? []).filter((s) => s.kind === 'rule').map((s) => s.item);
  const recent = itemsByCustomer(basketsBefore(training, TRAINING_MONTHS.to, settings.recentDays));
  const popular = popularitySuggester(
    popularItems(basketsBefore(training, TRAINING_MONTHS.to, settings.basketWindowDays)),
    recent,
    TOP_K,
  );
  const random = randomSuggester(popularItems(training), recent, TOP_K, SEED);
  const worker10 = score(fromWorker);
  const popularity = score(popular);
  const ruleCustomers = customers.filter((id) => fromRules(id).length > 0);
  const paired = pairedHits(customers, fromWorker, popular, boughtInTest, 10);
  const kinds = new Map<string, number>();
  for (const list of suggestions.values())
    for (const s of list) kinds.set(s.kind, (kinds.get(s.kind) ?? 0) + 1);
  const recentSuggested = customers.filter((id) => fromWorker(id).some((item) => recent.get(id)?.has(item)));
  const missingStates = customers.filter((id) => !states.has(id)).length;
  // The offline stand-in of verify-online-retail.ts (the worker's mining path without Kafka or
  // Redis): how far the worker's own lists are from it.
  const standIn = standInSuggester(training, TRAINING_MONTHS.to, { ...settings, topK: TOP_K }).suggest;
  const sameAsStandIn = customers.filter((id) => fromWorker(id).join('\n') === standIn(id).join('\n')).length;

  const out = (line = '') => process.stdout.write(`${line}\n`);
  out();
  out('Online Retail through Kafka into the next-best-offer worker (issue 13 backtest)');
  out(
    `Produced ${purchases.length} training invoices as purchases (shifted ${shift / DAY_MS} d), ${profiles.length} profiles ` +
      `and ${PARTITIONS} ticks in ${(produced / 1000).toFixed(1)} s; applied ${(applied / 1000).toFixed(1)} s after the worker's start; ` +
      `${deadLetters} dead letters.`,
  );
  out(
    `View of ${new Date(boundary - shift).toISOString().slice(0, 10)} (shifted back): ${view.baskets} baskets, ` +
      `${view.rulesMined} rules mined, ${view.rules.length} kept, ${view.steps.length} steps, ${view.economics.length} items priced.`,
  );
  out(
    `Test customers: ${customers.length} (${missingStates} without a state); suggestions by kind: ` +
      `${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}; ${recentSuggested.length} customers suggested an item bought within ${settings.recentDays} d.`,
  );
  out();
  out(HEADER);
  out(row('worker (rules, then popular)', worker10));
  out(row('popularity', popularity));
  out(row('random', score(random)));
  out(`on the ${ruleCustomers.length} customers some rule fired for:`);
  out(row('  worker, rules alone', score(fromRules, ruleCustomers)));
  out(row('  popularity', score(popular, ruleCustomers)));
  out(
    `hit@10, worker vs popularity: ${paired.onlyA} customers hit only by the worker, ${paired.onlyB} only by popularity ` +
      `(McNemar z = ${paired.z.toFixed(2)}).`,
  );
  out(
    `settings: ${Object.entries(WORKER_VARIABLES)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}; window ${settings.basketWindowDays} d, minSupport ${settings.minSupport}, minConfidence ` +
      `${settings.minConfidence}, rules of ${settings.minRuleLength}–${settings.maxRuleLength} items, recentDays ${settings.recentDays} (defaults); random seed ${SEED}.`,
  );
  out(
    `the worker's ten suggestions equal the offline stand-in's, in order, for ${sameAsStandIn} of ${customers.length} test customers.`,
  );
  out(`time: ${((performance.now() - started) / 1000).toFixed(1)} s in all.`);
  const margin = worker10.hitAt[10]! - popularity.hitAt[10]!;
  const ok = margin > 0 && recentSuggested.length === 0 && missingStates === 0;
  out(
    ok
      ? `PASS: the worker beats popularity on hit@10 by ${(100 * margin).toFixed(1)} points.`
      : `FAIL: worker hit@10 ${pct(worker10.hitAt[10]!)} vs popularity ${pct(popularity.hitAt[10]!)}; ` +
          `${recentSuggested.length} suggested a recent item; ${missingStates} without a state.`,
  );
  if (!ok) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(
    `online-retail-through-kafka: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exitCode = 1;
});
