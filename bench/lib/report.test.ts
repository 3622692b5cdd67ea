import { describe, expect, it } from 'vitest';
import { checkResults, markdownTable, type ScenarioResult } from './report.js';

function result(overrides: Partial<ScenarioResult>): ScenarioResult {
  return {
    scenario: 'vs-daily',
    title: 'value segmentation',
    status: 'ok',
    workerProcesses: 1,
    settings: {},
    records: { total: 200_000, byTopic: { purchases: 200_000 } },
    appliedRecords: 200_000,
    seconds: 4,
    eventsPerSecond: 50_000,
    raw: { seconds: 2.5, eventsPerSecond: 80_000, decodeFailures: 0 },
    ratioToRaw: 0.625,
    rawWithRedis: { seconds: 5, eventsPerSecond: 40_000 },
    ratioToRawWithRedis: 1.25,
    fetched: { runtimeMetric: 200_000, runtimeEvents: null, kafkajs: 200_000, used: 200_000 },
    readAmplification: 1,
    redisCommands: { total: 4000, byCommand: { fcall: 4000 }, perEvent: 0.02 },
    populationWaits: 0,
    batchMs: { p50: 12.5, p99: 140, count: 100, from: 'events' },
    stepMs: null,
    ...overrides,
  };
}

describe('bench report', () => {
  it('checks each scenario against its thresholds', () => {
    expect(checkResults([result({ ratioToRaw: 0.7 })])).toEqual([]);
    expect(checkResults([result({})])).toEqual(['vs-daily: ratioToRaw 0.625 < 0.7']);
    expect(checkResults([result({ scenario: 'vs-hourly' })])).toEqual([]);
    expect(
      checkResults([
        result({
          scenario: 'share-of-wallet',
          ratioToRaw: 0.4,
          readAmplification: 1.2,
          redisCommands: { total: 0, byCommand: {}, perEvent: 0.06 },
        }),
      ]),
    ).toEqual([
      'share-of-wallet: ratioToRaw 0.400 < 0.5',
      'share-of-wallet: readAmplification 1.200 > 1.05',
      'share-of-wallet: redisCommandsPerEvent 0.060 > 0.05',
    ]);
  });

  it('has no throughput threshold for the live and two-process scenarios, and checks their reads', () => {
    const live = result({
      scenario: 'backfill-live',
      ratioToRaw: 0.1,
      redisCommands: { total: 0, byCommand: {}, perEvent: 0.3 },
    });
    expect(checkResults([live])).toEqual([]);
    expect(
      checkResults([result({ scenario: 'two-workers', ratioToRaw: 0.1, readAmplification: 1.5 })]),
    ).toEqual(['two-workers: readAmplification 1.500 > 1.05']);
  });

  it('fails every scenario that did not finish', () => {
    expect(checkResults([result({ scenario: 'vs-hourly', status: 'timeout' })])).toEqual([
      'vs-hourly: did not finish (timeout)',
    ]);
  });

  it('prints one markdown row per scenario, failures with how far they got', () => {
    const table = markdownTable([
      result({}),
      result({
        scenario: 'vs-hourly',
        status: 'timeout',
        appliedRecords: 50_000,
        eventsPerSecond: null,
        ratioToRaw: null,
        ratioToRawWithRedis: null,
      }),
    ]);
    const lines = table.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toBe(
      '| vs-daily | ok | 200,000 | 4.0 | 50,000 | 0.63 | 1.25 | 1.00 | 0.0200 | 0 | 12.5 / 140 | – |',
    );
    expect(lines[3]).toContain('| vs-hourly | **TIMEOUT** at 25.0 % | 200,000 |');
  });
});
