// A young retention population for the issue-14 test (test/integration/retention-young-population
// .test.ts): customers arriving over the weeks, so that early fits are made on a handful of
// heterogeneous buyers and later ones are swamped by newcomers the models cannot describe.
//
// - `varied`: BG/NBD purchase times, amounts drawn per purchase (Gamma-Gamma spend): they make
//   both models fit.
// - `flat`: BG/NBD purchase times, but every purchase of a customer costs the same: spend per
//   visit never varies, so once they are most repeat buyers Gamma-Gamma's p runs off to its bound.
// - `steady`: buy every week on the same weekday at one price: no rate heterogeneity, so once they
//   dominate BG/NBD's r and α run off too.
// Consent and value tiers come as profile and segment records (some change later), and complaints
// and lapses make customers at risk before and after the fits are rejected.

import { fitPopulation, modelCounterFields, type RetentionView } from '../../services/retention/fit-view.js';
import type { BgNbdParams } from '../../services/retention/models/bgnbd.js';
import {
  sampleGamma,
  seededUniform,
  simulateBgNbdCustomer,
} from '../../services/retention/models/simulate.js';
import type { DaySummary } from '../../services/retention/purchase-days.js';
import type { RetentionSettings } from '../../services/retention/settings.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
export const WEEK_MS = 7 * DAY_MS;

export type Cohort = 'varied' | 'flat' | 'steady';

export interface CohortPlan {
  readonly cohort: Cohort;
  readonly customers: number;
  /** First purchases fall in weeks [from, to). */
  readonly firstWeeks: readonly [number, number];
  /** For `steady`: how many weeks they keep buying before they lapse (range). */
  readonly steadyWeeks?: readonly [number, number];
}

export interface YoungCustomer {
  readonly id: string;
  readonly cohort: Cohort;
  readonly purchases: ReadonlyArray<{ readonly at: number; readonly spendMinor: number }>;
  /** Profile versions: the first at sign-up (just before the first purchase), later consent changes. */
  readonly profiles: ReadonlyArray<{ readonly at: number; readonly consent: boolean }>;
  readonly tiers: ReadonlyArray<{ readonly at: number; readonly tier: string }>;
  readonly complaints: readonly number[];
  /** The partition a tick customer's records go to; undefined: by key. */
  readonly partition?: number;
}

export interface YoungPopulation {
  readonly start: number;
  readonly weeks: number;
  readonly customers: readonly YoungCustomer[];
}

const VARIED_TIMES: BgNbdParams = { r: 0.9, alpha: 2.5, a: 0.7, b: 2.2 };

