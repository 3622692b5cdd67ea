import { Gauge, type Registry } from 'prom-client';
import type { PopulationStore } from '../../shared/runtime/state-store.js';
import type { TierView } from './tier-view.js';

/**
 * Tier sizes (summed from every partition's tier counters) and value skew (from the newest
 * applied thresholds view), read from Redis at scrape time. Labels are tier names only.
 */
export function registerValueTierGauges(
  registry: Registry,
  population: PopulationStore,
  partitionCount: number,
): void {
  const partitions = Array.from({ length: partitionCount }, (_, p) => p);
  new Gauge({
    name: 'vs_value_tier_customers',
    help: 'Customers per value tier (all partitions)',
    labelNames: ['tier'],
    registers: [registry],
    async collect() {
      const totals = await population.readCounterTotals(partitions, 't:');
      this.reset();
      for (const [field, count] of totals) this.set({ tier: field.slice(2) }, count);
    },
  });
  const latestView = async (): Promise<TierView | null> => {
    const encoded = await population.latestAppliedView(partitions);
    return encoded === null ? null : (JSON.parse(encoded) as TierView | null);
  };
  new Gauge({
    name: 'vs_value_skew_share',
    help: 'Share of total rolling value from a population segment: top2 (top 2%), top20, bottom20',
    labelNames: ['segment'],
    registers: [registry],
    async collect() {
      const view = await latestView();
      this.reset();
      if (!view) return;
      this.set({ segment: 'top2' }, view.skew.top2Share);
      this.set({ segment: 'top20' }, view.skew.top20Share);
      this.set({ segment: 'bottom20' }, view.skew.bottom20Share);
    },
  });
  new Gauge({
    name: 'vs_value_threshold_minor',
    help: 'Current tier thresholds (lower edge of the tier, minor units)',
    labelNames: ['tier'],
    registers: [registry],
    async collect() {
      const view = await latestView();
      this.reset();
      if (!view) return;
      this.set({ tier: 'top' }, view.thresholds.top);
      this.set({ tier: 'middle' }, view.thresholds.bottom);
      if (view.thresholds.top2 !== null) this.set({ tier: 'top2' }, view.thresholds.top2);
    },
  });
  new Gauge({
    name: 'vs_value_population_size',
    help: 'Active customers ranked at the newest thresholds boundary',
    registers: [registry],
    async collect() {
      const view = await latestView();
      this.set(view?.populationSize ?? 0);
    },
  });
}
