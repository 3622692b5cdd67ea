import { describe, expect, it } from 'vitest';
import {
  consumptionOptions,
  type OutgoingRecord,
  parseCli,
  runToEnd,
  SimulatorStream,
  simulationOptions,
} from './cli.js';
import { generateConsumptionTraffic } from './consumption.js';
import { DAY_MS, PurchaseSimulation } from './generate.js';
import { groupByTopic } from './producer.js';

describe('simulator command line', () => {
  it('has live-demo defaults and reads KAFKA_BROKERS and TOPIC_PREFIX', () => {
    const cli = parseCli(['--seed', '5'], { KAFKA_BROKERS: 'k1:9092, k2:9092', TOPIC_PREFIX: 'dev-' });
    expect(cli).toMatchObject({
      customers: 5000,
      rate: 50,
      events: undefined,
      historyDays: 0,
      speedUp: 1,
      seed: 5,
      topic: 'dev-purchases',
      brokers: ['k1:9092', 'k2:9092'],
      dryRun: false,
      consumptionCustomers: 0,
      consumptionDays: 240,
      consumptionLiveDays: 30,
      profilesTopic: 'dev-customer-profiles',
      framing: 'plain',
    });
    if (cli === 'help') throw new Error('unexpected');
    expect(consumptionOptions(cli, Date.UTC(2025, 0, 1))).toBeNull();
  });

  it('takes a topic prefix or a whole topic', () => {
    expect(parseCli(['--topic-prefix', 't1.'], {})).toMatchObject({ topic: 't1.purchases' });
    expect(parseCli(['--topic', 'other'], { TOPIC_PREFIX: 'x-' })).toMatchObject({ topic: 'other' });
    expect(parseCli(['--topic-prefix', 't1.'], {})).toMatchObject({ profilesTopic: 't1.customer-profiles' });
    expect(parseCli(['--profiles-topic', 'p'], {})).toMatchObject({ profilesTopic: 'p' });
  });

  it('maps the consumption options: history before the live phase, some days after', () => {
    const cli = parseCli(
      [
        '--seed',
        '9',
        '--consumption-customers',
        '300',
        '--consumption-days',
        '200',
        '--consumption-live-days',
        '10',
        '--consumption-partial-share',
        '0.5',
        '--consumption-business-share',
        '0.4',
      ],
      {},
    );
    if (cli === 'help') throw new Error('unexpected');
    const liveFrom = Date.UTC(2025, 0, 1);
    expect(consumptionOptions(cli, liveFrom)).toEqual({
      seed: 9,
      customers: 300,
      startTime: liveFrom - 200 * DAY_MS,
      spanDays: 210,
      businessShare: 0.4,
      partialShare: 0.5,
      currency: 'EUR',
    });
    expect(() => parseCli(['--consumption-customers', '-1'], {})).toThrow(/--consumption-customers/);
    expect(() => parseCli(['--consumption-partial-share', '2'], {})).toThrow(/--consumption-partial-share/);
    expect(() =>
      parseCli(
        ['--consumption-customers', '5', '--consumption-days', '0', '--consumption-live-days', '0'],
        {},
      ),
    ).toThrow(/consumption span/);
  });

  it('merges profiles and consumption purchases into the stream in emission order, ending with it', () => {
    const cli = parseCli(
      [
        ...['--seed', '4', '--customers', '200', '--history-days', '5', '--rate', '20', '--events', '3000'],
        ...['--consumption-customers', '80', '--consumption-days', '200', '--consumption-live-days', '2'],
        ...['--topic-prefix', 't.'],
      ],
      {},
    );
    if (cli === 'help') throw new Error('unexpected');
    const liveFrom = Date.UTC(2025, 0, 1);
    const consumption = generateConsumptionTraffic(consumptionOptions(cli, liveFrom)!);
    const stream = new SimulatorStream(
      new PurchaseSimulation(simulationOptions(cli, liveFrom)),
      consumption,
      {
        purchases: cli.topic,
        profiles: cli.profilesTopic,
      },
    );
    const records: OutgoingRecord[] = [];
    for (let r = stream.next(); r; r = stream.next()) records.push(r);
    expect(records.every((r, i) => i === 0 || records[i - 1]!.emitAt <= r.emitAt)).toBe(true);
    const bySource = (source: string) => records.filter((r) => r.source === source);
    expect(bySource('pos')).toHaveLength(3000);
    expect(bySource('profile')).toHaveLength(consumption.profiles.length);
    expect(bySource('profile').every((r) => r.topic === 't.customer-profiles')).toBe(true);
    expect(bySource('consumption').every((r) => r.topic === 't.purchases')).toBe(true);
    // The stream ends with the point-of-sale stream: consumption records due later are not produced.
    const lastPos = bySource('pos').at(-1)!.emitAt;
    const due = consumption.purchases.filter((r) => r.emitAt <= lastPos);
    expect(due.length).toBeLessThan(consumption.purchases.length);
    const produced = Buffer.concat(bySource('consumption').map((r) => r.value));
    expect(produced.equals(Buffer.concat(due.map((r) => r.value)))).toBe(true);
    expect(stream.produced()).toEqual({
      pos: 3000,
      consumption: due.length,
      profile: consumption.profiles.length,
      resent: 0,
    });
    // Consumption history comes first: its first records are long before the point-of-sale history.
    expect(records[0]!.source).toBe('profile');
    expect(records[0]!.emitAt).toBeLessThan(liveFrom - 150 * DAY_MS);
  });

  it('groups a batch by topic for one sendBatch, keeping the order within each topic', () => {
    const r = (topic: string, key: string) => ({ topic, key, value: Buffer.from(key) });
    const groups = groupByTopic([r('a', '1'), r('b', '2'), r('a', '3')]);
    expect(groups.map((g) => [g.topic, g.messages.map((m) => m.key)])).toEqual([
      ['a', ['1', '3']],
      ['b', ['2']],
    ]);
  });

  it('rejects bad values and unknown flags', () => {
    expect(() => parseCli(['--rate', '0'], {})).toThrow(/--rate/);
    expect(() => parseCli(['--customers', '1.5'], {})).toThrow(/--customers/);
    expect(() => parseCli(['--nope'], {})).toThrow();
    expect(() => parseCli(['--dry-run'], {})).toThrow(/--events/);
    expect(() => parseCli(['--framing', 'confluent'], {})).toThrow(/--framing: invalid value "confluent"/);
  });

  it('turns the cross-sell option on only when asked', () => {
    const liveFrom = Date.UTC(2025, 0, 1);
    const off = parseCli(['--seed', '3'], {});
    const on = parseCli(['--seed', '3', '--cross-sell'], {});
    if (off === 'help' || on === 'help') throw new Error('unexpected');
    expect(off.crossSell).toBe(false);
    expect(on.crossSell).toBe(true);
    // Off, the options are those of before the flag existed: the default stream stays the same.
    expect('crossSell' in simulationOptions(off, liveFrom)).toBe(false);
    expect(simulationOptions(on, liveFrom)).toMatchObject({ crossSell: true });
  });

  it('with --cross-sell, the history holds up-sell steps 30-90 days apart (what a worker learns)', () => {
    const cli = parseCli(['--seed', '8', '--customers', '2000', '--history-days', '120', '--cross-sell'], {});
    if (cli === 'help') throw new Error('unexpected');
    const liveFrom = Date.UTC(2025, 0, 1);
    const sim = new PurchaseSimulation({ ...simulationOptions(cli, liveFrom), until: liveFrom });
    const firstPrepaid = new Map<string, number>();
    const gapsDays: number[] = [];
    for (let r = sim.next(); r; r = sim.next()) {
      if (r.malformed || r.event?.kind !== 'SALE') continue;
      for (const line of r.event.lines) {
        if (line.category === 'services/mobile-prepaid' && !firstPrepaid.has(r.key))
          firstPrepaid.set(r.key, r.event.occurredAt);
        const from = firstPrepaid.get(r.key);
        if (line.category === 'services/mobile-contract' && from !== undefined)
          gapsDays.push((r.event.occurredAt - from) / DAY_MS);
      }
    }
    expect(gapsDays.length).toBeGreaterThan(20);
    expect(Math.min(...gapsDays)).toBeGreaterThanOrEqual(30 - 1e-6);
    expect(Math.max(...gapsDays)).toBeLessThanOrEqual(90);
  });

  it('takes the framing of the values it writes: plain or registry', () => {
    expect(parseCli(['--framing', 'registry'], {})).toMatchObject({ framing: 'registry' });
    expect(parseCli(['--framing', 'plain'], {})).toMatchObject({ framing: 'plain' });
    expect(parseCli(['--help'], {})).toBe('help');
  });

  it('backfills history, then runs live at the given rate with event time = wall time x speed-up', () => {
    const cli = parseCli(['--seed', '3', '--customers', '300', '--history-days', '10', '--rate', '20'], {});
    if (cli === 'help') throw new Error('unexpected');
    const liveFrom = Date.UTC(2025, 0, 1);
    const options = simulationOptions(cli, liveFrom);
    expect(options).toMatchObject({
      startTime: liveFrom - 10 * DAY_MS,
      paced: { from: liveFrom, eventsPerSecond: 20 },
    });
    const sim = new PurchaseSimulation({ ...options, until: liveFrom + 60_000, malformedShare: 0 });
    let history = 0;
    let live = 0;
    for (let r = sim.next(); r; r = sim.next()) {
      if (r.emitAt <= liveFrom) history++;
      else live++;
    }
    // 300 customers x 24 purchases a year x 10 days (joining over the first half): ~100-200
    expect(history).toBeGreaterThan(50);
    expect(history).toBeLessThan(300);
    // 20 records/s for 60 s
    expect(live).toBeGreaterThan(1000);
    expect(live).toBeLessThan(1400);
  });

  it('summarises a dry run', () => {
    const summary = runToEnd(new PurchaseSimulation({ seed: 1, customers: 500, events: 5000 }));
    expect(summary.records).toBe(5000);
    expect(summary.valueShare.top20).toBeGreaterThan(0.5);
    expect(summary.lapsedShareOfBuyers).toBeGreaterThan(0);
    expect(summary).not.toHaveProperty('consumption');
  });

  it('summarises a dry run with consumption traffic', () => {
    const consumption = generateConsumptionTraffic({
      seed: 1,
      customers: 50,
      startTime: Date.UTC(2023, 6, 1),
    });
    const sim = new PurchaseSimulation({ seed: 1, customers: 500, events: 5000 });
    const summary = runToEnd(new SimulatorStream(sim, consumption, { purchases: 'p', profiles: 'q' }));
    expect(summary.records).toBe(5000);
    expect(summary.consumption).toEqual({
      customers: 50,
      profilesProduced: consumption.profiles.length,
      purchasesProduced: consumption.purchases.length,
      profilesGenerated: consumption.profiles.length,
      purchasesGenerated: consumption.purchases.length,
    });
  });

  it('sends a share of the on-time purchases again a few records later, same bytes (--resend-share)', () => {
    const cli = parseCli(
      [
        '--seed',
        '9',
        '--customers',
        '100',
        '--history-days',
        '30',
        '--events',
        '2000',
        '--resend-share',
        '0.1',
        '--max-lateness-ms',
        '86400000',
      ],
      {},
    );
    if (cli === 'help') throw new Error('unexpected');
    expect(cli.resendShare).toBe(0.1);
    const liveFrom = Date.UTC(2025, 0, 1);
    const stream = new SimulatorStream(
      new PurchaseSimulation(simulationOptions(cli, liveFrom)),
      null,
      { purchases: 'p', profiles: 'q' },
      false,
      cli.resendShare,
    );
    const records: OutgoingRecord[] = [];
    for (let r = stream.next(); r; r = stream.next()) records.push(r);
    expect(records.every((r, i) => i === 0 || records[i - 1]!.emitAt <= r.emitAt)).toBe(true);
    const copies = records.filter((r) => r.source === 'resent');
    const onTime = records.filter(
      (r) =>
        r.source === 'pos' &&
        r.purchase?.malformed === undefined &&
        r.purchase?.event?.occurredAt === r.emitAt,
    );
    expect(copies.length).toBeGreaterThan(0.05 * onTime.length);
    expect(copies.length).toBeLessThan(0.15 * onTime.length);
    for (const copy of copies) {
      const first = records.findIndex((r) => r.source === 'pos' && r.value.equals(copy.value));
      expect(first).toBeGreaterThanOrEqual(0);
      expect(records[first]!.key).toBe(copy.key);
      expect(records[first]!.purchase!.event!.occurredAt).toBe(records[first]!.emitAt);
      expect(records.indexOf(copy)).toBeGreaterThan(first + 2);
    }
    expect(() => parseCli(['--resend-share', '0.9'], {})).toThrow(/--resend-share/);
  });
});
