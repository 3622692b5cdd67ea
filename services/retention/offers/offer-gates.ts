// What an at-risk customer gets: an offer, the holdout, or nothing and why (README.md in this
// folder). Pure: the caller (the retention worker) passes the customer's consent, the time of its
// last treatment, stream time and the partition's budget state, and records the outcome.
//
// The gates, in this order:
// 1. consent — nobody without marketing consent is contacted, and the holdout must be drawn from
//    customers who could have been treated: held-out customers without consent would sit in the
//    control group while their like never reach the treated group, biasing the comparison.
// 2. cooldown — a customer treated (or held out) less than the tier's cooldown ago is left alone.
//    Before the holdout, so held-out customers are recorded at the same cadence as treated ones
//    (the worker starts the cooldown on both), not on every risk signal.
// 3. holdout — a deterministic share of the eligible customers of the tier (holdout.ts). Before
//    the offer and the budget, so who is held out depends neither on the offers of the tier nor
//    on how much budget is left at this moment of the day: the control group is a random share of
//    the same population the treated customers come from. The holdout costs no budget.
// 4. the tier's offer — a tier with no paid offer gives nothing (`no-paid-offer`); otherwise the
//    first offer by priority (1 first) whose cost ceiling fits what is left of the partition's
//    budget for the day; none fits: `budget-exhausted`.
// Uplift is best measured intention-to-treat: holdout versus every customer of the tier that
// passed the same three gates (offers, and those suppressed by the budget), since budget
// exhaustion depends on the time of day and the partition.

import { ConfigError } from '../../../shared/errors.js';
import { isHoldout } from '../../../shared/experiments/holdout.js';
import { DAY_MS, type Offer, type OfferPolicy, type OfferTier } from './offer-policy.js';

export type SuppressionReason = 'no-consent' | 'cooldown' | 'no-paid-offer' | 'budget-exhausted';

export type Treatment =
  | {
      readonly kind: 'offer';
      /** The policy's offer; its costCeilingMinor is what the caller charges to the day's budget. */
      readonly offer: Offer;
      /** now + the offer's validityDays, epoch milliseconds. */
      readonly expiresAt: number;
    }
  | { readonly kind: 'holdout' }
  | { readonly kind: 'suppressed'; readonly reason: SuppressionReason };

export interface TreatmentInput {
  readonly customerId: string;
  readonly tier: OfferTier;
  /** Marketing consent from the latest profile; null (no profile yet) counts as no consent. */
  readonly consent: boolean | null;
  /**
   * When the customer was last treated, offer or holdout (epoch ms), null if never. The cooldown
   * runs from it; a time after `now` (a replay) counts as within the cooldown.
   */
  readonly lastOfferAt: number | null;
  /** Stream time of the decision, epoch ms. */
  readonly now: number;
  /** Charged so far on this partition, tier and UTC day of `now`, minor units. */
  readonly budgetUsedTodayMinor: number;
  /** This partition's share of the tier's daily budget: partitionBudgetShare(...). */
  readonly budgetAvailableTodayMinor: number;
  readonly policy: OfferPolicy;
}

export function chooseTreatment(input: TreatmentInput): Treatment {
  const { customerId, tier, consent, lastOfferAt, now, policy } = input;
  const tierPolicy = policy.tiers[tier];
  if (tierPolicy === undefined) throw new RangeError(`no offer policy for tier ${JSON.stringify(tier)}`);

  if (consent !== true) return { kind: 'suppressed', reason: 'no-consent' };

  if (lastOfferAt !== null && now - lastOfferAt < tierPolicy.cooldownDays * DAY_MS)
    return { kind: 'suppressed', reason: 'cooldown' };

  if (isHoldout(customerId, tier, policy.holdoutShare)) return { kind: 'holdout' };

  if (tierPolicy.offers.length === 0) return { kind: 'suppressed', reason: 'no-paid-offer' };

  const remaining = input.budgetAvailableTodayMinor - input.budgetUsedTodayMinor;
  const offer = tierPolicy.offers.find((o) => o.costCeilingMinor <= remaining);
  if (offer === undefined) return { kind: 'suppressed', reason: 'budget-exhausted' };
  return { kind: 'offer', offer, expiresAt: now + offer.validityDays * DAY_MS };
}

/** The UTC day of an epoch-ms time (days since 1970-01-01): the budget's day. */
export function utcDay(epochMs: number): number {
  return Math.floor(epochMs / DAY_MS);
}

/**
 * This partition's part of a tier's daily budget: the budget split evenly over the partitions,
 * the remainder going one minor unit each to the first partitions, so the parts sum to exactly
 * the budget. Each partition spends only its part, kept in its own (partition-scoped) state: the
 * decisions depend only on the partition's own records, so re-deliveries, replays and rebalances
 * repeat them exactly. A global counter shared by the partitions would make a decision depend on
 * how the partitions happen to interleave (not reproducible, and a crash between the Redis step
 * and the commit could count an offer twice). The price: one partition may run out while another
 * still has budget, so a day's spend can fall short of the budget (it never exceeds it), and the
 * budget has to leave every partition room for at least one offer (checkPolicyFitsPartitions).
 */
export function partitionBudgetShare(
  dailyBudgetMinor: number,
  partition: number,
  partitionCount: number,
): number {
  if (!Number.isSafeInteger(dailyBudgetMinor) || dailyBudgetMinor < 0)
    throw new RangeError(`daily budget must be a non-negative integer (got ${dailyBudgetMinor})`);
  if (!Number.isSafeInteger(partitionCount) || partitionCount < 1)
    throw new RangeError(`partition count must be a positive integer (got ${partitionCount})`);
  if (!Number.isSafeInteger(partition) || partition < 0 || partition >= partitionCount)
    throw new RangeError(`partition must be in [0, ${partitionCount}) (got ${partition})`);
  const base = Math.floor(dailyBudgetMinor / partitionCount);
  const remainder = dailyBudgetMinor - base * partitionCount;
  return base + (partition < remainder ? 1 : 0);
}

/**
 * At start, once the partition count of the input topic is known: throws a ConfigError naming the
 * file and tier when a tier's budget split over the partitions leaves some partition unable to
 * afford even the tier's cheapest offer (that partition's customers could never get one).
 */
export function checkPolicyFitsPartitions(
  policy: OfferPolicy,
  partitionCount: number,
  sourceName: string,
): OfferPolicy {
  const problems: string[] = [];
  for (const [tier, tierPolicy] of Object.entries(policy.tiers)) {
    if (tierPolicy.offers.length === 0) continue;
    const cheapest = Math.min(...tierPolicy.offers.map((o) => o.costCeilingMinor));
    const smallest = partitionBudgetShare(tierPolicy.dailyBudgetMinor, partitionCount - 1, partitionCount);
    if (smallest < cheapest)
      problems.push(
        `tiers.${tier}.dailyBudgetMinor ${tierPolicy.dailyBudgetMinor} split over ${partitionCount} partitions ` +
          `leaves ${smallest} per partition, less than the tier's cheapest offer (${cheapest}); ` +
          `it needs at least ${cheapest * partitionCount}`,
      );
  }
  if (problems.length > 0) throw new ConfigError(sourceName, problems.join('; '));
  return policy;
}
