// Share-of-wallet metrics, fed by the evaluations' observations (never a customer id in a
// label). Alerts by basis are the runtime's vs_decisions_total{kind="under-consumption"}.

import { Counter, Histogram, type Registry } from 'prom-client';
import type { RuntimeEvents } from '../../shared/runtime/runtime-events.js';
import { OUTCOME_METRIC, SHARE_METRIC } from './evaluate.js';

export function registerShareOfWalletMetrics(registry: Registry, events: RuntimeEvents): void {
  const share = new Histogram({
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
  events.on('observations', ({ observations }) => {
    for (const o of observations) {
      if (o.metric === SHARE_METRIC)
        share.observe({ basis: o.labels.basis!, window: o.labels.window! }, o.value);
      else if (o.metric === OUTCOME_METRIC)
        evaluations.inc({ outcome: o.labels.outcome!, basis: o.labels.basis! }, o.value);
    }
  });
}
