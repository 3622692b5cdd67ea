// Next-best-offer metrics. Decisions, suggestions and conversions come from the decisions'
// observations; the model in force (rules by length, steps, window baskets) is read from Redis at
// scrape time. Mining time is the runtime's vs_population_merge_seconds. Labels are tiers, kinds and
// outcomes: never a customer id or an item.

import { Counter, Gauge, type Registry } from 'prom-client';
import type { RuntimeEvents } from '../../shared/runtime/runtime-events.js';
import type { PopulationStore } from '../../shared/runtime/state-store.js';
import { CONVERSION_METRIC, DECISION_METRIC, SUGGESTION_METRIC } from './suggest.js';
import type { NextBestOfferView } from './view.js';

export function registerNextBestOfferMetrics(
  registry: Registry,
  population: PopulationStore,
  events: RuntimeEvents,
  partitionCount: number,
): void {
  const partitions = Array.from({ length: partitionCount }, (_, p) => p);
  const decisions = new Counter({
    name: 'vs_next_best_offer_decisions_total',
    help: 'Suggestion decisions by outcome (suggest, holdout, no-consent, cooldown, no-suggestion), value tier and trigger (purchase, due-step)',
    labelNames: ['outcome', 'tier', 'trigger'],
    registers: [registry],
  });
  const suggestions = new Counter({
    name: 'vs_next_best_offer_suggestions_total',
    help: 'Items suggested (holdouts included) by evidence kind (rule, sequence, ladder, popular) and value tier',
    labelNames: ['kind', 'tier'],
    registers: [registry],
  });
  const conversions = new Counter({
    name: 'vs_next_best_offer_conversions_total',
    help: 'Suggestions (arm suggested) and holdouts (arm holdout) whose customer bought one of the items within NBO_RECENT_DAYS, by value tier',
    labelNames: ['arm', 'tier'],
    registers: [registry],
  });
  events.on('observations', ({ observations }) => {
    for (const o of observations) {
      const l = o.labels;
      if (o.metric === DECISION_METRIC)
        decisions.inc({ outcome: l.outcome!, tier: l.tier!, trigger: l.trigger! }, o.value);
      else if (o.metric === SUGGESTION_METRIC) suggestions.inc({ kind: l.kind!, tier: l.tier! }, o.value);
      else if (o.metric === CONVERSION_METRIC) conversions.inc({ arm: l.arm!, tier: l.tier! }, o.value);
    }
  });
  new Gauge({
    name: 'vs_next_best_offer_model',
    help: 'The model in force: rules by length (what="rules", length), rules mined before NBO_MAX_RULES, up-sell steps, items priced, baskets in the window, boundary (seconds)',
    labelNames: ['what', 'length'],
    registers: [registry],
    async collect() {
      const encoded = await population.latestAppliedView(partitions);
      this.reset();
      if (encoded === null) return;
      const view = JSON.parse(encoded) as NextBestOfferView | null;
      if (!view) return;
      for (const [length, count] of Object.entries(view.rulesByLength))
        this.set({ what: 'rules', length }, count);
      this.set({ what: 'rules-mined', length: '' }, view.rulesMined);
      this.set({ what: 'steps', length: '' }, view.steps.length);
      this.set({ what: 'items', length: '' }, view.economics.length);
      this.set({ what: 'baskets', length: '' }, view.baskets);
      this.set({ what: 'boundary-seconds', length: '' }, view.boundary / 1000);
    },
  });
}
