import { Redis } from 'ioredis';
import type { Producer } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { fitPopulation, type RetentionView } from '../../services/retention/fit-view.js';
import { DAY_MS, retentionSettings } from '../../services/retention/settings.js';
import { RETENTION } from '../../services/retention/worker.js';
import { codecFor } from '../../shared/avro/index.js';
import type {
  CustomerProfile,
  Interaction,
  Purchase,
  RetentionOfferIssued,
  SegmentChanged,
} from '../../shared/contracts/generated.js';
import {
  sampleConsumerProfile,
  sampleInteraction,
  samplePurchase,
  sampleSegmentChanged,
} from '../../shared/contracts/samples.js';
import { partitionKeys, populationViewKey } from '../../shared/redis/keys.js';
import { topicCatalogue } from '../../shared/topics.js';
import { testEndpoints, uniqueName } from '../support/endpoints.js';
import {
  createTopicSet,
  RETENTION_TOPICS,
  readWholeTopic,
  testKafka,
  waitFor,
} from '../support/kafka-test-client.js';
import { type PromSample, parsePromText, promSeries } from '../support/prom-text.js';
import { committedToEnd } from '../support/value-segmentation-check.js';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process.js';
import {
  expectedFits,
  modelCountersAt,
  WEEK_MS,
  youngPopulation,
} from '../support/young-retention-population.js';

// Issue 14, the two findings of the outside review of the retention worker, reproduced and shown
// fixed through a real worker process on real Kafka and Redis.
//
// A young population (324 customers arriving over 40 weekly stages; test/support/
// young-retention-population.ts) whose weekly fits are first accepted and later rejected: BG/NBD
// runs off to its bounds for weeks after its first accepted fit, and Gamma-Gamma runs off once
// customers whose spend per visit never varies are most of the repeat buyers. The sequence of
// outcomes is worked out here first with the pure fit (fit-view.ts), then the records go in week
// by week; after each week the test scrapes /metrics and reads Redis.
//
// Reproduced: at scrapes after the first accepted fit, the view stored under the partitions'
// highest `appliedBoundary` (what the old gauges read) is null; and offers were decided under
// views whose own Gamma-Gamma refit was rejected (the old merge gave them no spend model, hence
// no CLV). Fixed: the model gauges are there in every scrape after the first accepted fit of each
// model and show the fit in force; vs_retention_model_fits_total counts the offline outcomes; and
// every offer or holdout after the first usable Gamma-Gamma fit took effect carries a CLV and the
// boundary that spend fit was made at.

const PARTITIONS = 2;
const WEEKS = 40;
const MIN_FIT_CUSTOMERS = 40;
const PUBLISH_DELAY_MS = DAY_MS;
const settings = retentionSettings({
  fitPeriodMs: WEEK_MS,
  publishDelayMs: PUBLISH_DELAY_MS,
  minFitCustomers: MIN_FIT_CUSTOMERS,
});
// Stages start on a boundary (boundaries are multiples of the fit period from the epoch), so
// stage k holds the records of [start + k weeks, start + (k + 1) weeks) and applies the view of
// boundary start + k weeks (its snapshot at the stage's first purchase, its application a day in).
const START = Math.ceil(Date.UTC(2024, 0, 1) / WEEK_MS) * WEEK_MS;
const boundaryOf = (stage: number) => START + stage * WEEK_MS;
const encode = (schema: string, event: object) => codecFor(schema).encode(event as never);

const running: WorkerProcess[] = [];
afterAll(() => {
  for (const w of running) w.kill('SIGKILL');
});

interface Scrape {
  readonly stage: number;
  readonly samples: PromSample[];
  readonly appliedBoundaries: Array<number | null>;
  readonly viewBoundaries: Array<number | null>;
  /** The view under the highest appliedBoundary: what latestAppliedView read before the fix. */
  readonly oldReading: RetentionView | null;
}

const gauge = (samples: readonly PromSample[], model: string, parameter: string) =>
  promSeries(samples, 'vs_retention_model_parameter', (l) => l.model === model && l.parameter === parameter);
const logLikelihood = (samples: readonly PromSample[], model: string, what: string) =>
  promSeries(samples, 'vs_retention_model_log_likelihood', (l) => l.model === model && l.what === what);
