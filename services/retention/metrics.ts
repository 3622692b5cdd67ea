// Retention metrics. Fitted parameters, treated and held-out customers and their retention are
// read from Redis at scrape time (the view and the partitions' counters); treatment outcomes come
// from the decisions' observations. Labels are tiers, outcomes and reasons: never a customer id.

import { Counter, Gauge, type Registry } from 'prom-client';
import type { RuntimeEvents } from '../../shared/runtime/runtime-events.js';
import type { PopulationStore } from '../../shared/runtime/state-store.js';
import type { FitOutcomes, RetentionView } from './fit-view.js';
import { ratesFrom } from './retention-rate.js';
import { TREATMENT_METRIC } from './treatment.js';

/** Registers the retention metrics; the function returned counts the outcomes of a fit. */
export function registerRetentionMetrics(
  registry: Registry,
  population: PopulationStore,
  events: RuntimeEvents,
  partitionCount: number,
  staleModelAfterMs: number,
): (outcomes: FitOutcomes) => void {
  const partitions = Array.from({ length: partitionCount }, (_, p) => p);
  const retentionCounterTotals = async () =>
    new Map([
      ...(await population.readCounterTotals(partitions, 'ra:')),
      ...(await population.readCounterTotals(partitions, 'rr:')),
      ...(await population.readCounterTotals(partitions, 'rv:')),
    ]);
  const latestView = async (): Promise<RetentionView | null> => {
    const encoded = await population.latestAppliedView(partitions);
    return encoded === null ? null : (JSON.parse(encoded) as RetentionView | null);
  };
  new Gauge({
    name: 'vs_retention_model_parameter',
    help: 'Parameters of the models in force (each its last accepted fit): BG/NBD r, alpha, a, b and Gamma-Gamma p, q, gamma (minor units)',
    labelNames: ['model', 'parameter'],
    registers: [registry],
    async collect() {
      const view = await latestView();
      this.reset();
      if (!view) return;
      for (const [parameter, value] of Object.entries(view.bgnbd.params))
        this.set({ model: 'bgnbd', parameter }, value);
      for (const [parameter, value] of Object.entries(view.gammaGamma?.params ?? {}))
        this.set({ model: 'gamma-gamma', parameter }, value);
    },
  });
  new Gauge({
    name: 'vs_retention_model_log_likelihood',
    help: 'Log-likelihood of each model in force, the customers its fit covered and the boundary it was fitted at',
    labelNames: ['model', 'what'],
    registers: [registry],
    async collect() {
      const view = await latestView();
      this.reset();
      if (!view) return;
      this.set({ model: 'bgnbd', what: 'log-likelihood' }, view.bgnbd.logLikelihood);
      this.set({ model: 'bgnbd', what: 'customers' }, view.bgnbd.customers);
      // Views stored before fits recorded their boundary were fitted at the view's.
      this.set({ model: 'bgnbd', what: 'fitted-at-seconds' }, (view.bgnbd.fittedAt ?? view.boundary) / 1000);
      if (view.gammaGamma) {
        this.set({ model: 'gamma-gamma', what: 'log-likelihood' }, view.gammaGamma.logLikelihood);
        this.set({ model: 'gamma-gamma', what: 'customers' }, view.gammaGamma.customers);
        this.set(
          { model: 'gamma-gamma', what: 'fitted-at-seconds' },
          (view.gammaGamma.fittedAt ?? view.boundary) / 1000,
        );
      }
    },
  });
  new Gauge({
    name: 'vs_retention_uplift_customers',
    help: 'Customers given an offer or held out, and those of them who bought again before expiry, by tier (the offers uplift: retained/assigned, treated against holdout)',
    labelNames: ['group', 'tier', 'what'],
    registers: [registry],
    async collect() {
      const totals = await population.readCounterTotals(partitions, 'u:');
      this.reset();
      for (const [field, count] of totals) {
        const [, group, tier, what] = field.split(':');
        this.set({ group: group!, tier: tier!, what: what! }, count);
      }
    },
  });
  new Gauge({
    name: 'vs_retention_budget_used_minor',
    help: 'Offer budget charged, by tier, over the days still counted in Redis (minor units)',
    labelNames: ['tier'],
    registers: [registry],
    async collect() {
      const totals = await population.readCounterTotals(partitions, 'b:');
      this.reset();
      const byTier = new Map<string, number>();
      for (const [field, minor] of totals) {
        const tier = field.split(':')[2]!;
        byTier.set(tier, (byTier.get(tier) ?? 0) + minor);
      }
      for (const [tier, minor] of byTier) this.set({ tier }, minor);
    },
  });
  new Gauge({
    name: 'vs_retention_rate',
    help: 'Share of the customers who bought in a period (by their value tier then) who bought again in the next one; the newest complete cohort',
    labelNames: ['tier'],
    registers: [registry],
    async collect() {
      const rates = ratesFrom(await retentionCounterTotals());
      this.reset();
      for (const [tier, { rate }] of rates.byTier) this.set({ tier }, rate);
    },
  });
  new Gauge({
    name: 'vs_repeat_revenue_share',
    help: 'Share of revenue from repeat purchase days (not a customer’s first): the newest complete period, and all time',
    labelNames: ['window'],
    registers: [registry],
    async collect() {
      const rates = ratesFrom(await retentionCounterTotals());
      this.reset();
      if (rates.repeatRevenueShare !== null) this.set({ window: 'period' }, rates.repeatRevenueShare);
      if (rates.repeatRevenueShareAllTime !== null)
        this.set({ window: 'all' }, rates.repeatRevenueShareAllTime);
    },
  });
  const treatments = new Counter({
    name: 'vs_retention_treatments_total',
    help: 'At-risk decisions by tier, outcome (offer, holdout, no-consent, cooldown, no-paid-offer, budget-exhausted) and first reason',
    labelNames: ['tier', 'outcome', 'reason'],
    registers: [registry],
  });
  // The alert's threshold comes from the worker, so a deployment sets it by environment.
  new Gauge({
    name: 'vs_retention_model_stale_after_seconds',
    help: 'Stream time with no accepted BG/NBD fit after which ValuestreamRetentionModelStale fires (RETENTION_STALE_FIT_PERIODS fit periods)',
    registers: [registry],
  }).set(staleModelAfterMs / 1000);
  const fits = new Counter({
    name: 'vs_retention_model_fits_total',
    help: 'Model fits this process ran, by model (bgnbd, gamma-gamma) and outcome (accepted, too-few-customers, too-few-repeat-buyers, no-convergence, degenerate-parameters); a fit not accepted keeps the model in force',
    labelNames: ['model', 'outcome'],
    registers: [registry],
  });
  events.on('observations', ({ observations }) => {
    for (const o of observations)
      if (o.metric === TREATMENT_METRIC)
        treatments.inc(
          { tier: o.labels.tier!, outcome: o.labels.outcome!, reason: o.labels.reason! },
          o.value,
        );
  });
  return (outcomes) => {
    fits.inc({ model: 'bgnbd', outcome: outcomes.bgnbd });
    if (outcomes.gammaGamma !== null) fits.inc({ model: 'gamma-gamma', outcome: outcomes.gammaGamma });
  };
}
