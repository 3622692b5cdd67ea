// Part of `npm run verify:datasets` (not of `npm test`: the data are not in the repo). Streams the
// CDNOW 1/10 sample's 39-week calibration purchases through Kafka into the retention worker (a
// real process on Redis) and checks that the parameters it fits from its own state, and the
// P(alive) of every customer computed from its own state, equal the published and reference
// values (../shared/data/cdnow/SOURCE.md).
//
// DATASETS_DIR: folder holding cdnow/ (default ../shared/data, from the repo root).
// KAFKA_BROKERS / REDIS_URL: existing endpoints; otherwise the local stack is started (and
// stopped again) with deploy/stack.sh.
//
// The purchases are moved forward by a whole number of weeks (our contracts reject event times
// before 2000); calendar days, and so the BG/NBD summaries, are unchanged by the shift.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import type { RetentionView } from '../../services/retention/fit-view.js';
import { pAlive } from '../../services/retention/models/bgnbd.js';
import { decodeState } from '../../services/retention/state.js';
import { RETENTION } from '../../services/retention/worker.js';
import { codecFor } from '../../shared/avro/index.js';
import type { Purchase } from '../../shared/contracts/generated.js';
import { samplePurchase } from '../../shared/contracts/samples.js';
import { datasetsDir } from '../../shared/datasets-dir.js';
import { partitionKeys, populationViewKey } from '../../shared/redis/keys.js';
import { deadLetterTopicOf, topicCatalogue } from '../../shared/topics.js';
import { uniqueName } from '../support/endpoints.js';
import { createTestTopics, produceRecords, testKafka, waitFor } from '../support/kafka-test-client.js';
import { committedToEnd } from '../support/value-segmentation-check.js';
import { startWorkerProcess } from '../support/worker-process.js';
import { datasetEndpoints } from './dataset-endpoints.js';

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
const PARTITIONS = 4;
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Published BG/NBD (BTYD vignette, full precision) and Gamma-Gamma (Fader & Hardie 2013) values. */
const PUBLISHED = {
  r: 0.2425982,
  alpha: 4.4136842,
  a: 0.7929899,
  b: 2.4261667,
  logLikelihood: -9582.429,
  p: 6.25,
  q: 3.74,
  gamma: 15.44,
};

const rows: Array<{ check: string; expected: string; got: string; ok: boolean }> = [];
const threeSignificant = (v: number) => Number(v.toPrecision(3));
function check(name: string, expected: number, got: number, ok: boolean): void {
  rows.push({ check: name, expected: String(expected), got: String(Number(got.toPrecision(8))), ok });
}