export function youngPopulation(options: {
  start: number;
  weeks: number;
  cohorts: readonly CohortPlan[];
  seed: number;
  /** Share of customers who complain once, any day after their first purchase. */
  complaintShare: number;
  /** Share of the `varied` customers who also complain within three weeks of their first purchase. */
  earlyComplaintShare: number;
  /** Customers with a purchase in every partition every week (so every partition reaches each boundary). */
  tickPartitions: number;
}): YoungPopulation {
  const uniform = seededUniform(options.seed);
  const end = options.start + options.weeks * WEEK_MS;
  const customers: YoungCustomer[] = [];
  for (const plan of options.cohorts) {
    for (let i = 0; i < plan.customers; i += 1) {
      const id = `${plan.cohort}-${String(i).padStart(3, '0')}`;
      const [from, to] = plan.firstWeeks;
      const firstAt =
        options.start +
        Math.floor(from * 7 + uniform() * (to - from) * 7) * DAY_MS +
        (9 + Math.floor(uniform() * 10)) * HOUR_MS;
      const purchases: Array<{ at: number; spendMinor: number }> = [];
      if (plan.cohort === 'steady') {
        const [lo, hi] = plan.steadyWeeks ?? [options.weeks, options.weeks];
        const weeks = lo + Math.floor(uniform() * (hi - lo + 1));
        const price = 2000 + 100 * Math.floor(uniform() * 30);
        for (let w = 0; w <= weeks && firstAt + w * WEEK_MS < end; w += 1)
          purchases.push({ at: firstAt + w * WEEK_MS, spendMinor: price });
      } else {
        const simulated = simulateBgNbdCustomer(VARIED_TIMES, (end - firstAt) / WEEK_MS, uniform);
        const nu = sampleGamma(uniform, 3, 6000);
        const flatPrice = 2500;
        for (const t of simulated.purchases) {
          const spendMinor =
            plan.cohort === 'flat' ? flatPrice : Math.max(1, Math.round(sampleGamma(uniform, 3, nu)));
          purchases.push({ at: firstAt + Math.round(t * WEEK_MS), spendMinor });
        }
      }
      const consent = uniform() < 0.85;
      const profiles = [{ at: firstAt - HOUR_MS, consent }];
      const tier = ['top', 'middle', 'top2', 'bottom'][Math.floor(uniform() * 4)]!;
      const tiers = [{ at: firstAt - HOUR_MS, tier }];
      // Some change their mind on consent, some move tier, a few weeks in.
      if (uniform() < 0.2) {
        const at = firstAt + Math.floor(2 + uniform() * 10) * WEEK_MS + 3 * HOUR_MS;
        if (at < end) profiles.push({ at, consent: !consent });
      }
      if (uniform() < 0.3) {
        const at = firstAt + Math.floor(1 + uniform() * 12) * WEEK_MS + 5 * HOUR_MS;
        if (at < end) tiers.push({ at, tier: ['top', 'middle', 'top2'][Math.floor(uniform() * 3)]! });
      }
      const complaints: number[] = [];
      const lifeDays = Math.floor((end - firstAt) / DAY_MS) - 1;
      // Complaints after the first purchase (a complaint then has a summary to value): early ones
      // among the first cohort, so there are decisions before any spend model, and later ones.
      if (plan.cohort === 'varied' && uniform() < options.earlyComplaintShare)
        complaints.push(firstAt + (1 + Math.floor(uniform() * 20)) * DAY_MS + 2 * HOUR_MS);
      if (uniform() < options.complaintShare && lifeDays > 1)
        complaints.push(firstAt + (1 + Math.floor(uniform() * lifeDays)) * DAY_MS + 2 * HOUR_MS);
      customers.push({ id, cohort: plan.cohort, purchases, profiles, tiers, complaints });
    }
  }
  for (let p = 0; p < options.tickPartitions; p += 1) {
    const at = options.start;
    customers.push({
      id: `tick-${p}`,
      cohort: 'steady',
      purchases: Array.from({ length: options.weeks }, (_, w) => ({
        at: options.start + w * WEEK_MS + 6 * DAY_MS + 20 * HOUR_MS,
        spendMinor: 2000,
      })),
      profiles: [{ at, consent: false }],
      tiers: [{ at, tier: 'bottom' }],
      complaints: [],
      partition: p,
    });
  }
  return { start: options.start, weeks: options.weeks, customers };
}

/** A customer's summary as the worker counts it: purchase days (UTC), x repeat days and their spend. */
export function daySummary(
  purchases: ReadonlyArray<{ readonly at: number; readonly spendMinor: number }>,
  before: number,
): DaySummary | null {
  const days = new Map<number, number>();
  for (const p of purchases) {
    if (p.at >= before) continue;
    const day = Math.floor(p.at / DAY_MS) * DAY_MS;
    days.set(day, (days.get(day) ?? 0) + p.spendMinor);
  }
  if (days.size === 0) return null;
  const sorted = [...days].sort((p, q) => p[0] - q[0]);
  let repeatSpendMinor = 0;
  for (let i = 1; i < sorted.length; i += 1) repeatSpendMinor += sorted[i]![1];
  return {
    x: sorted.length - 1,
    firstDay: sorted[0]![0],
    lastDay: sorted.at(-1)![0],
    repeatSpendMinor,
  };
}

/** The population's model counters at a boundary: purchases before it, as a partition counts them. */
export function modelCountersAt(
  customers: ReadonlyArray<{ readonly purchases: ReadonlyArray<{ at: number; spendMinor: number }> }>,
  boundary: number,
): Record<string, number> {
  const counters: Record<string, number> = {};
  for (const c of customers)
    for (const field of modelCounterFields(daySummary(c.purchases, boundary)))
      counters[field] = (counters[field] ?? 0) + 1;
  return counters;
}

export interface ExpectedFit {
  readonly boundary: number;
  readonly bgnbd: string;
  readonly gammaGamma: string | null;
  readonly view: RetentionView | null;
}

/**
 * The fits the worker makes at each boundary in `boundaries` (ascending, every one it applies),
 * each with the last view a merge gave as the one in force, as the runtime passes it.
 */
export function expectedFits(
  customers: ReadonlyArray<{ readonly purchases: ReadonlyArray<{ at: number; spendMinor: number }> }>,
  boundaries: readonly number[],
  settings: RetentionSettings,
): ExpectedFit[] {
  let inForce: RetentionView | null = null;
  return boundaries.map((boundary) => {
    const fit = fitPopulation(boundary, [modelCountersAt(customers, boundary)], settings, inForce);
    if (fit.view !== null) inForce = fit.view;
    return {
      boundary,
      bgnbd: fit.outcomes.bgnbd,
      gammaGamma: fit.outcomes.gammaGamma,
      view: fit.view,
    };
  });
}
