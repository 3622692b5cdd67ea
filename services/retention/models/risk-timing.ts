// The churn-risk signal the retention worker uses for every customer: BG/NBD's P(alive) for
// repeat buyers, the one-time-buyer fallback for x = 0, and the age at which it crosses the risk
// threshold, so a timer can fire at the exact stream time (first purchase + age × time unit) when
// no purchase comes first. A purchase before then changes the summary and re-arms the timer.

import { type BgNbdParams, type CustomerSummary, pAlive, timeWhenPAliveFallsBelow } from './bgnbd.js';
import { oneTimeBuyerPAlive, timeWhenOneTimeBuyerPAliveFallsBelow } from './one-time-buyers.js';

export type RiskBasis = 'bgnbd' | 'one-time-buyer-fallback';

export interface RiskPAlive {
  readonly pAlive: number;
  readonly basis: RiskBasis;
}

export interface RiskTimer {
  /** Age (time since the first purchase, model units) at which P(alive) reaches the threshold. */
  readonly age: number;
  readonly basis: RiskBasis;
}

export function riskPAlive(params: BgNbdParams, summary: CustomerSummary): RiskPAlive {
  return summary.x > 0
    ? { pAlive: pAlive(params, summary), basis: 'bgnbd' }
    : { pAlive: oneTimeBuyerPAlive(params, summary.T), basis: 'one-time-buyer-fallback' };
}

export function riskTimer(
  params: BgNbdParams,
  summary: Pick<CustomerSummary, 'x' | 'tx'>,
  threshold: number,
): RiskTimer {
  if (summary.x > 0) {
    return { age: timeWhenPAliveFallsBelow(params, summary, threshold)!, basis: 'bgnbd' };
  }
  return { age: timeWhenOneTimeBuyerPAliveFallsBelow(params, threshold), basis: 'one-time-buyer-fallback' };
}
