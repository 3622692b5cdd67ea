// Share-of-wallet metrics, fed by the evaluations' observations (never a customer id in a
// label). Alerts by basis are the runtime's vs_decisions_total{kind="under-consumption"}.
// Every customer is evaluated at every daily view: millions of observations in a year's replay,
// so outcomes are counted per step and label set, and shares go to a BatchedHistogram whose
// series are found by the label object evaluate.ts shares between observations.

import { Counter, type Registry } from 'prom-client';
import { BatchedHistogram, type HistogramSeries } from '../../shared/observability/batched-histogram.js';
import type { RuntimeEvents } from '../../shared/runtime/runtime-events.js';
import { OUTCOME_METRIC, SHARE_METRIC } from './evaluate.js';

type ShareLabel = 'basis' | 'window';

export function registerShareOfWalletMetrics(registry: Registry, events: RuntimeEvents): void {
  const share = new BatchedHistogram<ShareLabel>({
    name: 'vs_share_of_wallet',
    help: 'Share of wallet (actual / expected consumption) at each evaluation, by basis and window',
    labelNames: ['basis', 'window'],
    buckets: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.2, 1.5, 2],
    registers: [registry],
  });
  const evaluations = new Counter({
    name: 'vs_share_of_wallet_evaluations_total',
    help: 'Evaluations per customer, window and unit, by outcome (evaluated, no-profile, empty-household, missing-headcount, insufficient-history, no-peer-benchmark, no-peer-usage) and basis',
    labelNames: ['outcome', 'basis'],
    registers: [registry],
  });
  const shareSeries = new WeakMap<object, HistogramSeries<ShareLabel>>();
  events.on('observations', ({ observations }) => {
    const outcomes = new Map<Readonly<Record<string, string>>, number>();
    for (const o of observations) {
      if (o.metric === SHARE_METRIC) {
        let series = shareSeries.get(o.labels);
        if (!series) {
          series = share.labels({ basis: o.labels.basis!, window: o.labels.window! });
          shareSeries.set(o.labels, series);
        }
        series.observe(o.value);
      } else if (o.metric === OUTCOME_METRIC) {
        outcomes.set(o.labels, (outcomes.get(o.labels) ?? 0) + o.value);
      }
    }
    // Label objects that are not shared (equal ones) add up in prom-client's own series.
    for (const [labels, count] of outcomes)
      evaluations.inc({ outcome: labels.outcome!, basis: labels.basis! }, count);
  });
}
