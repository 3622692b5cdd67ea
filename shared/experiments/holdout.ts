// The holdout (control group) of a treatment — retention offers, next-best-offer suggestions: a
// share of the eligible customers of each value tier gets nothing and is recorded as held out, so
// the uplift of the tier's treatment can be measured as treated versus held-out customers of that
// tier. A second treatment keeps its control group independent of the first by salting the tier
// (next-best-offer passes `<salt>|<tier>`), since the hash below reads `tier|customerId`.
//
// Assignment is a deterministic hash, not a random draw or stored state: a re-delivery, a replay
// or another worker owning the partition after a rebalance all give the same answer, and no
// state has to be kept. The hash is of `tier|customerId`, i.e. salted by the tier — a separate
// draw within each tier:
// - each tier is its own experiment (stratified by tier), and the experiments are independent: a
//   customer held out in one tier is held out in another only by chance (s² of customers, not s),
//   so the control groups of different tiers are not the same people;
// - nobody is deprived of offers for life: a customer who moves to another tier is drawn again;
// - within a tier the assignment is stable, so a held-out customer stays held out however often
//   the risk fires, and the share in every tier is close to s (not only overall).
// The analysis attributes a customer to the tier recorded in the event (RetentionOfferIssued.valueTier).
//
// Raising the share only adds customers to the holdout (fraction < s is monotone in s): nobody
// treated so far is moved to the control group by lowering it, nor the reverse by raising it.

import { createHash } from 'node:crypto';

const TWO_POW_53 = 2 ** 53;

/**
 * The customer's position in [0, 1) within the tier: sha256 of `tier|customerId`, its first 8
 * bytes as a big-endian unsigned fraction, kept to the 53 bits a double holds exactly (so it is
 * never rounded up to 1).
 */
export function holdoutFraction(customerId: string, tier: string): number {
  const digest = createHash('sha256').update(`${tier}|${customerId}`, 'utf8').digest();
  return Number(digest.readBigUInt64BE(0) >> 11n) / TWO_POW_53;
}

/** True when the customer falls in the tier's holdout at this share (0 ≤ share < 1; 0 = none). */
export function isHoldout(customerId: string, tier: string, share: number): boolean {
  if (!(share >= 0 && share < 1)) throw new RangeError(`holdout share must be in [0, 1) (got ${share})`);
  return holdoutFraction(customerId, tier) < share;
}
