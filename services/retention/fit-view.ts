// The population view of retention: BG/NBD and Gamma-Gamma fitted by maximum likelihood over
// every customer's summary as counted at a boundary. Each partition keeps, as counters, how many
// of its customers have each (x, first day, last day) and each (x, repeat spend); the merge of
// all partitions' snapshots is the whole population, and the fit is a pure function of it.

import type { RetentionModelVersion } from '../../shared/contracts/generated.js';
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

/** The model version a decision made under `view` used: its boundary and when each fit in force was made. */
export function modelVersionOf(view: RetentionView | null): RetentionModelVersion | null {
  if (view === null) return null;
  return {
    viewBoundary: view.boundary,
    // Views stored before fits recorded their boundary were fitted at the view's.
    churnModelFittedAt: view.bgnbd.fittedAt ?? view.boundary,
    clvModelFittedAt: view.gammaGamma === null ? null : (view.gammaGamma.fittedAt ?? view.boundary),
  };
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

/**
 * Why a fit is used or not: accepted; too few customers (below minFitCustomers); too few repeat
 * buyers (none for BG/NBD, fewer than two with spend for Gamma-Gamma); no convergence; or
 * degenerate parameters (run off to their bounds, as in a young population). Labels of
 * vs_retention_model_fits_total.
 */
export type FitOutcome =
  | 'accepted'
  | 'too-few-customers'
  | 'too-few-repeat-buyers'
  | 'no-convergence'
  | 'degenerate-parameters';

export interface FitOutcomes {
  readonly boundary: number;
  readonly bgnbd: FitOutcome;
  /** Null when not attempted: Gamma-Gamma is fitted only with a usable BG/NBD fit. */
  readonly gammaGamma: FitOutcome | null;
}

export interface PopulationFit {
  /** Null (the view in force stays) until BG/NBD has a usable fit. */
  readonly view: RetentionView | null;
  readonly outcomes: FitOutcomes;
}

/** Bounds a parameter must lie within for a model to be evaluated with it. */
const PARAMETER_RANGE = [1e-6, 1e6] as const;

function outcomeOf(fit: { params: object; converged: boolean }): FitOutcome {
  const inRange = Object.values(fit.params).every(
    (v) => Number.isFinite(v) && v >= PARAMETER_RANGE[0] && v <= PARAMETER_RANGE[1],
  );
  // A fit running off to a bound usually stops unconverged too; the bound is the cause to report.
  if (!inRange) return 'degenerate-parameters';
  return fit.converged ? 'accepted' : 'no-convergence';
}

/** The view merged from every partition's snapshot: fitPopulation's view. */
export function mergeModelSnapshots(
  boundary: number,
  snapshots: ReadonlyArray<Readonly<Record<string, number>>>,
  settings: RetentionSettings,
  inForce: RetentionView | null = null,
): RetentionView | null {
  return runToEnd(fitPopulationSteps(boundary, snapshots, settings, inForce)).view;
}

/** Both fits over every partition's snapshot, with why each was used or not. */
export function fitPopulation(
  boundary: number,
  snapshots: ReadonlyArray<Readonly<Record<string, number>>>,
  settings: RetentionSettings,
  inForce: RetentionView | null = null,
): PopulationFit {
  return runToEnd(fitPopulationSteps(boundary, snapshots, settings, inForce));
}

/** fitPopulation, pausing after every iteration of its fits (the worker gives the event loop turns in between). */
export function* fitPopulationSteps(
  boundary: number,
  snapshots: ReadonlyArray<Readonly<Record<string, number>>>,
  settings: RetentionSettings,
  inForce: RetentionView | null = null,
): Steps<PopulationFit> {
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
        // Repeat purchases that total 0 (or less, with returns) say nothing on spend per visit.
        if (spend.meanSpend > 0 && Number.isFinite(spend.meanSpend))
          for (let i = 0; i < count; i += 1) spends.push(spend);
      }
    }
  }
  // Sorted input: the fit's result must not depend on the order snapshots list their fields.
  summaries.sort((p, q) => p.x - q.x || p.tx - q.tx || p.T - q.T);
  spends.sort((p, q) => p.x - q.x || p.meanSpend - q.meanSpend);
  const notFitted = (bgnbd: FitOutcome): PopulationFit => ({
    view: null,
    outcomes: { boundary, bgnbd, gammaGamma: null },
  });
  if (summaries.length < settings.minFitCustomers) return notFitted('too-few-customers');
  if (!summaries.some((s) => s.x > 0)) return notFitted('too-few-repeat-buyers');
  const bgnbd = yield* fitBgNbdSteps(summaries);
  const bgnbdOutcome = outcomeOf(bgnbd);
  // A young or tiny population can drive the likelihood to a boundary (r and α running off to
  // infinity: a Poisson rate known exactly); such a fit is not used, the view in force stays.
  if (bgnbdOutcome !== 'accepted') return notFitted(bgnbdOutcome);
  const spendFit = spends.length >= 2 ? yield* fitGammaGammaSteps(spends) : null;
  const spendOutcome = spendFit === null ? 'too-few-repeat-buyers' : outcomeOf(spendFit);
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
    view: {
      boundary,
      observedDay,
      bgnbd: asModelFit(bgnbd),
      // A spend refit that is not used keeps the last usable one (CLV never silently disappears).
      gammaGamma:
        spendFit !== null && spendOutcome === 'accepted'
          ? asModelFit(spendFit)
          : (inForce?.gammaGamma ?? null),
    },
    outcomes: { boundary, bgnbd: bgnbdOutcome, gammaGamma: spendOutcome },
  };
}
