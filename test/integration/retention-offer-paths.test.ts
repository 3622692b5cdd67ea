import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin, Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
import { deadLetterTopicOf, topicCatalogue } from '../../shared/topics.js';
import { testEndpoints, uniqueName } from '../support/endpoints.js';
import {
  createTestTopics,
  produceRecords,
  readWholeTopic,
  testKafka,
  waitFor,
} from '../support/kafka-test-client.js';
import { parsePromText, promSeries, promSum } from '../support/prom-text.js';
import { retentionPopulation } from '../support/retention-population.js';
import { committedToEnd } from '../support/value-segmentation-check.js';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process.js';

// Issue 14, item 3: two retention paths the unit tests cover only as pure functions, shown here
// through a real worker process on real Kafka and Redis (one partition, so the stream time the
// test moves with its own purchases is the stream time every decision sees).
//
// 1. The one-time-buyer timer. A customer who bought once (x = 0) gets a silence offer exactly
//    when the fallback P(alive | x = 0, T) = 1 / (1 + (a/b)((α+T)/α)^r) falls to the one-time
//    buyer threshold, under the BG/NBD fit in force, which the test reads from /metrics. The
//    crossing is computed here from that published formula, not by the worker's code; a repeat
//    buyer with the same first purchase day is timed by BG/NBD's own P(alive) instead, weeks
//    away from the fallback's time.
// 2. The daily budget. Complaints make many top-tier customers at risk on one day: the first get
//    the tier's first offer, then its cheaper one once the first no longer fits what is left, then
//    nothing (budget-exhausted); the next day the budget is whole again. The expectation is worked
//    out from the policy file the test writes, in the order the complaints sit in the partition.

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const TIME_UNIT_DAYS = 7;
const UNIT_MS = TIME_UNIT_DAYS * DAY_MS;
const RISK_THRESHOLD = 0.5;
const ONE_TIME_BUYER_THRESHOLD = 0.65;
const FIT_PERIOD_DAYS = 28;
const PUBLISH_DELAY_DAYS = 1;
const PARTITIONS = 1;
const PARTITION = 0;

// holdoutShare 0: every eligible customer is treated, so each outcome below is the policy's offer
// gate alone. The probes of the timer test are the only top2 customers (the background population
// is top, middle and bottom), so nothing else spends their budget; top has a budget of a few
// offers, for the exhaustion test.
const BIG = {
  code: 'FREE_DEVICE_TICKETS',
  description: 'A free device plus two event tickets',
  costCeilingMinor: 25_000,
  priority: 1,
  validityDays: 14,
};
const SMALL = {
  code: 'FREE_MINUTES_100',
  description: '100 free minutes',
  costCeilingMinor: 1_500,
  priority: 2,
  validityDays: 30,
};
const policy = {
  $comment: 'retention-offer-paths.test.ts',
  currency: 'EUR',
  cooldownDays: 30,
  holdoutShare: 0,
  tiers: {
    top2: { offers: [BIG, SMALL], dailyBudgetMinor: 10_000_000 },
    // Two of each and a rest that fits neither: first offer, first offer, fallback, fallback, none.
    top: {
      offers: [SMALL, BIG],
      dailyBudgetMinor: 2 * BIG.costCeilingMinor + 2 * SMALL.costCeilingMinor + 1_000,
    },
    middle: { offers: [{ ...SMALL, priority: 3 }], dailyBudgetMinor: 180_000 },
    bottom: { offers: [] },
    lapsed: { offers: [] },
    unknown: { offers: [{ ...SMALL, priority: 3 }], dailyBudgetMinor: 36_000 },
  },
};

let policyDir = '';
let policyPath = '';
const running: WorkerProcess[] = [];
beforeAll(() => {
  policyDir = mkdtempSync(join(tmpdir(), 'retention-offer-paths-'));
  policyPath = join(policyDir, 'policy.json');
  writeFileSync(policyPath, JSON.stringify(policy, null, 2));
});
afterAll(() => {
  for (const w of running) w.kill('SIGKILL');
  if (policyDir !== '') rmSync(policyDir, { recursive: true, force: true });
});

// --- the models, from services/retention/models/README.md (independent of the worker's code) ---