async function main(): Promise<void> {
  const cdnow = join(datasetsDir('cdnow'), 'cdnow');
  const calibrationEnd = Date.UTC(1997, 8, 30); // last calibration day, 1997-09-30
  // Shift by whole weeks to after 2000, landing the day after calibration on a weekly boundary.
  let shift = 1461 * WEEK_MS;
  while ((calibrationEnd + DAY_MS + shift) % WEEK_MS !== 0) shift += DAY_MS;
  const boundary = calibrationEnd + DAY_MS + shift;

  const purchases: Purchase[] = [];
  for (const line of readFileSync(join(cdnow, 'CDNOW_sample.txt'), 'utf8').split(/\r?\n/)) {
    const cells = line.trim().split(/\s+/);
    if (cells.length < 5) continue;
    const date = cells[2]!;
    const day = Date.UTC(Number(date.slice(0, 4)), Number(date.slice(4, 6)) - 1, Number(date.slice(6, 8)));
    if (day > calibrationEnd) continue;
    const sale = samplePurchase();
    purchases.push({
      ...sale,
      eventId: `cdnow-${purchases.length}`,
      customerId: `cdnow-${Number(cells[1])}`,
      occurredAt: day + shift + 12 * 3_600_000,
      lines: [
        {
          ...sale.lines[0]!,
          quantity: 1,
          unitPriceMinor: Math.round(Number(cells[4]) * 100),
          marginMinor: null,
        },
      ],
      storeId: null,
    });
  }
  purchases.sort((x, y) => x.occurredAt - y.occurredAt);

  const { brokers, redisUrl, started } = datasetEndpoints();
  const prefix = `${uniqueName('cdnow')}.`;
  const keyPrefix = uniqueName('cdnow');
  const group = uniqueName('cdnow');
  const topic = (name: string) => prefix + name;
  const inputs = [
    topicCatalogue.purchases,
    topicCatalogue.interactions,
    topicCatalogue.customerProfiles,
    topicCatalogue.segmentChanges,
  ];
  const worker = await (async () => {
    await createTestTopics(
      brokers,
      [
        ...inputs.map((t) => topic(t.name)),
        ...inputs.map((t) => topic(deadLetterTopicOf(t.name))),
        topic(topicCatalogue.retentionOffers.name),
      ],
      PARTITIONS,
    );
    const codec = codecFor('Purchase');
    // After the calibration purchases, one purchase per partition a day after the boundary, so
    // every partition's stream time passes the fit of the boundary and its application.
    const ticks = Array.from({ length: PARTITIONS }, (_, p) => ({
      partition: p,
      event: {
        ...samplePurchase(),
        eventId: `tick-${p}`,
        customerId: `tick-${p}`,
        occurredAt: boundary + DAY_MS + 3_600_000,
      },
    }));
    await produceRecords(brokers, topic(topicCatalogue.purchases.name), [
      ...purchases.map((p) => ({ key: p.customerId, value: codec.encode(p) })),
      ...ticks.map((t) => ({
        key: t.event.customerId,
        value: codec.encode(t.event),
        partition: t.partition,
      })),
    ]);
    return startWorkerProcess(
      'services/retention/main.ts',
      {
        KAFKA_BROKERS: brokers,
        REDIS_URL: redisUrl,
        TOPIC_PREFIX: prefix,
        KEY_PREFIX: keyPrefix,
        CONSUMER_GROUP_PREFIX: group,
        TOPIC_PARTITIONS: String(PARTITIONS),
        RETENTION_FIT_PERIOD: '7d',
        RETENTION_PUBLISH_DELAY: '1d',
        RETENTION_CURRENCY: 'EUR',
        LOG_LEVEL: 'warn',
      },
      'cdnow-retention',
    );
  })();
  const admin = testKafka(brokers).admin();
  const redis = new Redis(redisUrl);
  try {
    await admin.connect();
    await waitFor(
      'the calibration purchases applied',
      () => committedToEnd(admin, `${group}.${RETENTION}`, topic(topicCatalogue.purchases.name)),
      {
        timeoutMs: 300_000,
        intervalMs: 500,
      },
    );
    const encoded = await redis.get(populationViewKey(keyPrefix, RETENTION, boundary));
    if (encoded === null)
      throw new Error(`the worker stored no fit for the boundary ${new Date(boundary).toISOString()}`);
    const view = JSON.parse(encoded) as RetentionView;
    const { params, logLikelihood, customers } = view.bgnbd;
    check('customers in the fit', 2357, customers, customers === 2357);
    for (const key of ['r', 'alpha', 'a', 'b'] as const)
      check(
        `BG/NBD ${key} (3 s.f.)`,
        threeSignificant(PUBLISHED[key]),
        params[key],
        threeSignificant(params[key]) === threeSignificant(PUBLISHED[key]),
      );
    check(
      'BG/NBD log-likelihood (3 s.f.)',
      threeSignificant(PUBLISHED.logLikelihood),
      logLikelihood,
      threeSignificant(logLikelihood) === threeSignificant(PUBLISHED.logLikelihood),
    );
    const gg = view.gammaGamma!;
    check(
      'Gamma-Gamma p (3 s.f.)',
      PUBLISHED.p,
      gg.params.p,
      threeSignificant(gg.params.p) === threeSignificant(PUBLISHED.p),
    );
    check(
      'Gamma-Gamma q (3 s.f.)',
      PUBLISHED.q,
      gg.params.q,
      threeSignificant(gg.params.q) === threeSignificant(PUBLISHED.q),
    );
    check(
      'Gamma-Gamma gamma, dollars (3 s.f.)',
      PUBLISHED.gamma,
      gg.params.gamma / 100,
      threeSignificant(gg.params.gamma / 100) === threeSignificant(PUBLISHED.gamma),
    );

    // P(alive) of every customer from the worker's own stored purchase days and its own fit.
    const reference = new Map<string, number>(
      readFileSync(join(cdnow, 'derived', 'cdnow_sample_cbs_with_reference_values.csv'), 'utf8')
        .split(/\r?\n/)
        .slice(1)
        .filter((l) => l.trim() !== '')
        .map((l) => l.split(','))
        .map((cells) => [`cdnow-${cells[0]}`, Number(cells[6])] as const),
    );
    let compared = 0;
    let maxDifference = 0;
    for (let p = 0; p < PARTITIONS; p += 1) {
      const states = await redis.hgetall(partitionKeys(keyPrefix, RETENTION, p).customers);
      for (const [customerId, stateText] of Object.entries(states)) {
        const expected = reference.get(customerId);
        if (expected === undefined) continue;
        // The listed purchase days, after those folded into `earlier` (older than the retained
        // window, 365 days by default: the 39 calibration weeks are all listed).
        const state = decodeState(stateText);
        const listed = state.days.map(([day]) => day).filter((day) => day < boundary);
        const earlier = state.earlier ?? null;
        const firstDay = earlier?.firstDay ?? listed[0]!;
        const lastDay = listed.at(-1) ?? earlier!.lastDay;
        const summary = {
          x: (earlier?.days ?? 0) + listed.length - 1,
          tx: (lastDay - firstDay) / WEEK_MS,
          T: (boundary - DAY_MS - firstDay) / WEEK_MS,
        };
        maxDifference = Math.max(maxDifference, Math.abs(pAlive(params, summary) - expected));
        compared += 1;
      }
    }
    check('customers with P(alive) from the worker’s state', 2357, compared, compared === 2357);
    check('max |P(alive) − reference|', 0, maxDifference, maxDifference < 1e-3);
  } finally {
    worker.kill('SIGTERM');
    await worker.exited;
    await admin.disconnect().catch(() => undefined);
    redis.disconnect();
    if (started) execFileSync('bash', ['deploy/stack.sh', 'down'], { cwd: repoRoot, stdio: 'inherit' });
  }
  const width = Math.max(...rows.map((r) => r.check.length));
  process.stdout.write('\nCDNOW through Kafka into the retention worker\n');
  for (const r of rows)
    process.stdout.write(
      `${r.check.padEnd(width)}  ${r.expected.padStart(12)}  ${r.got.padStart(14)}  ${r.ok ? 'ok' : 'FAIL'}\n`,
    );
  const failed = rows.filter((r) => !r.ok).length;
  process.stdout.write(
    failed === 0 ? `All ${rows.length} checks passed.\n` : `${failed} of ${rows.length} checks FAILED.\n`,
  );
  if (failed > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`cdnow-through-kafka: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
