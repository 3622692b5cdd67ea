// The BG/NBD model of repeat buying (Fader, Hardie & Lee 2005, "'Counting Your Customers' the
// Easy Way", Marketing Science 24(2):275–284). While alive, a customer buys at rate λ; after each
// repeat purchase they drop out with probability p. Across the population λ ~ Gamma(r, α) and
// p ~ Beta(a, b). A customer is summarised by x (repeat purchases), t_x (time of the last one,
// measured from the first purchase) and T (age: time from the first purchase to now), all in one
// time unit (weeks in the paper); α carries that unit, r, a and b do not.

import { placeOf } from './distinct.js';
import { hyp2f1, logBeta, logGamma, logSumExp } from './special.js';

export interface BgNbdParams {
  readonly r: number;
  readonly alpha: number;
  readonly a: number;
  readonly b: number;
}

/** A customer's repeat-purchase history: 0 ≤ t_x ≤ T, t_x = 0 when x = 0. */
export interface CustomerSummary {
  readonly x: number;
  readonly tx: number;
  readonly T: number;
}

/** The terms of the likelihood that depend only on the parameters, computed once per evaluation. */
interface PopulationTerms {
  readonly logGammaR: number;
  readonly logAlpha: number;
  readonly logBetaAB: number;
  readonly logA: number;
  readonly logGammaA: number;
}

function populationTerms(params: BgNbdParams): PopulationTerms {
  return {
    logGammaR: logGamma(params.r),
    logAlpha: Math.log(params.alpha),
    logBetaAB: logBeta(params.a, params.b),
    logA: Math.log(params.a),
    logGammaA: logGamma(params.a),
  };
}

/**
 * The paper's equation (6), in logs:
 *
 *   L = B(a, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
 *     + [x > 0] · B(a+1, b+x−1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x))
 *
 * The first term is "still alive at T", the second "dropped out after the last purchase".
 * B(a+1, b+x−1) = B(a, b+x) · a / (b+x−1), so both share log B(a, b+x) and the sum is a
 * log-sum-exp of two exponents that differ only in the last factors.
 */
function logLikelihoodWith(params: BgNbdParams, terms: PopulationTerms, s: CustomerSummary): number {
  const { alpha } = params;
  return logLikelihoodOf(repeatTerms(params, terms, s.x), Math.log(alpha + s.T), Math.log(alpha + s.tx));
}

/** The terms of one customer's likelihood that depend only on x (and the parameters). */
interface RepeatTerms {
  readonly x: number;
  readonly rx: number;
  readonly common: number;
  /** log a − log(b+x−1): the dropped-out term's factor (x > 0). */
  readonly logDropout: number;
}

function repeatTerms(params: BgNbdParams, terms: PopulationTerms, x: number): RepeatTerms {
  const { r, a, b } = params;
  const rx = r + x;
  const common =
    logGamma(rx) -
    terms.logGammaR +
    r * terms.logAlpha -
    terms.logBetaAB +
    (terms.logGammaA + logGamma(b + x) - logGamma(a + b + x));
  return { x, rx, common, logDropout: x === 0 ? 0 : terms.logA - Math.log(b + x - 1) };
}

/** log L from its x terms, log(α + T) and log(α + t_x): one customer's, or a prepared population's. */
function logLikelihoodOf(t: RepeatTerms, logAlphaPlusT: number, logAlphaPlusTx: number): number {
  const alive = -t.rx * logAlphaPlusT;
  if (t.x === 0) return t.common + alive;
  const droppedOut = t.logDropout - t.rx * logAlphaPlusTx;
  return t.common + logSumExp(alive, droppedOut);
}

/** log L of one customer's summary under the parameters. */
export function customerLogLikelihood(params: BgNbdParams, summary: CustomerSummary): number {
  return logLikelihoodWith(params, populationTerms(params), summary);
}

/**
 * A population's summaries laid out for the many evaluations of a fit: each distinct x, and
 * each distinct time (t_x or T), once, so that an evaluation computes the log Γ terms once per x
 * and log(α + t) once per time instead of per summary (a year of daily summaries has at most 366
 * distinct times for thousands of summaries). The arithmetic is the same as per summary, in the
 * same order: the result is the same number.
 */