interface BgNbd {
  readonly r: number;
  readonly alpha: number;
  readonly a: number;
  readonly b: number;
}

/** Fallback for x = 0: P(alive | T) = 1 / (1 + (a/b) · ((α+T)/α)^r). */
function oneTimeBuyerPAlive({ r, alpha, a, b }: BgNbd, T: number): number {
  return 1 / (1 + (a / b) * ((alpha + T) / alpha) ** r);
}

/** Solving the fallback for P(alive) = θ: T* = α · ([(1/θ − 1) · b/a]^(1/r) − 1), 0 when θ ≥ b/(a+b). */
function oneTimeBuyerCrossingAge({ r, alpha, a, b }: BgNbd, theta: number): number {
  if (theta >= b / (a + b)) return 0;
  return alpha * (((1 / theta - 1) * (b / a)) ** (1 / r) - 1);
}

/**
 * BG/NBD for x > 0: the odds of having left are a/(b+x−1) · ((α+T)/(α+t_x))^(r+x); set to 1/θ − 1,
 * T* = (α + t_x) · [(1/θ − 1) · (b+x−1)/a]^(1/(r+x)) − α, never before t_x.
 */
function repeatBuyerCrossingAge({ r, alpha, a, b }: BgNbd, x: number, tx: number, theta: number): number {
  const age = (alpha + tx) * ((1 / theta - 1) * ((b + x - 1) / a)) ** (1 / (r + x)) - alpha;
  return Math.max(age, tx);
}

const dayStart = (t: number) => Math.floor(t / DAY_MS) * DAY_MS;

// --- Kafka and the worker ---------------------------------------------------------------------

const INPUTS = [
  topicCatalogue.purchases,
  topicCatalogue.interactions,
  topicCatalogue.customerProfiles,
  topicCatalogue.segmentChanges,
];
const encode = (schema: string, event: object) => codecFor(schema).encode(event as never);

interface Stage {
  readonly topic: (name: string) => string;
  readonly worker: WorkerProcess;
  readonly offers: OfferFollower;
  /** Produces the records to partition 0 of `name` and waits until the worker committed them. */
  send(name: string, records: Array<{ key: string; value: Buffer }>): Promise<void>;
  close(): Promise<void>;
}

/** Every RetentionOfferIssued the worker produced, read as it comes. */
interface OfferFollower {
  readonly offers: RetentionOfferIssued[];
  /** Waits until every offer on the topic now has been read. */
  caughtUp(): Promise<void>;
  of(customerId: string): RetentionOfferIssued[];
}

async function followOffers(
  brokers: string,
  topicName: string,
  admin: Admin,
): Promise<OfferFollower & { consumer: Consumer }> {
  const codec = codecFor('RetentionOfferIssued');
  const offers: RetentionOfferIssued[] = [];
  let next = 0n;
  const consumer = testKafka(brokers).consumer({ groupId: uniqueName('offer-reader') });
  await consumer.connect();
  await consumer.subscribe({ topic: topicName, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ message }) => {
      offers.push(codec.decode(message.value!) as unknown as RetentionOfferIssued);
      next = BigInt(message.offset) + 1n;
    },
  });
  return {
    consumer,
    offers,
    caughtUp: async () => {
      const [end] = await admin.fetchTopicOffsets(topicName);
      const high = BigInt(end!.high);
      await waitFor(`${topicName} read to offset ${high}`, async () => next >= high, { timeoutMs: 60_000 });
    },
    of: (customerId) => offers.filter((o) => o.customerId === customerId),
  };
}

