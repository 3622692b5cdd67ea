// Customer lifetime value over a finite horizon from BG/NBD (how many purchases) and Gamma-Gamma
// (how much each), assumed independent as in Fader, Hardie & Lee (2005, "RFM and CLV").
//
// Discounting, period by period: the horizon is split into periods of equal length (a week, a
// month); the purchases expected in period k are E[Y(kΔ)] − E[Y((k−1)Δ)] from the BG/NBD
// conditional expectation, and their margin is discounted by (1 + d)^(−k), as if received at the
// end of the period: the same convention as the brief's m · r / (1 + d − r). Shorter periods
// approach continuous discounting; the per-period sum is preferred to one "expected purchases in
// the horizon / (1 + d)^(horizon/2)" factor because purchases are front-loaded (customers drop
// out over the horizon), which a mid-point discount ignores.

import { type BgNbdParams, type CustomerSummary, conditionalExpectedTransactions } from './bgnbd.js';
import { expectedAverageSpend, type GammaGammaParams } from './gamma-gamma.js';

export interface ClvOptions {
  /** Number of periods in the horizon (for example 12 months or 52 weeks); an integer ≥ 1. */
  readonly periods: number;
  /** Length of a period in the BG/NBD time unit (for example 1 week, or 365.25 / 12 / 7 weeks for a month). */
  readonly periodLength: number;
  /** Discount rate per period, ≥ 0 (a yearly rate y gives (1 + y)^(1/12) − 1 per month). */
  readonly discountRatePerPeriod: number;
  /** Margin as a share of spend, in [0, 1]. */
  readonly margin: number;
}

export interface ClvCustomer extends CustomerSummary {
  /** Mean spend of the repeat purchases (ignored when x = 0). */
  readonly meanSpend: number;
}

export interface ClvResult {
  /** Discounted expected margin over the horizon, in the money unit of the spend. */
  readonly clv: number;
  /** Expected purchases over the horizon, undiscounted. */
  readonly expectedTransactions: number;
  /** Σ_k expected purchases in period k × (1 + d)^(−k). */
  readonly discountedTransactions: number;
  /** Gamma-Gamma expected spend per purchase. */
  readonly expectedSpend: number;
}

/**
 * CLV = margin × E[spend] × Σ_{k=1..K} (E[Y(kΔ)] − E[Y((k−1)Δ)]) · (1 + d)^(−k).
 *
 * Uses BG/NBD's own expectation for x = 0 (the model keeps them alive, but their posterior
 * purchase rate is low; the one-time-buyer fallback is for timing risk, not for value).
 */
export function customerLifetimeValue(
  purchases: BgNbdParams,
  spend: GammaGammaParams,
  customer: ClvCustomer,
  options: ClvOptions,
): ClvResult {
  const { periods, periodLength, discountRatePerPeriod: d, margin } = options;
  if (!(Number.isInteger(periods) && periods >= 1))
    throw new RangeError(`periods must be an integer ≥ 1, got ${periods}`);
  if (!(periodLength > 0)) throw new RangeError(`periodLength must be positive, got ${periodLength}`);
  if (!(d >= 0)) throw new RangeError(`discountRatePerPeriod must be ≥ 0, got ${d}`);
  if (!(margin >= 0 && margin <= 1)) throw new RangeError(`margin must be in [0, 1], got ${margin}`);

  let previous = 0;
  let discounted = 0;
  for (let k = 1; k <= periods; k += 1) {
    const cumulative = conditionalExpectedTransactions(purchases, customer, k * periodLength);
    discounted += (cumulative - previous) / (1 + d) ** k;
    previous = cumulative;
  }
  const expectedSpend = expectedAverageSpend(spend, { x: customer.x, meanSpend: customer.meanSpend });
  return {
    clv: margin * expectedSpend * discounted,
    expectedTransactions: previous,
    discountedTransactions: discounted,
    expectedSpend,
  };
}
