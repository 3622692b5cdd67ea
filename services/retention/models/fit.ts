// Maximum-likelihood fits of BG/NBD and Gamma-Gamma over a population's summaries (README.md,
// "Fitting"). Every parameter must be positive, so the search runs over their logarithms: the
// optimiser is unconstrained, a step changes a parameter by a factor rather than an amount (α is
// in time units, γ in money, r and a can be 0.2 or 20), and the likelihood is smoother in logs.
// The fit is pure: the caller stamps the fit time when it stores the result.

import { type BgNbdParams, type CustomerSummary, preparedLogLikelihood, prepareSummaries } from './bgnbd.js';
import {
  type GammaGammaParams,
  preparedSpendLogLikelihood,
  prepareSpends,
  type SpendSummary,
} from './gamma-gamma.js';
import { type NelderMeadOptions, nelderMeadSteps, runToEnd, type Steps } from './nelder-mead.js';

export interface FitResult<P> {
  readonly params: P;
  readonly logLikelihood: number;
  /** Customers whose summaries entered the likelihood. */
  readonly customers: number;
  readonly iterations: number;
  readonly evaluations: number;
  readonly converged: boolean;
}

export interface FitOptions<P> {
  /** Starting point; by default one derived from the data (see each fit). */
  readonly initial?: P;
  readonly optimizer?: NelderMeadOptions;
}

/** Identical summaries enter the likelihood once with a weight (CDNOW: 2,357 customers, 1,016 distinct summaries). */
function group<S>(items: readonly S[], key: (s: S) => string): { unique: S[]; weights: number[] } {
  const index = new Map<string, number>();
  const unique: S[] = [];
  const weights: number[] = [];
  for (const item of items) {
    const k = key(item);
    const at = index.get(k);
    if (at === undefined) {
      index.set(k, unique.length);
      unique.push(item);
      weights.push(1);
    } else {
      weights[at] = weights[at]! + 1;
    }
  }
  return { unique, weights };
}

export function assertValidSummary(s: CustomerSummary): void {
  const ok =
    Number.isInteger(s.x) &&
    s.x >= 0 &&
    Number.isFinite(s.T) &&
    s.tx >= 0 &&
    s.tx <= s.T &&
    (s.x > 0 || s.tx === 0);
  if (!ok)
    throw new RangeError(`invalid BG/NBD summary ${JSON.stringify(s)}: need integer x ≥ 0, 0 ≤ t_x ≤ T`);
}

/**
 * Fits r, α, a, b by maximising the BG/NBD log-likelihood. Default start: r = 1, a = b = 1 and
 * α = r · ΣT / Σx, which matches the population's mean purchase rate r/α to the observed one (so
 * the start is right whatever the time unit).
 */
export function fitBgNbd(
  summaries: readonly CustomerSummary[],
  options: FitOptions<BgNbdParams> = {},
): FitResult<BgNbdParams> {
  return runToEnd(fitBgNbdSteps(summaries, options));
}

/** fitBgNbd, pausing after every iteration of the optimiser (nelder-mead.ts runYielding). */
export function* fitBgNbdSteps(
  summaries: readonly CustomerSummary[],
  options: FitOptions<BgNbdParams> = {},
): Steps<FitResult<BgNbdParams>> {
  if (summaries.length === 0) throw new RangeError('fitBgNbd: no customers');
  for (const s of summaries) assertValidSummary(s);
  const { unique, weights } = group(summaries, (s) => `${s.x}|${s.tx}|${s.T}`);
  let totalT = 0;
  let totalX = 0;
  for (const s of summaries) {
    totalT += s.T;
    totalX += s.x;
  }
  const initial = options.initial ?? { r: 1, alpha: totalX > 0 ? totalT / totalX : 1, a: 1, b: 1 };
  const fromLog = (v: readonly number[]): BgNbdParams => ({
    r: Math.exp(v[0]!),
    alpha: Math.exp(v[1]!),
    a: Math.exp(v[2]!),
    b: Math.exp(v[3]!),
  });
  const start = [initial.r, initial.alpha, initial.a, initial.b].map(Math.log);
  const prepared = prepareSummaries(unique, weights);
  const result = yield* nelderMeadSteps(
    (v) => -preparedLogLikelihood(fromLog(v), prepared),
    start,
    options.optimizer,
  );
  return {
    params: fromLog(result.x),
    logLikelihood: -result.fx,
    customers: summaries.length,
    iterations: result.iterations,
    evaluations: result.evaluations,
    converged: result.converged,
  };
}

/**
 * Fits p, q, γ by maximising the Gamma-Gamma log-likelihood over the customers with at least one
 * repeat purchase and a positive mean spend (the others carry no information on spend per
 * transaction; customers whose repeat purchases total 0 are left out, as the density needs z̄ > 0).
 * Default start: p = 1, q = 2 and γ = mean z̄, which makes the population mean pγ/(q−1) equal
 * the observed mean.
 */
export function fitGammaGamma(
  spends: readonly SpendSummary[],
  options: FitOptions<GammaGammaParams> = {},
): FitResult<GammaGammaParams> {
  return runToEnd(fitGammaGammaSteps(spends, options));
}

/** fitGammaGamma, pausing after every iteration of the optimiser. */
export function* fitGammaGammaSteps(
  spends: readonly SpendSummary[],
  options: FitOptions<GammaGammaParams> = {},
): Steps<FitResult<GammaGammaParams>> {
  const usable = spends.filter((s) => s.x > 0 && s.meanSpend > 0 && Number.isFinite(s.meanSpend));
  if (usable.length === 0)
    throw new RangeError('fitGammaGamma: no customer with a repeat purchase and spend');
  const { unique, weights } = group(usable, (s) => `${s.x}|${s.meanSpend}`);
  const meanSpend = usable.reduce((sum, s) => sum + s.meanSpend, 0) / usable.length;
  const initial = options.initial ?? { p: 1, q: 2, gamma: meanSpend };
  const fromLog = (v: readonly number[]): GammaGammaParams => ({
    p: Math.exp(v[0]!),
    q: Math.exp(v[1]!),
    gamma: Math.exp(v[2]!),
  });
  const start = [initial.p, initial.q, initial.gamma].map(Math.log);
  const prepared = prepareSpends(unique, weights);
  const result = yield* nelderMeadSteps(
    (v) => -preparedSpendLogLikelihood(fromLog(v), prepared),
    start,
    options.optimizer,
  );
  return {
    params: fromLog(result.x),
    logLikelihood: -result.fx,
    customers: usable.length,
    iterations: result.iterations,
    evaluations: result.evaluations,
    converged: result.converged,
  };
}
