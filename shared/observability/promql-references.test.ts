import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { catalogueEntry, FAMILIES } from './metrics-catalogue.js';
import { BUILTIN_SERIES, dashboardExpressions, metricNames, ruleExpressions } from './promql-names.js';

// The alert rules and the Grafana dashboard may only use metrics of the catalogue: a renamed or
// removed metric fails here instead of leaving an alert that can never fire or an empty panel.

const root = new URL('../..', import.meta.url).pathname;

/** Why a selected name is not a catalogued series, or null when it is. */
function unknownReason(name: string): string | null {
  if (BUILTIN_SERIES.has(name)) return null;
  if (catalogueEntry(name))
    return catalogueEntry(name)!.type === 'histogram' ? `${name}: a histogram has no bare series` : null;
  const histogram = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (histogram && catalogueEntry(histogram[1]!)?.type === 'histogram') return null;
  if (FAMILIES.some((f) => name.startsWith(f.prefix))) return null;
  return `${name} is not in the catalogue`;
}

const alertExprs = ruleExpressions(readFileSync(`${root}deploy/prometheus/alerts.yml`, 'utf8'));
const dashboard = JSON.parse(readFileSync(`${root}deploy/grafana/valuestream-dashboard.json`, 'utf8'));
const dashboardExprs = dashboardExpressions(dashboard);

describe('PromQL of the alert rules and the dashboard', () => {
  it('finds the metric names of an expression', () => {
    expect(
      metricNames(
        'histogram_quantile(0.99, sum by (worker, le) (rate(vs_a_bucket{worker=~"$w", le="+Inf"}[5m]))) > 2.5e1 and on (worker) up == bool 1',
      ),
    ).toEqual(['vs_a_bucket', 'up']);
    expect(metricNames('time() - max by (partition) (vs_b)')).toEqual(['vs_b']);
    expect(
      ruleExpressions(
        '  - alert: A\n    expr: >-\n      rate(x[1m])\n      > 0\n    for: 1m\n  - expr: y == 0\n',
      ),
    ).toEqual(['rate(x[1m]) > 0', 'y == 0']);
  });

  it('reads every alert expression', () => {
    expect(alertExprs.length).toBe(
      (readFileSync(`${root}deploy/prometheus/alerts.yml`, 'utf8').match(/- alert:/g) ?? []).length,
    );
    expect(alertExprs.every((e) => metricNames(e).length > 0)).toBe(true);
  });

  it('alert rules use only catalogued metrics', () => {
    const unknown = alertExprs
      .flatMap(metricNames)
      .map(unknownReason)
      .filter((r) => r !== null);
    expect(unknown).toEqual([]);
  });

  it('the dashboard uses only catalogued metrics', () => {
    expect(dashboardExprs.length).toBeGreaterThan(25);
    const unknown = dashboardExprs
      .flatMap(metricNames)
      .map(unknownReason)
      .filter((r) => r !== null);
    expect(unknown).toEqual([]);
  });

  it('the dashboard shows what an SRE watches', () => {
    const shown = new Set(
      dashboardExprs.flatMap(metricNames).map((n) => n.replace(/_(bucket|sum|count)$/, '')),
    );
    for (const metric of [
      'vs_records_consumed_total',
      'vs_records_produced_total',
      'vs_consumer_lag',
      'vs_end_to_end_latency_seconds',
      'vs_dead_letters_total',
      'vs_redis_command_seconds',
      'vs_redis_errors_total',
      'vs_outbox_backlog',
      'vs_pending_timers',
      'vs_decisions_total',
      'vs_ready',
      'vs_batch_records',
      'vs_batch_duration_seconds',
      'vs_records_applied_total',
      'vs_records_dead_lettered_total',
      'vs_records_skipped_total',
      'vs_partition_stalled',
      'vs_stalled_partitions',
    ])
      expect(shown.has(metric), metric).toBe(true);
  });

  it('the alert rules cover lag, progress, stalls, read amplification, dead letters, Redis, latency and readiness', () => {
    const used = new Set(alertExprs.flatMap(metricNames));
    // Progress and the dead-letter share are of records settled (applied or dead-lettered at
    // apply), not of records consumed: consumed counts re-fetches.
    for (const metric of [
      'vs_consumer_lag',
      'vs_records_applied_total',
      'vs_records_dead_lettered_total',
      'vs_partition_stalled',
      'vs_records_consumed_total',
      'vs_records_skipped_total',
      'vs_redis_errors_total',
      'vs_end_to_end_latency_seconds_bucket',
      'vs_ready',
      'up',
    ])
      expect(used.has(metric), metric).toBe(true);
  });
});
