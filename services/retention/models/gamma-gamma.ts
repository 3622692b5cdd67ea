// The Gamma-Gamma model of spend per transaction (Fader & Hardie 2013, "The Gamma-Gamma Model of
// Monetary Value", http://www.brucehardie.com/notes/025/gamma_gamma.pdf; first in Fader, Hardie &
// Lee 2005, "RFM and CLV", JMR 42(4)). A customer's transaction amounts are Gamma(p, ν) with mean
// p/ν; across customers ν ~ Gamma(q, γ). It is fitted on customers with at least one repeat
// purchase, from their number of repeat transactions x and the mean z̄ of those amounts, and is
// assumed independent of the purchase process (BG/NBD), so CLV multiplies the two.

import { placeOf } from './distinct.js';
import { logGamma } from './special.js';

export interface GammaGammaParams {
  readonly p: number;
  readonly q: number;
  /** γ (lifetimes calls it v): the scale of the population's spend, in money units. */
  readonly gamma: number;
}

/** x repeat transactions with mean amount meanSpend (the first purchase is not counted). */
export interface SpendSummary {
  readonly x: number;
  readonly meanSpend: number;
}

/**
 * log f(z̄ | p, q, γ; x): the density of a customer's mean spend (the note's equation (4)):
 *
 *   f(z̄) = Γ(px+q)/(Γ(px)Γ(q)) · γ^q x^(px) z̄^(px−1) / (γ + x z̄)^(px+q).
 *
 * Defined for x > 0 and z̄ > 0 only (a customer whose repeat purchases sum to 0 has no spend to
 * model; fit.ts leaves them out).
 */
export function customerSpendLogLikelihood(params: GammaGammaParams, s: SpendSummary): number {
  return spendLogLikelihoodWith(params, logGamma(params.q), Math.log(params.gamma), s);
}

function spendLogLikelihoodWith(
  params: GammaGammaParams,
  logGammaQ: number,
  logGammaScale: number,
  s: SpendSummary,
): number {
  const leading = byRepeats(params, logGammaQ, logGammaScale, s.x);
  return spendLogLikelihoodOf(params, leading, s.x, s.meanSpend, Math.log(s.meanSpend));
}

/** The leading terms of a customer's log density, which depend only on x: log Γ(px+q) − log Γ(px) − log Γ(q) + q log γ + px log x. */
function byRepeats(params: GammaGammaParams, logGammaQ: number, logGammaScale: number, x: number): number {
  const px = params.p * x;
  return logGamma(px + params.q) - logGamma(px) - logGammaQ + params.q * logGammaScale + px * Math.log(x);
}

/** log f from its leading terms and log z̄: one customer's, or a prepared population's. */
function spendLogLikelihoodOf(
  params: GammaGammaParams,
  leading: number,
  x: number,
  meanSpend: number,
  logMeanSpend: number,
): number {
  const { p, q, gamma } = params;
  const px = p * x;
  return leading + (px - 1) * logMeanSpend - (px + q) * Math.log(gamma + x * meanSpend);
}

/**
 * Spend summaries laid out for the many evaluations of a fit: each distinct x once (its log Γ
 * terms) and each summary's log z̄, which no parameter changes, computed once. Same arithmetic
 * as per summary, in the same order: the same number.
 */
export interface PreparedSpends {
  readonly xs: readonly number[];
  readonly xAt: Int32Array;
  readonly x: Float64Array;
  readonly meanSpend: Float64Array;
  readonly logMeanSpend: Float64Array;
  readonly weights: Float64Array;
}

export function prepareSpends(
  summaries: readonly SpendSummary[],
  weights?: readonly number[],
): PreparedSpends {
  const xIndex = new Map<number, number>();
  const xs: number[] = [];
  const n = summaries.length;
  const prepared: PreparedSpends = {
    xs,
    xAt: new Int32Array(n),
    x: new Float64Array(n),
    meanSpend: new Float64Array(n),
    logMeanSpend: new Float64Array(n),
    weights: new Float64Array(n),
  };
  for (let i = 0; i < n; i += 1) {
    const s = summaries[i]!;
    prepared.xAt[i] = placeOf(xIndex, xs, s.x);
    prepared.x[i] = s.x;
    prepared.meanSpend[i] = s.meanSpend;
    prepared.logMeanSpend[i] = Math.log(s.meanSpend);
    prepared.weights[i] = weights?.[i] ?? 1;
  }
  return prepared;
}

/** Σ weight_i · log f_i over prepared spends (spendLogLikelihood, log Γ once per x, log z̄ once). */
export function preparedSpendLogLikelihood(params: GammaGammaParams, prepared: PreparedSpends): number {
  const logGammaQ = logGamma(params.q);
  const logGammaScale = Math.log(params.gamma);
  const leading = prepared.xs.map((x) => byRepeats(params, logGammaQ, logGammaScale, x));
  const { xAt, x, meanSpend, logMeanSpend, weights } = prepared;
  let total = 0;
  for (let i = 0; i < xAt.length; i += 1)
    total +=
      weights[i]! * spendLogLikelihoodOf(params, leading[xAt[i]!]!, x[i]!, meanSpend[i]!, logMeanSpend[i]!);
  return total;
}

/** Σ weight_i · log f_i over customers with x > 0 and a positive mean spend. */
export function spendLogLikelihood(
  params: GammaGammaParams,
  summaries: readonly SpendSummary[],
  weights?: readonly number[],
): number {
  return preparedSpendLogLikelihood(params, prepareSpends(summaries, weights));
}

/** The population's mean spend per transaction, E[p/ν] = pγ/(q − 1); infinite unless q > 1. */
export function populationMeanSpend(params: GammaGammaParams): number {
  if (!(params.q > 1)) throw new RangeError(`the mean spend exists only for q > 1, got q = ${params.q}`);
  return (params.p * params.gamma) / (params.q - 1);
}

/**
 * E[Z | x, z̄]: the expected spend per transaction of a customer (the note's equation (5)), a
 * weighted average of the population mean and the customer's own mean that trusts the customer's
 * more as x grows:
 *
 *   E[Z | x, z̄] = (q−1)/(px+q−1) · pγ/(q−1) + px/(px+q−1) · z̄ = p(γ + x z̄)/(px + q − 1).
 *
 * For x = 0 it is the population mean pγ/(q−1).
 */
export function expectedAverageSpend(params: GammaGammaParams, s: SpendSummary): number {
  const { p, q, gamma } = params;
  if (s.x === 0) return populationMeanSpend(params);
  return (p * (gamma + s.x * s.meanSpend)) / (p * s.x + q - 1);
}