async function startStage(name: string, extraEnv: Record<string, string>): Promise<Stage> {
  const { kafkaBrokers, redisUrl } = testEndpoints();
  const prefix = `${uniqueName(name)}.`;
  const group = uniqueName(name);
  const topic = (t: string) => prefix + t;
  await createTestTopics(
    kafkaBrokers,
    [
      ...INPUTS.map((t) => topic(t.name)),
      ...INPUTS.map((t) => topic(deadLetterTopicOf(t.name))),
      topic(topicCatalogue.retentionOffers.name),
    ],
    PARTITIONS,
  );
  const worker = await startWorkerProcess(
    'services/retention/main.ts',
    {
      KAFKA_BROKERS: kafkaBrokers,
      REDIS_URL: redisUrl,
      TOPIC_PREFIX: prefix,
      KEY_PREFIX: uniqueName(name),
      CONSUMER_GROUP_PREFIX: group,
      TOPIC_PARTITIONS: String(PARTITIONS),
      LOG_LEVEL: 'info',
      RETENTION_OFFER_POLICY: policyPath,
      RETENTION_TIME_UNIT_DAYS: String(TIME_UNIT_DAYS),
      RETENTION_RISK_THRESHOLD: String(RISK_THRESHOLD),
      RETENTION_ONE_TIME_BUYER_THRESHOLD: String(ONE_TIME_BUYER_THRESHOLD),
      RETENTION_FIT_PERIOD: `${FIT_PERIOD_DAYS}d`,
      RETENTION_PUBLISH_DELAY: `${PUBLISH_DELAY_DAYS}d`,
      ...extraEnv,
    },
    name,
  );
  running.push(worker);
  const admin = testKafka(kafkaBrokers).admin();
  await admin.connect();
  const follower = await followOffers(kafkaBrokers, topic(topicCatalogue.retentionOffers.name), admin);
  const groupId = `${group}.${RETENTION}`;
  return {
    topic,
    worker,
    offers: follower,
    send: async (topicName, records) => {
      await produceRecords(
        kafkaBrokers,
        topic(topicName),
        records.map((r) => ({ ...r, partition: PARTITION })),
      );
      await waitFor(`${topicName} applied`, () => committedToEnd(admin, groupId, topic(topicName)), {
        timeoutMs: 120_000,
        intervalMs: 200,
      });
      // Outputs are produced before the offsets are committed: all of them are on the topic now.
      await follower.caughtUp();
    },
    close: async () => {
      await follower.consumer.disconnect();
      await admin.disconnect();
      worker.kill('SIGTERM');
      expect((await worker.exited).code).toBe(0);
    },
  };
}

function purchase(customerId: string, eventId: string, occurredAt: number): Purchase {
  return { ...samplePurchase(), eventId, customerId, occurredAt };
}

function profileAndTier(customerId: string, at: number, tier: string) {
  const profile: CustomerProfile = {
    ...sampleConsumerProfile(),
    customerId,
    eventId: `p-${customerId}`,
    occurredAt: at,
    signedUpAt: at,
    marketingConsent: true,
  };
  const change: SegmentChanged = {
    ...sampleSegmentChanged(),
    customerId,
    eventId: `t-${customerId}`,
    occurredAt: at,
    dimension: 'value-tier',
    toSegment: tier,
  };
  return { profile, change };
}

/** The BG/NBD fit of the view in force and its boundary, as /metrics shows them. */
async function viewInForce(worker: WorkerProcess): Promise<{ params: BgNbd; boundary: number }> {
  const samples = parsePromText(await worker.metrics());
  const parameter = (name: string) => {
    const series = promSeries(
      samples,
      'vs_retention_model_parameter',
      (l) => l.model === 'bgnbd' && l.parameter === name,
    );
    expect(series, `bgnbd ${name} in /metrics`).toHaveLength(1);
    return series[0]!.value;
  };
  const fittedAt = promSeries(
    samples,
    'vs_retention_model_log_likelihood',
    (l) => l.model === 'bgnbd' && l.what === 'fitted-at-seconds',
  );
  expect(fittedAt).toHaveLength(1);
  return {
    params: { r: parameter('r'), alpha: parameter('alpha'), a: parameter('a'), b: parameter('b') },
    boundary: fittedAt[0]!.value * 1000,
  };
}

