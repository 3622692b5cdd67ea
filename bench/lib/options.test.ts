import { describe, expect, it } from 'vitest';
import { parseBenchOptions, SCENARIOS, UsageError } from './options.js';

describe('bench options', () => {
  it('runs every scenario at the documented sizes by default', () => {
    expect(parseBenchOptions([], {})).toEqual({
      scenarios: [...SCENARIOS],
      events: 200_000,
      customers: 20_000,
      partitions: 12,
      seed: 42,
      consumptionCustomers: 1000,
      liveRate: 20_000,
      timeoutSeconds: 600,
      check: false,
      quick: false,
    });
  });

  it('--quick is small, and explicit options win over it', () => {
    const quick = parseBenchOptions(['--quick', '--partitions', '6'], {});
    expect(quick).toMatchObject({ events: 20_000, customers: 2000, partitions: 6, timeoutSeconds: 180 });
  });

  it('chooses scenarios by name or number, in the documented order', () => {
    const o = parseBenchOptions(['--scenarios', 'retention,1,two-workers'], {});
    expect(o !== 'help' && o.scenarios).toEqual(['vs-daily', 'two-workers', 'retention']);
    expect(() => parseBenchOptions(['--scenarios', '10'], {})).toThrow(UsageError);
    expect(() => parseBenchOptions(['--scenarios', 'vs-weekly'], {})).toThrow(/unknown scenario/);
  });

  it('enforces thresholds with --check or BENCH_CHECK=1', () => {
    expect(parseBenchOptions(['--check'], {})).toMatchObject({ check: true });
    expect(parseBenchOptions([], { BENCH_CHECK: '1' })).toMatchObject({ check: true });
  });

  it('refuses what it cannot use', () => {
    expect(() => parseBenchOptions(['--events', '0'], {})).toThrow(/--events/);
    expect(() => parseBenchOptions(['--timeout', '1.5'], {})).toThrow(/--timeout/);
    expect(() => parseBenchOptions(['--colour'], {})).toThrow(UsageError);
    expect(parseBenchOptions(['--help'], {})).toBe('help');
  });
});
