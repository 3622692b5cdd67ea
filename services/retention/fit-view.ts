// The population view of retention: BG/NBD and Gamma-Gamma fitted by maximum likelihood over
// every customer's summary as counted at a boundary. Each partition keeps, as counters, how many
// of its customers have each (x, first day, last day) and each (x, repeat spend); the merge of
// all partitions' snapshots is the whole population, and the fit is a pure function of it.

import type { BgNbdParams, CustomerSummary } from './models/bgnbd.js';
import { fitBgNbdSteps, fitGammaGammaSteps } from './models/fit.js';
import type { GammaGammaParams, SpendSummary } from './models/gamma-gamma.js';
import { runToEnd, type Steps } from './models/nelder-mead.js';
import type { DaySummary } from './purchase-days.js';
import { DAY_MS, type RetentionSettings } from './settings.js';

export const MODEL_COUNTER_PREFIX = 'm:';

/** Counter fields of one customer's summary: (x, first, last day) and, for x > 0, (x, repeat spend). */
export function modelCounterFields(summary: DaySummary | null): string[] {
  if (summary === null) return [];
  const fields = [
    `${MODEL_COUNTER_PREFIX}f:${summary.x}:${summary.firstDay / DAY_MS}:${summary.lastDay / DAY_MS}`,
  ];
  if (summary.x > 0) fields.push(`${MODEL_COUNTER_PREFIX}g:${summary.x}:${summary.repeatSpendMinor}`);
  return fields;
}

export interface ModelFit<P> {
  readonly params: P;
  readonly logLikelihood: number;
  readonly customers: number;
  readonly converged: boolean;
  /** The boundary it was fitted at: earlier than the view's when a later refit was rejected. */
  readonly fittedAt: number;
}

export interface RetentionView {
  readonly boundary: number;
  /** Start of the last whole day observed: T counts to it (purchases of that day included). */
  readonly observedDay: number;
  readonly bgnbd: ModelFit<BgNbdParams>;
  /**
   * Spend in minor units; null until a fit is usable. A refit that is not usable (parameters run
   * off to their bounds, as in a young population) keeps the last usable fit, which CLV goes on
   * using; `fittedAt` says when it was made.
   */
  readonly gammaGamma: ModelFit<GammaGammaParams> | null;
}

/** A customer's model summary as of `observedDay`, in the models' time unit. */
export function modelSummary(
  summary: DaySummary,
  observedDay: number,
  settings: RetentionSettings,
): CustomerSummary {
  const unit = settings.timeUnitDays * DAY_MS;
  return {
    x: summary.x,
    tx: (summary.lastDay - summary.firstDay) / unit,
    T: (Math.max(observedDay, summary.lastDay) - summary.firstDay) / unit,
  };
}

/** Parameters a model can be evaluated with: converged, finite, within [1e-6, 1e6]. */
function usable(fit: { params: object; converged: boolean }): boolean {
  return fit.converged && Object.values(fit.params).every((v) => Number.isFinite(v) && v >= 1e-6 && v <= 1e6);
}

/** Null (the view in force stays) until the population is large enough to fit. */
export function mergeModelSnapshots(
  boundary: number,
  snapshots: ReadonlyArray<Readonly<Record<string, number>>>,
  settings: RetentionSettings,
  inForce: RetentionView | null = null,
): RetentionView | null {
  return runToEnd(mergeModelSnapshotsSteps(boundary, snapshots, settings, inForce));
}

/** mergeModelSnapshots, pausing after every iteration of its fits (the worker gives the event loop turns in between). */
export function* mergeModelSnapshotsSteps(
  boundary: number,
  snapshots: ReadonlyArray<Readonly<Record<string, number>>>,
  settings: RetentionSettings,
  inForce: RetentionView | null = null,
): Steps<RetentionView | null> {
  const observedDay = Math.floor((boundary - 1) / DAY_MS) * DAY_MS;
  const summaries: CustomerSummary[] = [];
  const spends: SpendSummary[] = [];
  for (const snapshot of snapshots) {
    for (const [field, count] of Object.entries(snapshot)) {
      if (count <= 0) continue;
      const [kind, x, a, b] = field.slice(MODEL_COUNTER_PREFIX.length).split(':');
      if (kind === 'f') {
        const summary = modelSummary(
          { x: Number(x), firstDay: Number(a) * DAY_MS, lastDay: Number(b) * DAY_MS, repeatSpendMinor: 0 },
          observedDay,
          settings,
        );
        for (let i = 0; i < count; i += 1) summaries.push(summary);
      } else if (kind === 'g') {
        const spend = { x: Number(x), meanSpend: Number(a) / Number(x) };
        for (let i = 0; i < count; i += 1) spends.push(spend);
      }
    }
  }
  // Sorted input: the fit's result must not depend on the order snapshots list their fields.
  summaries.sort((p, q) => p.x - q.x || p.tx - q.tx || p.T - q.T);
  spends.sort((p, q) => p.x - q.x || p.meanSpend - q.meanSpend);
  if (summaries.length < settings.minFitCustomers || !summaries.some((s) => s.x > 0)) return null;
  const bgnbd = yield* fitBgNbdSteps(summaries);
  // A young or tiny population can drive the likelihood to a boundary (r and α running off to
  // infinity: a Poisson rate known exactly); such a fit is not used, the view in force stays.
  if (!usable(bgnbd)) return null;
  const spendFit = spends.length >= 2 ? yield* fitGammaGammaSteps(spends) : null;
  const asModelFit = <P>(f: {
    params: P;
    logLikelihood: number;
    customers: number;
    converged: boolean;
  }): ModelFit<P> => ({
    params: f.params,
    logLikelihood: f.logLikelihood,
    customers: f.customers,
    converged: f.converged,
    fittedAt: boundary,
  });
  return {
    boundary,
    observedDay,
    bgnbd: asModelFit(bgnbd),
    // A spend refit that ran off keeps the last usable one (CLV never silently disappears).
    gammaGamma: spendFit !== null && usable(spendFit) ? asModelFit(spendFit) : (inForce?.gammaGamma ?? null),
  };
}
