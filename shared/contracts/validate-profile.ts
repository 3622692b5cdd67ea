// Semantic validation of a decoded CustomerProfile. Pure.

import type { Rejection } from '../runtime/worker-definition.js';
import type { CustomerProfile } from './generated.js';
import { ReasonCode } from './reason-codes.js';
import { type CommonValidationOptions, checkEnvelope, checkTimestamp, reject } from './validate-common.js';

/** Most household members in one consumer profile. */
export const MAX_HOUSEHOLD_MEMBERS = 50;
/** Largest headcount of a business (the largest employers have about two million). */
export const MAX_HEADCOUNT = 10_000_000;
/** Earliest accepted signedUpAt: relationships may predate the event-time floor. */
export const MIN_SIGNED_UP_AT_MS = Date.UTC(1900, 0, 1);

export type ProfileValidationOptions = CommonValidationOptions;

/** Every reason code validateCustomerProfile can give, for topologies and docs. */
export const PROFILE_REJECTION_REASONS = [ReasonCode.MISSING_CUSTOMER_ID, ReasonCode.INVALID_FIELD] as const;

export function validateCustomerProfile(
  event: CustomerProfile,
  options: ProfileValidationOptions = {},
): Rejection | null {
  const envelope = checkEnvelope(event, options);
  if (envelope) return envelope;

  const signedUp = checkTimestamp('signedUpAt', event.signedUpAt, { minOccurredAtMs: MIN_SIGNED_UP_AT_MS });
  if (signedUp) return signedUp;
  if (event.signedUpAt > event.occurredAt)
    return reject(ReasonCode.INVALID_FIELD, 'signedUpAt is after occurredAt');
  if (!/^[A-Z]{2}$/.test(event.country)) {
    return reject(ReasonCode.INVALID_FIELD, 'country must be an ISO 3166-1 alpha-2 code');
  }
  if (event.householdMembers.length > MAX_HOUSEHOLD_MEMBERS) {
    return reject(
      ReasonCode.INVALID_FIELD,
      `householdMembers has more than ${MAX_HOUSEHOLD_MEMBERS} members`,
    );
  }

  if (event.customerType === 'BUSINESS') {
    if (event.householdMembers.length > 0) {
      return reject(ReasonCode.INVALID_FIELD, 'householdMembers is not allowed for BUSINESS');
    }
    // A business whose headcount is not known (business null, headcount 0) is a valid profile
    // that no headcount-based estimate can use: workers count it, they do not dead-letter it.
    if (event.business === null) return null;
    const { headcount, industry } = event.business;
    if (!Number.isInteger(headcount) || headcount < 0 || headcount > MAX_HEADCOUNT) {
      return reject(ReasonCode.INVALID_FIELD, `business.headcount must be 0 (unknown) to ${MAX_HEADCOUNT}`);
    }
    if (industry.trim().length === 0) return reject(ReasonCode.INVALID_FIELD, 'business.industry is empty');
  } else if (event.business !== null) {
    return reject(ReasonCode.INVALID_FIELD, 'business is not allowed for CONSUMER');
  }
  return null;
}
