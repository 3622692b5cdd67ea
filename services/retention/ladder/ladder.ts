// The loyalty ladder (brief §1, §3): rules over a customer's evidence place them on a rung at a
// stream time. Pure: the same evidence, flag and time always give the same rung.

import type { LadderEvidence } from './ladder-evidence.js';
import { type LadderSettings, windowMs } from './ladder-settings.js';

/** The rungs, lowest first. */
export const RUNGS = ['prospect', 'customer', 'client', 'supporter', 'advocate', 'partner'] as const;
export type Rung = (typeof RUNGS)[number];

/** The SegmentChanged dimension a rung move is published under. */
export const LADDER_DIMENSION = 'loyalty-ladder';

export const rungIndex = (rung: Rung): number => RUNGS.indexOf(rung);

export interface LadderPlacement {
  readonly rung: Rung;
  /** The rule that placed the customer, e.g. "client: 4 purchase days in 365 days (min 3)". */
  readonly rule: string;
}

/** One kind of evidence inside its rule's window at a time. */
export interface WindowCount {
  readonly windowDays: number;
  /** Facts in the window: time t with now − window < t <= now. */
  readonly count: number;
  /** The newest of them; null when none. */
  readonly latestAt: number | null;
}

/** The numbers behind a placement, enough to re-check it by hand. */
export interface LadderEvidenceSummary {
  readonly customerPurchaseDays: WindowCount;
  readonly clientPurchaseDays: WindowCount;
  readonly supportSignals: WindowCount;
  readonly referrals: WindowCount;
  readonly partnerships: WindowCount;
  /** `nextPossibleFallAt` at the time of the summary. */
  readonly nextPossibleFallAt: number | null;
}

export interface LadderMove {
  /** null on the first placement. */
  readonly from: Rung | null;
  readonly to: Rung;
  /** A first placement counts as up. */
  readonly direction: 'up' | 'down';
  /** The rule that placed the customer on `to`. */
  readonly rule: string;
  readonly evidence: LadderEvidenceSummary;
}

interface Condition extends WindowCount {
  readonly holds: boolean;
  /** When `holds` stops being true if no evidence is added; null when it does not hold. */
  readonly failsAt: number | null;
}

/** First index in ascending `times` whose value is > `bound`. */
function firstAbove(times: readonly number[], bound: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! <= bound) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * At least `min` of `times` inside a window of `windowDays` ending at `now`. The window holds
 * t with now − window < t <= now: a fact counts from its own time until, exclusively,
 * t + window. With the facts in the window t_1 < ... < t_n and n >= min, the condition fails
 * when the min-th newest leaves: at t_(n−min+1) + window.
 */
function condition(times: readonly number[], now: number, windowDays: number, min: number): Condition {
  const length = windowMs(windowDays);
  const from = firstAbove(times, now - length);
  const to = firstAbove(times, now);
  const count = Math.max(0, to - from);
  const holds = count >= min;
  return {
    windowDays,
    count,
    latestAt: count > 0 ? times[to - 1]! : null,
    holds,
    failsAt: holds ? times[to - min]! + length : null,
  };
}

interface Evaluation {
  /** One condition per rung above prospect, in rung order (customer first). */
  readonly conditions: readonly [Condition, Condition, Condition, Condition, Condition];
  /** Number of consecutive conditions that hold from customer up: 0 = not even a customer. */
  readonly reached: number;
}

