// Draws populations from the BG/NBD and Gamma-Gamma models with known parameters, from a seed.
// Used to check that the fits recover what generated the data and that the one-time-buyer
// fallback is the posterior it claims to be; deterministic, so tests do not flake.

import type { BgNbdParams, CustomerSummary } from './bgnbd.js';
import type { GammaGammaParams } from './gamma-gamma.js';

/** mulberry32: a small 32-bit seeded generator, uniform in [0, 1). Plenty for simulation tests. */
export function seededUniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function standardNormal(uniform: () => number): number {
  // Box–Muller; 1 − u keeps the logarithm finite.
  return Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/**
 * Gamma(shape, rate) by Marsaglia & Tsang (2000); for shape < 1, Gamma(shape + 1) · U^(1/shape).
 */
export function sampleGamma(uniform: () => number, shape: number, rate: number): number {
  if (shape < 1) return sampleGamma(uniform, shape + 1, rate) * (1 - uniform()) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const z = standardNormal(uniform);
    const v = (1 + c * z) ** 3;
    if (v <= 0) continue;
    const u = 1 - uniform();
    if (Math.log(u) < 0.5 * z * z + d - d * v + d * Math.log(v)) return (d * v) / rate;
  }
}

export function sampleBeta(uniform: () => number, a: number, b: number): number {
  const x = sampleGamma(uniform, a, 1);
  return x / (x + sampleGamma(uniform, b, 1));
}

export interface SimulatedCustomer extends CustomerSummary {
  /** Whether the customer is still alive at T (known only in a simulation). */
  readonly alive: boolean;
  /** Purchase times from the first one (time 0), up to T. */
  readonly purchases: readonly number[];
}

/**
 * One BG/NBD customer observed for T time units after the first purchase: λ ~ Gamma(r, α),
 * p ~ Beta(a, b); exponential gaps at rate λ; after each repeat purchase a coin with probability p
 * decides dropout. `dropoutAtFirstPurchase` also tosses the coin at the first purchase (the
 * assumption of the one-time-buyer fallback).
 */
export function simulateBgNbdCustomer(
  params: BgNbdParams,
  T: number,
  uniform: () => number,
  dropoutAtFirstPurchase = false,
): SimulatedCustomer {
  const lambda = sampleGamma(uniform, params.r, params.alpha);
  const p = sampleBeta(uniform, params.a, params.b);
  const purchases = [0];
  let alive = !(dropoutAtFirstPurchase && uniform() < p);
  let time = 0;
  while (alive) {
    time += -Math.log(1 - uniform()) / lambda;
    if (time > T) break;
    purchases.push(time);
    if (uniform() < p) alive = false;
  }
  const x = purchases.length - 1;
  return { x, tx: purchases[x]!, T, alive, purchases };
}

/** Mean of x transaction amounts drawn from Gamma(p, ν), ν ~ Gamma(q, γ) per customer. */
export function simulateMeanSpend(params: GammaGammaParams, x: number, uniform: () => number): number {
  const nu = sampleGamma(uniform, params.q, params.gamma);
  let total = 0;
  for (let i = 0; i < x; i += 1) total += sampleGamma(uniform, params.p, nu);
  return total / x;
}
