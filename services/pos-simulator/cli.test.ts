import { describe, expect, it } from 'vitest';
import { parseCli, runToEnd, simulationOptions } from './cli.js';
import { DAY_MS, PurchaseSimulation } from './generate.js';

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
    });
  });

  it('takes a topic prefix or a whole topic', () => {
    expect(parseCli(['--topic-prefix', 't1.'], {})).toMatchObject({ topic: 't1.purchases' });
    expect(parseCli(['--topic', 'other'], { TOPIC_PREFIX: 'x-' })).toMatchObject({ topic: 'other' });
  });

  it('rejects bad values and unknown flags', () => {
    expect(() => parseCli(['--rate', '0'], {})).toThrow(/--rate/);
    expect(() => parseCli(['--customers', '1.5'], {})).toThrow(/--customers/);
    expect(() => parseCli(['--nope'], {})).toThrow();
    expect(() => parseCli(['--dry-run'], {})).toThrow(/--events/);
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
  });
});