const fitsCounted = (samples: readonly PromSample[]) => {
  const counts = new Map<string, number>();
  for (const s of promSeries(samples, 'vs_retention_model_fits_total'))
    counts.set(`${s.labels.model}/${s.labels.outcome}`, s.value);
  return counts;
};

describe('retention models of a young population on Kafka and Redis (issue 14)', () => {
  it('keeps the model gauges and the CLV while later fits are rejected', async () => {
    const population = youngPopulation({
      start: START,
      weeks: WEEKS,
      seed: 11,
      complaintShare: 0.3,
      earlyComplaintShare: 0.5,
      tickPartitions: PARTITIONS,
      cohorts: [
        { cohort: 'varied', customers: 70, firstWeeks: [0, 4] },
        { cohort: 'flat', customers: 104, firstWeeks: [6, 14] },
        { cohort: 'steady', customers: 148, firstWeeks: [16, 20], steadyWeeks: [30, 40] },
      ],
    });
    expect(population.customers).toHaveLength(324);

    // --- the outcomes, worked out offline with the pure fit -------------------------------------
    const stages = Array.from({ length: WEEKS }, (_, k) => k);
    // Every stage applies its boundary, the first one too (an empty population: no fit).
    const applied = stages.map(boundaryOf);
    const expected = new Map(
      expectedFits(population.customers, applied, settings).map((f) => [f.boundary, f]),
    );
    const outcomes = [...expected.values()];
    const firstBg = outcomes.find((f) => f.bgnbd === 'accepted')!.boundary;
    const firstGg = outcomes.find((f) => f.gammaGamma === 'accepted')!.boundary;
    const bgRejectedLater = outcomes.filter((f) => f.boundary > firstBg && f.bgnbd !== 'accepted');
    const ggRejectedLater = outcomes.filter(
      (f) => f.boundary > firstGg && f.bgnbd === 'accepted' && f.gammaGamma !== 'accepted',
    );
    // The scenario the review describes, or the test shows nothing.
    expect(bgRejectedLater.length).toBeGreaterThan(0);
    expect(ggRejectedLater.length).toBeGreaterThan(0);
    for (const f of ggRejectedLater) {
      // The merge without the view in force (the old code) leaves no spend model there.
      const old = fitPopulation(f.boundary, [modelCountersAt(population.customers, f.boundary)], settings);
      expect(old.view?.gammaGamma ?? null).toBeNull();
      expect(f.view!.gammaGamma!.fittedAt).toBeLessThan(f.boundary);
    }
    // CLV of a one-time buyer needs the population mean spend, which exists only for q > 1.
    for (const f of outcomes) if (f.view?.gammaGamma) expect(f.view.gammaGamma.params.q).toBeGreaterThan(1);
    const viewInForceAt = (boundary: number): RetentionView | null => {
      let view: RetentionView | null = null;
      for (const f of outcomes) if (f.boundary <= boundary && f.view !== null) view = f.view;
      return view;
    };
    const sequence = outcomes
      .map((f) => `${(f.boundary - START) / WEEK_MS}:${f.bgnbd}/${f.gammaGamma ?? '-'}`)
      .join(' ');

    // --- Kafka, Redis and the worker ---------------------------------------------------------------
    const { kafkaBrokers, redisUrl } = testEndpoints();
    const prefix = `${uniqueName('retention-young')}.`;
    const group = uniqueName('retention-young');
    const keyPrefix = uniqueName('retention-young');
    const topic = (name: string) => prefix + name;
    await createTopicSet(kafkaBrokers, prefix, RETENTION_TOPICS, PARTITIONS);
    const worker = await startWorkerProcess(
      'services/retention/main.ts',
      {
        KAFKA_BROKERS: kafkaBrokers,
        REDIS_URL: redisUrl,
        TOPIC_PREFIX: prefix,
        KEY_PREFIX: keyPrefix,
        CONSUMER_GROUP_PREFIX: group,
        TOPIC_PARTITIONS: String(PARTITIONS),
        LOG_LEVEL: 'info',
        RETENTION_FIT_PERIOD: '7d',
        RETENTION_PUBLISH_DELAY: '1d',
        RETENTION_MIN_FIT_CUSTOMERS: String(MIN_FIT_CUSTOMERS),
        RETENTION_OFFER_POLICY: 'deploy/retention-offer-policy.json',
      },
      'retention-young',
    );
    running.push(worker);
    const kafka = testKafka(kafkaBrokers);
    const admin = kafka.admin();
    const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    const redis = new Redis(redisUrl);
    await Promise.all([admin.connect(), producer.connect()]);
    const groupId = `${group}.${RETENTION}`;
    const settled = () =>
      waitFor(
        'every input committed to its end',
        async () =>
          (
            await Promise.all(
              RETENTION_TOPICS.inputs.map((t) => committedToEnd(admin, groupId, topic(t.name))),
            )
          ).every(Boolean),
        { timeoutMs: 120_000, intervalMs: 100 },
      );
    const send = async (
      name: string,
      messages: Array<{ key: string; value: Buffer; partition?: number }>,
    ): Promise<void> => {
      if (messages.length > 0) await producer.send({ topic: topic(name), acks: -1, messages });
    };
    const partitionOf = new Map(population.customers.map((c) => [c.id, c.partition]));
    const message = (customerId: string, value: Buffer) => {
      const partition = partitionOf.get(customerId);
      return partition === undefined ? { key: customerId, value } : { key: customerId, value, partition };
    };
    const inStage = (k: number, at: number) => at >= boundaryOf(k) && at < boundaryOf(k + 1);

    const scrapes: Scrape[] = [];
    const started = performance.now();
    try {
      for (const k of stages) {
        // Tables first (consent and tier known before any decision of the week), then the
        // purchases that move stream time, then complaints from customers who have bought.
        const profiles: CustomerProfile[] = [];
        const tiers: SegmentChanged[] = [];
        const purchases: Purchase[] = [];
        const complaints: Interaction[] = [];
        for (const c of population.customers) {
          c.profiles.forEach((p, n) => {
            if (inStage(k, p.at))
              profiles.push({
                ...sampleConsumerProfile(),
                customerId: c.id,
                eventId: `p-${c.id}-${n}`,
                occurredAt: p.at,
                signedUpAt: c.profiles[0]!.at,
                marketingConsent: p.consent,
              });
          });
          c.tiers.forEach((t, n) => {
            if (inStage(k, t.at))
              tiers.push({
                ...sampleSegmentChanged(),
                customerId: c.id,
                eventId: `t-${c.id}-${n}`,
                occurredAt: t.at,
                dimension: 'value-tier',
                fromSegment: n === 0 ? null : c.tiers[n - 1]!.tier,
                toSegment: t.tier,
              });
          });
          c.purchases.forEach((p, n) => {
            if (inStage(k, p.at)) {
              const sale = samplePurchase();
              purchases.push({
                ...sale,
                eventId: `${c.id}-${n}`,
                customerId: c.id,
                occurredAt: p.at,
                lines: [{ ...sale.lines[0]!, quantity: 1, unitPriceMinor: p.spendMinor }],
              });
            }
          });
          c.complaints.forEach((at, n) => {
            if (inStage(k, at))
              complaints.push({
                ...sampleInteraction(),
                customerId: c.id,
                eventId: `i-${c.id}-${n}`,
                occurredAt: at,
                kind: 'COMPLAINT',
                channel: 'phone',
                surveyScore: null,
                reviewRating: null,
                referredCustomerId: null,
                offerEventId: null,
              });
          });
        }
        purchases.sort((p, q) => p.occurredAt - q.occurredAt);
        await Promise.all([
          send(
            topicCatalogue.customerProfiles.name,
            profiles.map((p) => message(p.customerId, encode('CustomerProfile', p))),
          ),
          send(
            topicCatalogue.segmentChanges.name,
            tiers.map((t) => message(t.customerId, encode('SegmentChanged', t))),
          ),
        ]);
        await settled();
        await send(
          topicCatalogue.purchases.name,
          purchases.map((p) => message(p.customerId, encode('Purchase', p))),
        );
        await settled();
        await send(
          topicCatalogue.interactions.name,
          complaints.map((i) => message(i.customerId, encode('Interaction', i))),
        );
        await settled();

        const samples = parsePromText(await worker.metrics());
        const metas = await Promise.all(
          Array.from({ length: PARTITIONS }, (_, p) =>
            redis.hmget(partitionKeys(keyPrefix, RETENTION, p).meta, 'appliedBoundary', 'viewBoundary'),
          ),
        );
        const num = (v: string | null | undefined) => (v === null || v === undefined ? null : Number(v));
        const appliedBoundaries = metas.map(([a]) => num(a));
        const viewBoundaries = metas.map(([, v]) => num(v));
        const highestApplied = Math.max(...appliedBoundaries.map((b) => b ?? Number.NEGATIVE_INFINITY));
        const stored = Number.isFinite(highestApplied)
          ? await redis.get(populationViewKey(keyPrefix, RETENTION, highestApplied))
          : null;
        scrapes.push({
          stage: k,
          samples,
          appliedBoundaries,
          viewBoundaries,
          oldReading: stored === null ? null : (JSON.parse(stored) as RetentionView | null),
        });
      }
    } finally {
      await Promise.all([producer.disconnect(), admin.disconnect()]);
    }
    const runMs = performance.now() - started;
    const offerCodec = codecFor('RetentionOfferIssued');
    const offers = (await readWholeTopic(kafkaBrokers, topic(topicCatalogue.retentionOffers.name)))
      .flat()
      .map((r) => offerCodec.decode(r.value!) as unknown as RetentionOfferIssued);
    const storedViews = new Map<number, RetentionView | null>();
    for (const b of applied) {
      const encoded = await redis.get(populationViewKey(keyPrefix, RETENTION, b));
      expect(encoded, `view of week ${(b - START) / WEEK_MS} stored`).not.toBeNull();
      storedViews.set(b, JSON.parse(encoded!) as RetentionView | null);
    }
    await redis.quit();
    worker.kill('SIGTERM');
    expect((await worker.exited).code).toBe(0);

    // --- the worker made the fits worked out offline ---------------------------------------------
    for (const [b, view] of storedViews)
      expect(view, `view of week ${(b - START) / WEEK_MS}`).toEqual(expected.get(b)!.view);
    // Each stage applies one boundary: its fit is what the counter gained during the stage.
    for (const scrape of scrapes) {
      const b = boundaryOf(scrape.stage);
      expect(scrape.appliedBoundaries, `stage ${scrape.stage}`).toEqual(Array(PARTITIONS).fill(b));
      const inForce = viewInForceAt(b);
      expect(scrape.viewBoundaries).toEqual(Array(PARTITIONS).fill(inForce?.boundary ?? null));
      const before = scrape.stage === 0 ? new Map() : fitsCounted(scrapes[scrape.stage - 1]!.samples);
      const gained = [...fitsCounted(scrape.samples)]
        .filter(([key, n]) => n > (before.get(key) ?? 0))
        .map(([key, n]) => `${key}+${n - (before.get(key) ?? 0)}`)
        .sort();
      const f = expected.get(b)!;
      expect(gained, `fits at week ${scrape.stage}`).toEqual(
        [`bgnbd/${f.bgnbd}+1`, ...(f.gammaGamma === null ? [] : [`gamma-gamma/${f.gammaGamma}+1`])].sort(),
      );
    }
    const tally = new Map<string, number>();
    for (const f of outcomes) {
      tally.set(`bgnbd/${f.bgnbd}`, (tally.get(`bgnbd/${f.bgnbd}`) ?? 0) + 1);
      if (f.gammaGamma !== null)
        tally.set(`gamma-gamma/${f.gammaGamma}`, (tally.get(`gamma-gamma/${f.gammaGamma}`) ?? 0) + 1);
    }
    const counted = fitsCounted(scrapes.at(-1)!.samples);
    expect(new Map([...counted].filter(([, n]) => n > 0))).toEqual(tally);
    expect(counted.get('bgnbd/accepted')).toBeGreaterThan(0);
    expect(counted.get('bgnbd/degenerate-parameters')).toBeGreaterThan(0);
    expect(counted.get('gamma-gamma/accepted')).toBeGreaterThan(0);
    expect(counted.get('gamma-gamma/degenerate-parameters')).toBeGreaterThan(0);

    // --- finding 1 reproduced: the old reading was empty while a model was in force ----------------
    const afterFirstBg = scrapes.filter((s) => boundaryOf(s.stage) >= firstBg);
    const oldEmpty = afterFirstBg.filter((s) => s.oldReading === null);
    expect(oldEmpty.map((s) => boundaryOf(s.stage))).toEqual(bgRejectedLater.map((f) => f.boundary));

    // --- finding 1 fixed: the gauges show the fit in force in every scrape after the first ---------
    for (const s of afterFirstBg) {
      const inForce = viewInForceAt(boundaryOf(s.stage))!;
      for (const parameter of ['r', 'alpha', 'a', 'b'] as const) {
        const series = gauge(s.samples, 'bgnbd', parameter);
        expect(series, `bgnbd ${parameter} after week ${s.stage}`).toHaveLength(1);
        expect(series[0]!.value).toBeCloseTo(inForce.bgnbd.params[parameter], 9);
      }
      expect(logLikelihood(s.samples, 'bgnbd', 'log-likelihood')).toHaveLength(1);
      expect(logLikelihood(s.samples, 'bgnbd', 'fitted-at-seconds')[0]?.value).toBe(
        inForce.bgnbd.fittedAt / 1000,
      );
      if (boundaryOf(s.stage) < firstGg) continue;
      for (const parameter of ['p', 'q', 'gamma'] as const) {
        const series = gauge(s.samples, 'gamma-gamma', parameter);
        expect(series, `gamma-gamma ${parameter} after week ${s.stage}`).toHaveLength(1);
        expect(series[0]!.value).toBeCloseTo(inForce.gammaGamma?.params[parameter] ?? Number.NaN, 6);
      }
      expect(logLikelihood(s.samples, 'gamma-gamma', 'log-likelihood')).toHaveLength(1);
      expect(logLikelihood(s.samples, 'gamma-gamma', 'fitted-at-seconds')[0]?.value).toBe(
        inForce.gammaGamma!.fittedAt / 1000,
      );
    }
    // Before any accepted fit there is nothing to show (so the checks above can fail).
    for (const s of scrapes.filter((x) => boundaryOf(x.stage) < firstBg))
      expect(gauge(s.samples, 'bgnbd', 'r')).toEqual([]);

    // --- finding 2 reproduced: offers decided under a view whose spend refit was rejected ----------
    const ggOutcome = (b: number) => expected.get(b)?.gammaGamma ?? null;
    const underRejectedRefit = offers.filter(
      (o) =>
        o.model !== null &&
        o.model.clvModelFittedAt !== null &&
        o.model.clvModelFittedAt < o.model.viewBoundary &&
        ggOutcome(o.model.viewBoundary) !== 'accepted' &&
        ggOutcome(o.model.viewBoundary) !== null,
    );
    expect(underRejectedRefit.length).toBeGreaterThan(0);

    // --- finding 2 fixed: CLV on every offer and holdout after the first usable spend fit ----------
    const ggInForceFrom = firstGg + PUBLISH_DELAY_MS;
    // Timers due at the very instant a view applies fire before it: strictly after, then.
    const afterGg = offers.filter((o) => o.occurredAt > ggInForceFrom);
    const beforeGg = offers.filter((o) => o.occurredAt < ggInForceFrom);
    expect(beforeGg.filter((o) => o.clvMinor === null).length).toBeGreaterThan(0);
    expect(afterGg.length).toBeGreaterThan(50);
    expect(afterGg.some((o) => o.holdout)).toBe(true);
    for (const o of afterGg) {
      expect(
        o.clvMinor,
        `${o.customerId} at week ${((o.occurredAt - START) / WEEK_MS).toFixed(2)}`,
      ).not.toBeNull();
      expect(o.model?.clvModelFittedAt).not.toBeNull();
      // The version it names is the view in force then, and the spend fit that view kept.
      const inForce = viewInForceAt(o.model!.viewBoundary)!;
      expect(inForce.boundary).toBe(o.model!.viewBoundary);
      expect(o.model!.churnModelFittedAt).toBe(inForce.bgnbd.fittedAt);
      expect(o.model!.clvModelFittedAt).toBe(inForce.gammaGamma!.fittedAt);
    }
    console.log(
      `young population: fits ${sequence}; ${oldEmpty.length} of ${afterFirstBg.length} scrapes after the first ` +
        `accepted fit read an empty view the old way; ${offers.length} offers and holdouts ` +
        `(${beforeGg.length} before the first spend fit took effect, ${beforeGg.filter((o) => o.clvMinor === null).length} without CLV; ` +
        `${afterGg.length} after, ${underRejectedRefit.length} under a rejected spend refit); stages ${Math.round(runMs)} ms`,
    );
  }, 300_000);
});