export interface PreparedSummaries {
  readonly xs: readonly number[];
  readonly times: Float64Array;
  /** Per summary: index into xs, into times for T and for t_x, and its weight. */
  readonly xAt: Int32Array;
  readonly tAt: Int32Array;
  readonly txAt: Int32Array;
  readonly weights: Float64Array;
}

export function prepareSummaries(
  summaries: readonly CustomerSummary[],
  weights?: readonly number[],
): PreparedSummaries {
  const xIndex = new Map<number, number>();
  const timeIndex = new Map<number, number>();
  const xs: number[] = [];
  const times: number[] = [];
  const n = summaries.length;
  const prepared = {
    xs,
    xAt: new Int32Array(n),
    tAt: new Int32Array(n),
    txAt: new Int32Array(n),
    weights: new Float64Array(n),
  };
  for (let i = 0; i < n; i += 1) {
    const s = summaries[i]!;
    prepared.xAt[i] = placeOf(xIndex, xs, s.x);
    prepared.tAt[i] = placeOf(timeIndex, times, s.T);
    prepared.txAt[i] = placeOf(timeIndex, times, s.tx);
    prepared.weights[i] = weights?.[i] ?? 1;
  }
  return { ...prepared, times: Float64Array.from(times) };
}

/** Σ weight_i · log L_i over prepared summaries (logLikelihood, computed once per x and per time). */
export function preparedLogLikelihood(params: BgNbdParams, prepared: PreparedSummaries): number {
  const terms = populationTerms(params);
  const repeats = prepared.xs.map((x) => repeatTerms(params, terms, x));
  const { alpha } = params;
  const { times, xAt, tAt, txAt, weights } = prepared;
  const logAlphaPlus = new Float64Array(times.length);
  for (let k = 0; k < times.length; k += 1) logAlphaPlus[k] = Math.log(alpha + times[k]!);
  let total = 0;
  for (let i = 0; i < xAt.length; i += 1)
    total +=
      weights[i]! * logLikelihoodOf(repeats[xAt[i]!]!, logAlphaPlus[tAt[i]!]!, logAlphaPlus[txAt[i]!]!);
  return total;
}

/**
 * Total log-likelihood of a population, Σ weight_i · log L_i (weights default to 1: a weight
 * stands for that many customers with the same summary, which is how fit.ts groups duplicates).
 */
export function logLikelihood(
  params: BgNbdParams,
  summaries: readonly CustomerSummary[],
  weights?: readonly number[],
): number {
  return preparedLogLikelihood(params, prepareSummaries(summaries, weights));
}

/**
 * a/(b+x−1) · ((α+T)/(α+t_x))^(r+x): the posterior odds of "dropped out after the last
 * purchase" against "alive", in logs (it overflows for frequent customers silent for long).
 */
function logDropoutOdds(params: BgNbdParams, x: number, tx: number, T: number): number {
  const { r, alpha, a, b } = params;
  return Math.log(a) - Math.log(b + x - 1) + (r + x) * (Math.log(alpha + T) - Math.log(alpha + tx));
}

/**
 * P(alive | x, t_x, T) = 1 / (1 + [x > 0] · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x)).
 *
 * A customer with x = 0 is alive with probability 1: in BG/NBD dropping out can only happen right
 * after a repeat purchase. one-time-buyers.ts gives the fallback used for them.
 */
export function pAlive(params: BgNbdParams, summary: CustomerSummary): number {
  if (summary.x === 0) return 1;
  const logOdds = logDropoutOdds(params, summary.x, summary.tx, summary.T);
  // 1 / (1 + e^u) written so that neither branch overflows.
  return logOdds > 0 ? Math.exp(-logOdds) / (1 + Math.exp(-logOdds)) : 1 / (1 + Math.exp(logOdds));
}

/** Half-width of the interval around a = 1 where the expectation is interpolated (see below). */
const A_NEAR_ONE = 1e-5;