function evaluate(evidence: LadderEvidence, now: number, s: LadderSettings): Evaluation {
  const conditions = [
    condition(evidence.purchaseDays, now, s.customerWindowDays, s.customerMinPurchaseDays),
    condition(evidence.purchaseDays, now, s.clientWindowDays, s.clientMinPurchaseDays),
    condition(evidence.supportAt, now, s.supporterWindowDays, 1),
    condition(evidence.referralsAt, now, s.advocateWindowDays, 1),
    condition(evidence.partnershipsAt, now, s.partnerWindowDays, 1),
  ] as const;
  let reached = 0;
  while (reached < conditions.length && conditions[reached]!.holds) reached += 1;
  return { conditions, reached };
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
const instant = (time: number | null) => (time === null ? 'none' : new Date(time).toISOString());
const dayOf = (time: number | null) => (time === null ? 'none' : new Date(time).toISOString().slice(0, 10));

function clause(rung: Exclude<Rung, 'prospect'>, c: Condition, s: LadderSettings): string {
  switch (rung) {
    case 'customer':
      return `${plural(c.count, 'purchase day', 'purchase days')} in ${c.windowDays} days (min ${s.customerMinPurchaseDays})`;
    case 'client':
      return `${plural(c.count, 'purchase day', 'purchase days')} in ${c.windowDays} days (min ${s.clientMinPurchaseDays})`;
    case 'supporter':
      return (
        `${plural(c.count, 'promoter survey or positive review', 'promoter surveys or positive reviews')}` +
        ` in ${c.windowDays} days (survey score >= ${s.supporterMinSurveyScore} of 10 or review >= ` +
        `${s.supporterMinReviewRating} of 5 stars; latest ${instant(c.latestAt)})`
      );
    case 'advocate':
      return `${plural(c.count, 'referral', 'referrals')} in ${c.windowDays} days (latest ${instant(c.latestAt)})`;
    case 'partner':
      return `${plural(c.count, 'partnership agreement', 'partnership agreements')} in ${c.windowDays} days (latest ${instant(c.latestAt)})`;
  }
}

function ruleOf(e: Evaluation, s: LadderSettings): string {
  const customer = e.conditions[0];
  if (e.reached === 0) {
    return (
      `prospect: known, ${plural(customer.count, 'purchase day', 'purchase days')} in ${customer.windowDays} days` +
      ` (customer needs ${s.customerMinPurchaseDays}${customer.latestAt === null ? '' : `, last ${dayOf(customer.latestAt)}`})`
    );
  }
  // Top rung first, then the rungs it requires. The customer rule goes without saying when the
  // client rule implies it (a client window no longer than the customer window).
  const parts: string[] = [];
  for (let i = e.reached; i >= 1; i -= 1) {
    const rung = RUNGS[i] as Exclude<Rung, 'prospect'>;
    if (rung === 'customer' && e.reached >= 2 && s.customerWindowDays >= s.clientWindowDays) continue;
    parts.push(`${rung}: ${clause(rung, e.conditions[i - 1]!, s)}`);
  }
  return parts.join('; ');
}

/**
 * The rung at stream time `now`: the highest rung whose rule holds together with the rules of
 * every rung below it (a partner must still be an advocate, a supporter, a client and a
 * customer). Evidence later than `now` does not count yet. `known`: a profile, interaction or
 * purchase of the customer has been seen (ever); null when the customer is neither known nor a
 * customer, so not on the ladder.
 */
export function rungAt(
  evidence: LadderEvidence,
  known: boolean,
  now: number,
  settings: LadderSettings,
): LadderPlacement | null {
  const e = evaluate(evidence, now, settings);
  if (e.reached === 0 && !known) return null;
  return { rung: RUNGS[e.reached]!, rule: ruleOf(e, settings) };
}

/**
 * The earliest time after `now` at which the rung falls if no evidence is added: when the oldest
 * fact the rung depends on leaves its window (for a rule needing k facts, the k-th newest in its
 * window). The rung is the same at every time in [now, result) and lower at the result. null
 * when the rung cannot fall (prospect, or not on the ladder). Assumes no evidence after `now`
 * (stream time is never behind the evidence applied).
 */
export function nextPossibleFallAt(
  evidence: LadderEvidence,
  now: number,
  settings: LadderSettings,
): number | null {
  const e = evaluate(evidence, now, settings);
  let fallAt: number | null = null;
  for (let i = 0; i < e.reached; i += 1) {
    const failsAt = e.conditions[i]!.failsAt!;
    if (fallAt === null || failsAt < fallAt) fallAt = failsAt;
  }
  return fallAt;
}

const windowCount = ({ windowDays, count, latestAt }: Condition): WindowCount => ({
  windowDays,
  count,
  latestAt,
});

export function summarizeEvidence(
  evidence: LadderEvidence,
  now: number,
  settings: LadderSettings,
): LadderEvidenceSummary {
  const [customer, client, supporter, advocate, partner] = evaluate(evidence, now, settings).conditions;
  return {
    customerPurchaseDays: windowCount(customer),
    clientPurchaseDays: windowCount(client),
    supportSignals: windowCount(supporter),
    referrals: windowCount(advocate),
    partnerships: windowCount(partner),
    nextPossibleFallAt: nextPossibleFallAt(evidence, now, settings),
  };
}

/**
 * The move to publish at `now`, or null when the rung is unchanged (or the customer is not on
 * the ladder). A customer placed before (`previousRung` not null) is known, so a placed customer
 * never drops off the ladder: at worst they fall to prospect.
 */
export function ladderMove(
  previousRung: Rung | null,
  evidence: LadderEvidence,
  known: boolean,
  now: number,
  settings: LadderSettings,
): LadderMove | null {
  const placement = rungAt(evidence, known || previousRung !== null, now, settings);
  if (placement === null || placement.rung === previousRung) return null;
  return {
    from: previousRung,
    to: placement.rung,
    direction: previousRung === null || rungIndex(placement.rung) > rungIndex(previousRung) ? 'up' : 'down',
    rule: placement.rule,
    evidence: summarizeEvidence(evidence, now, settings),
  };
}