describe('retention offer paths on Kafka and Redis', () => {
  it('times a one-time buyer by the x = 0 fallback and a repeat buyer by BG/NBD, under the fit in force', async () => {
    const stage = await startStage('retention-x0', { RETENTION_MIN_FIT_CUSTOMERS: '100' });
    const start = Date.UTC(2024, 0, 1);
    const population = retentionPopulation({ customers: 1200, start, weeks: 40, seed: 11 });
    // First bought eight weeks before the population's end, so neither probe's crossing (months
    // after its first purchase) comes due while the background purchases still move stream time.
    const firstAt = population.end - 8 * 7 * DAY_MS + 10 * HOUR_MS;
    const firstDay = dayStart(firstAt);
    const secondAt = firstAt + 6 * 7 * DAY_MS;
    const oneTime = 'probe-one-time';
    const repeat = 'probe-repeat';
    const txRepeat = (dayStart(secondAt) - firstDay) / UNIT_MS;
    const probePurchases = [
      purchase(oneTime, 'probe-one-time-0', firstAt),
      purchase(repeat, 'probe-repeat-0', firstAt),
      purchase(repeat, 'probe-repeat-1', secondAt),
    ];
    const purchases = [...population.purchases, ...probePurchases].sort(
      (p, q) => p.occurredAt - q.occurredAt,
    );
    const probes = [oneTime, repeat].map((id) => profileAndTier(id, start, 'top2'));

    await stage.send(topicCatalogue.customerProfiles.name, [
      ...population.profiles.map((p) => ({ key: p.customerId, value: encode('CustomerProfile', p) })),
      ...probes.map(({ profile }) => ({
        key: profile.customerId,
        value: encode('CustomerProfile', profile),
      })),
    ]);
    await stage.send(topicCatalogue.segmentChanges.name, [
      ...population.tiers.map((t) => ({ key: t.customerId, value: encode('SegmentChanged', t) })),
      ...probes.map(({ change }) => ({ key: change.customerId, value: encode('SegmentChanged', change) })),
    ]);
    await stage.send(
      topicCatalogue.purchases.name,
      purchases.map((p) => ({ key: p.customerId, value: encode('Purchase', p) })),
    );
    let streamTime = purchases.at(-1)!.occurredAt;
    expect(stage.offers.of(oneTime)).toEqual([]);
    expect(stage.offers.of(repeat)).toEqual([]);

    // Stream time moves only with purchases: each tick is another customer's purchase.
    let ticks = 0;
    const tick = async (at: number) => {
      ticks += 1;
      await stage.send(topicCatalogue.purchases.name, [
        { key: `tick-${ticks}`, value: encode('Purchase', purchase(`tick-${ticks}`, `tick-${ticks}`, at)) },
      ]);
      streamTime = at;
    };
    const period = FIT_PERIOD_DAYS * DAY_MS;
    const delay = PUBLISH_DELAY_DAYS * DAY_MS;
    // Views apply (and re-time every customer) at boundary + delay, boundaries multiples of the period.
    const nextApplicationAfter = (s: number) => delay + (Math.floor((s - delay) / period) + 1) * period;

    const predictions = new Map<string, (v: BgNbd) => number>([
      [oneTime, (v) => firstDay + Math.ceil(oneTimeBuyerCrossingAge(v, ONE_TIME_BUYER_THRESHOLD) * UNIT_MS)],
      [repeat, (v) => firstDay + Math.ceil(repeatBuyerCrossingAge(v, 1, txRepeat, RISK_THRESHOLD) * UNIT_MS)],
    ]);
    const fired = new Map<string, { offer: RetentionOfferIssued; predicted: number; fit: BgNbd }>();
    const noOfferYet = (ids: readonly string[]) => {
      for (const id of ids) expect(stage.offers.of(id), `${id} at stream time ${streamTime}`).toEqual([]);
    };
    for (let round = 0; fired.size < predictions.size; round += 1) {
      expect(round, 'rounds of ticks').toBeLessThan(40);
      const view = await viewInForce(stage.worker);
      const pending = [...predictions.keys()].filter((id) => !fired.has(id));
      const due = pending
        .map((id) => ({ id, at: predictions.get(id)!(view.params) }))
        .sort((p, q) => p.at - q.at)[0]!;
      // Every timer was (re-)set when this view was applied or later, so it cannot lie before that.
      expect(due.at, `${due.id}'s crossing after the view applied`).toBeGreaterThan(view.boundary + delay);
      expect(due.at, `${due.id}'s crossing still ahead`).toBeGreaterThan(streamTime);
      const nextApplication = nextApplicationAfter(streamTime);
      if (due.at > nextApplication) {
        // Another fit comes first and may move the crossing: let it apply, then predict again.
        await tick(nextApplication);
        noOfferYet(pending);
        continue;
      }
      if (due.at - 2 > streamTime) {
        await tick(due.at - 2);
        noOfferYet(pending);
      }
      await tick(due.at + 1);
      const [offer, ...more] = stage.offers.of(due.id);
      expect(offer, `${due.id} offered at ${due.at}`).toBeDefined();
      expect(more).toEqual([]);
      noOfferYet(pending.filter((id) => id !== due.id));
      // The fit that timed it is still the one in force (at one instant timers fire before a view
      // applies, so only a tick past the next application could show a newer one).
      if (due.at + 1 < nextApplication) expect(await viewInForce(stage.worker)).toEqual(view);
      fired.set(due.id, { offer: offer!, predicted: due.at, fit: view.params });
    }

    const x0 = fired.get(oneTime)!;
    // The timer fires at its due time and decides at that stream time (ceil to the millisecond).
    expect(Math.abs(x0.offer.occurredAt - x0.predicted)).toBeLessThanOrEqual(1);
    expect(x0.offer.reasons).toEqual(['silence']);
    expect(x0.offer.holdout).toBe(false);
    expect(x0.offer.valueTier).toBe('top2');
    expect(x0.offer.offer?.code).toBe(BIG.code);
    // Its risk is the fallback's P(alive) at that age: the threshold, crossed a millisecond ago.
    const x0Alive = oneTimeBuyerPAlive(x0.fit, (x0.offer.occurredAt - firstDay) / UNIT_MS);
    expect(x0.offer.riskScore).toBeCloseTo(1 - x0Alive, 9);
    expect(x0.offer.riskScore).toBeCloseTo(1 - ONE_TIME_BUYER_THRESHOLD, 6);

    const rb = fired.get(repeat)!;
    expect(Math.abs(rb.offer.occurredAt - rb.predicted)).toBeLessThanOrEqual(1);
    expect(rb.offer.reasons).toEqual(['silence']);
    // Same first purchase day: on the x = 0 path it would have been due with the one-time buyer.
    const fallbackTime =
      firstDay + Math.ceil(oneTimeBuyerCrossingAge(rb.fit, ONE_TIME_BUYER_THRESHOLD) * UNIT_MS);
    expect(Math.abs(rb.offer.occurredAt - fallbackTime)).toBeGreaterThan(7 * DAY_MS);
    console.log(
      `x = 0 offer at week ${((x0.offer.occurredAt - firstDay) / UNIT_MS).toFixed(3)} ` +
        `(${x0.offer.occurredAt - x0.predicted} ms from the prediction; fit ${JSON.stringify(x0.fit)}), ` +
        `repeat buyer at week ${((rb.offer.occurredAt - firstDay) / UNIT_MS).toFixed(3)} ` +
        `(${rb.offer.occurredAt - rb.predicted} ms; x = 0 path would be week ` +
        `${((fallbackTime - firstDay) / UNIT_MS).toFixed(3)}); ${ticks} ticks`,
    );
    await stage.close();
  }, 240_000);

  it('gives the top tier its first offer, then its next cheaper one, then none as the day budget runs out', async () => {
    const stage = await startStage('retention-budget', {});
    const day1 = Date.UTC(2024, 5, 3, 9);
    const day2 = day1 + DAY_MS;
    const customers = {
      [day1]: Array.from({ length: 7 }, (_, i) => `top-d1-${i}`),
      [day2]: Array.from({ length: 3 }, (_, i) => `top-d2-${i}`),
    };
    const all = [...customers[day1]!, ...customers[day2]!];
    const tables = all.map((id) => profileAndTier(id, day1 - 30 * DAY_MS, 'top'));
    await stage.send(
      topicCatalogue.customerProfiles.name,
      tables.map(({ profile }) => ({ key: profile.customerId, value: encode('CustomerProfile', profile) })),
    );
    await stage.send(
      topicCatalogue.segmentChanges.name,
      tables.map(({ change }) => ({ key: change.customerId, value: encode('SegmentChanged', change) })),
    );
    const complaint = (customerId: string, at: number): Interaction => ({
      ...sampleInteraction(),
      customerId,
      eventId: `complaint-${customerId}`,
      occurredAt: at,
      kind: 'COMPLAINT',
      channel: 'phone',
      surveyScore: null,
      reviewRating: null,
      referredCustomerId: null,
      offerEventId: null,
    });
    // Complaints are a table (they do not move stream time): a purchase first sets the day.
    for (const day of [day1, day2]) {
      await stage.send(topicCatalogue.purchases.name, [
        { key: `tick-${day}`, value: encode('Purchase', purchase(`tick-${day}`, `tick-${day}`, day)) },
      ]);
      await stage.send(
        topicCatalogue.interactions.name,
        customers[day]!.map((id) => ({ key: id, value: encode('Interaction', complaint(id, day)) })),
      );
    }
    const metrics = parsePromText(await stage.worker.metrics());

    // The expectation, from the policy: the partition's share of the day's budget, and for each
    // complaint in partition order the most urgent offer whose ceiling fits what is left.
    const top = policy.tiers.top;
    const byPriority = [...top.offers].sort((p, q) => p.priority - q.priority);
    const share =
      Math.floor(top.dailyBudgetMinor / PARTITIONS) + (PARTITION < top.dailyBudgetMinor % PARTITIONS ? 1 : 0);
    const interactionCodec = codecFor('Interaction');
    const logged = (
      await readWholeTopic(testEndpoints().kafkaBrokers, stage.topic(topicCatalogue.interactions.name))
    )[PARTITION]!.map((r) => interactionCodec.decode(r.value!) as unknown as Interaction);
    expect(logged.map((i) => i.customerId)).toEqual(all);
    const used = new Map<number, number>();
    const expected = logged.map((i) => {
      const day = Math.floor(i.occurredAt / DAY_MS);
      const spent = used.get(day) ?? 0;
      const offer = byPriority.find((o) => o.costCeilingMinor <= share - spent);
      if (offer) used.set(day, spent + offer.costCeilingMinor);
      return { customerId: i.customerId, code: offer?.code ?? null };
    });
    // The scenario has to show all three outcomes on one day, or it shows nothing.
    const dayOne = expected.slice(0, customers[day1]!.length).map((e) => e.code);
    expect(dayOne).toContain(BIG.code);
    expect(dayOne).toContain(SMALL.code);
    expect(dayOne).toContain(null);
    expect(dayOne.indexOf(SMALL.code)).toBeGreaterThan(dayOne.lastIndexOf(BIG.code));
    expect(expected.slice(customers[day1]!.length)[0]!.code).toBe(BIG.code);

    const got = all.map((customerId) => {
      const offers = stage.offers.of(customerId);
      expect(offers.length, `${customerId}: at most one offer`).toBeLessThanOrEqual(1);
      return { customerId, code: offers[0]?.offer?.code ?? null };
    });
    expect(got).toEqual(expected);
    for (const o of stage.offers.offers) {
      const day = customers[day1]!.includes(o.customerId) ? day1 : day2;
      expect(o).toMatchObject({
        occurredAt: day,
        valueTier: 'top',
        reasons: ['dissatisfaction'],
        holdout: false,
        currency: 'EUR',
      });
      const chosen = byPriority.find((p) => p.code === o.offer!.code)!;
      expect(o.offer!.costCeilingMinor).toBe(chosen.costCeilingMinor);
      expect(o.priority).toBe(chosen.priority);
      expect(o.expiresAt).toBe(day + chosen.validityDays * DAY_MS);
    }
    expect(stage.offers.offers).toHaveLength(expected.filter((e) => e.code !== null).length);

    const treatments = (outcome: string) =>
      promSum(metrics, 'vs_retention_treatments_total', (l) => l.tier === 'top' && l.outcome === outcome);
    expect(treatments('offer')).toBe(expected.filter((e) => e.code !== null).length);
    expect(treatments('budget-exhausted')).toBe(expected.filter((e) => e.code === null).length);
    expect(promSum(metrics, 'vs_retention_budget_used_minor', (l) => l.tier === 'top')).toBe(
      [...used.values()].reduce((sum, v) => sum + v, 0),
    );
    await stage.close();
  }, 120_000);
});
