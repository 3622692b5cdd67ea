// The fallback for customers without a repeat purchase (x = 0), whom BG/NBD keeps at P(alive) = 1
// forever: in BG/NBD a customer can only drop out right after a repeat purchase, so one who never
// came back has had no chance to leave, and silence never raises their risk.
//
// Fallback: give the first purchase the same dropout chance as every repeat purchase. With the
// population's dropout probability p ~ Beta(a, b), the customer left right after the first purchase
// with probability E[p] = a/(a+b). If they stayed, the chance of no purchase in (0, T] is, with
// λ ~ Gamma(r, α), E[e^(−λT)] = (α/(α+T))^r. Bayes' rule on "no repeat purchase by T":
//
//   P(alive | x = 0, T) = (b/(a+b)) (α/(α+T))^r / [(b/(a+b)) (α/(α+T))^r + a/(a+b)]
//                       = 1 / (1 + (a/b) · ((α+T)/α)^r).
//
// Why this one: it is the posterior probability of the same event ("still a customer") under the
// same fitted parameters, so one P(alive) threshold means the same for one-time buyers as for
// repeat buyers; it decreases with silence like BG/NBD's, has a closed-form time to cross a
// threshold, and needs nothing beyond r, α, a, b. It is exactly P(alive) at x = 0 of the modified
// BG/NBD (MBG/NBD: Batislam, Denizel & Filiztekin 2007, IJRM 24(3):201–209), which adds this
// dropout opportunity at time 0. The one assumption it adds to the fitted BG/NBD (that the first
// purchase is a dropout opportunity) is not part of the likelihood the parameters were fitted
// with; the alternative of an empirical distribution of time to second purchase was rejected
// because it needs a second population estimate, and conditions on nothing the customer did.

import type { BgNbdParams } from './bgnbd.js';

/** P(alive | x = 0, T) = 1 / (1 + (a/b) · ((α+T)/α)^r); b/(a+b) at T = 0, decreasing in T. */
export function oneTimeBuyerPAlive(params: BgNbdParams, T: number): number {
  const { r, alpha, a, b } = params;
  const logOdds = Math.log(a) - Math.log(b) + r * Math.log1p(T / alpha);
  return logOdds > 0 ? Math.exp(-logOdds) / (1 + Math.exp(-logOdds)) : 1 / (1 + Math.exp(logOdds));
}

/**
 * The age T* at which a one-time buyer's P(alive) falls to `threshold`:
 *
 *   T* = α · ([(1/θ − 1) · b/a]^(1/r) − 1),
 *
 * or 0 when the threshold is at or above b/(a+b), the value right after the first purchase.
 */
export function timeWhenOneTimeBuyerPAliveFallsBelow(params: BgNbdParams, threshold: number): number {
  if (!(threshold > 0 && threshold < 1)) {
    throw new RangeError(`threshold must be in (0, 1), got ${threshold}`);
  }
  const { r, alpha, a, b } = params;
  const logBase = Math.log1p(-threshold) - Math.log(threshold) + Math.log(b) - Math.log(a);
  if (logBase <= 0) return 0;
  return alpha * Math.expm1(logBase / r);
}