/**
 * E[Y(t) | x, t_x, T]: the expected number of purchases in (T, T + t] (the paper's equation (10)):
 *
 *   E = (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x; a+b+x−1; z)] · P(alive),
 *   z = t / (α+T+t).
 *
 * Evaluated through Euler's transformation ₂F₁(A,B;C;z) = (1−z)^(C−A−B) ₂F₁(C−A, C−B; C; z),
 * which turns the bracket into 1 − (1−z)^(a−1) ₂F₁(a+b−1−r, a−1; a+b+x−1; z). Why: with the
 * parameters as written, ₂F₁ grows like (1−z)^(−x) and overflows for frequent customers (x in the
 * hundreds) while the factor in front underflows; after the transformation the first two
 * parameters no longer depend on x, the third grows with x (which only speeds the series up), and
 * the power of (1−z) no longer depends on x either.
 *
 * The factor 1/(a−1) is a removable singularity (the bracket vanishes at a = 1 too); within 1e-5
 * of a = 1 the value is interpolated linearly between a = 1 ± 1e-5, which keeps about 10
 * significant digits where the direct formula would lose them to cancellation.
 */
export function conditionalExpectedTransactions(
  params: BgNbdParams,
  summary: CustomerSummary,
  t: number,
): number {
  if (t === 0) return 0;
  const { a } = params;
  if (Math.abs(a - 1) < A_NEAR_ONE) {
    const below = expectationAwayFromOne({ ...params, a: 1 - A_NEAR_ONE }, summary, t);
    const above = expectationAwayFromOne({ ...params, a: 1 + A_NEAR_ONE }, summary, t);
    return below + ((a - (1 - A_NEAR_ONE)) / (2 * A_NEAR_ONE)) * (above - below);
  }
  return expectationAwayFromOne(params, summary, t);
}

function expectationAwayFromOne(params: BgNbdParams, summary: CustomerSummary, t: number): number {
  const { r, alpha, a, b } = params;
  const { x, T } = summary;
  const z = t / (alpha + T + t);
  const logOneMinusZ = Math.log(alpha + T) - Math.log(alpha + T + t);
  const f = hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z);
  const bracket = -Math.expm1((a - 1) * logOneMinusZ) - Math.exp((a - 1) * logOneMinusZ) * (f - 1);
  return ((a + b + x - 1) / (a - 1)) * bracket * pAlive(params, summary);
}

/**
 * E[X(t)]: the expected number of repeat purchases in the first t time units of a new customer's
 * life (the paper's equation (9)):
 *
 *   E[X(t)] = (a+b−1)/(a−1) · [1 − (α/(α+t))^r ₂F₁(r, b; a+b−1; t/(α+t))],
 *
 * which is the conditional expectation for x = 0, t_x = 0, T = 0.
 */
export function expectedTransactions(params: BgNbdParams, t: number): number {
  return conditionalExpectedTransactions(params, { x: 0, tx: 0, T: 0 }, t);
}

/**
 * The age T* (same unit as the summary) at which P(alive) falls to `threshold` if the customer
 * makes no further purchase: solving 1/(1 + a/(b+x−1) · ((α+T)/(α+t_x))^(r+x)) = θ for T gives
 *
 *   T* = (α + t_x) · [(1/θ − 1) · (b+x−1)/a]^(1/(r+x)) − α.
 *
 * P(alive) is decreasing in T, so the risk fires exactly when the customer's age passes T*; the
 * worker sets its timer at first-purchase time + T* units. The largest P(alive) a customer can
 * have is at T = t_x, (b+x−1)/(a+b+x−1); for a threshold at or above it the answer is t_x (the
 * customer is already at risk at their last purchase). Null for x = 0, where BG/NBD keeps P(alive)
 * at 1 forever (see one-time-buyers.ts).
 */
export function timeWhenPAliveFallsBelow(
  params: BgNbdParams,
  summary: Pick<CustomerSummary, 'x' | 'tx'>,
  threshold: number,
): number | null {
  if (!(threshold > 0 && threshold < 1)) {
    throw new RangeError(`threshold must be in (0, 1), got ${threshold}`);
  }
  const { r, alpha, a, b } = params;
  const { x, tx } = summary;
  if (x === 0) return null;
  const logRatio =
    (Math.log1p(-threshold) - Math.log(threshold) + Math.log(b + x - 1) - Math.log(a)) / (r + x);
  if (logRatio <= 0) return tx;
  return Math.max(tx, (alpha + tx) * Math.exp(logRatio) - alpha);
}
