// Semantic validation of a decoded Interaction. Pure. The kind decides which optional fields
// must and may be set, so downstream rules can trust e.g. "a surveyScore means a SURVEY".

import type { Rejection } from '../runtime/worker-definition.js';
import type { Interaction, InteractionKind } from './generated.js';
import { ReasonCode } from './reason-codes.js';
import { type CommonValidationOptions, checkEnvelope, checkId, reject } from './validate-common.js';

export type InteractionValidationOptions = CommonValidationOptions;

/** Every reason code validateInteraction can give, for topologies and docs. */
export const INTERACTION_REJECTION_REASONS = [
  ReasonCode.MISSING_CUSTOMER_ID,
  ReasonCode.INVALID_FIELD,
] as const;

type OptionalField = 'surveyScore' | 'reviewRating' | 'referredCustomerId' | 'offerEventId';

/** The optional field each kind requires; every other optional field must be null. */
const REQUIRED_FIELD: Partial<Record<InteractionKind, OptionalField>> = {
  SURVEY: 'surveyScore',
  REVIEW: 'reviewRating',
  REFERRAL: 'referredCustomerId',
  OFFER_ACCEPTED: 'offerEventId',
  OFFER_DECLINED: 'offerEventId',
};

const OPTIONAL_FIELDS: readonly OptionalField[] = [
  'surveyScore',
  'reviewRating',
  'referredCustomerId',
  'offerEventId',
];

export function validateInteraction(
  event: Interaction,
  options: InteractionValidationOptions = {},
): Rejection | null {
  const envelope = checkEnvelope(event, options);
  if (envelope) return envelope;
  if (event.channel.trim().length === 0) return reject(ReasonCode.INVALID_FIELD, 'channel is empty');

  const required = REQUIRED_FIELD[event.kind];
  for (const field of OPTIONAL_FIELDS) {
    const isSet = event[field] !== null;
    if (field === required && !isSet)
      return reject(ReasonCode.INVALID_FIELD, `${field} is required for ${event.kind}`);
    if (field !== required && isSet)
      return reject(ReasonCode.INVALID_FIELD, `${field} is not allowed for ${event.kind}`);
  }

  if (
    event.surveyScore !== null &&
    !(Number.isInteger(event.surveyScore) && event.surveyScore >= 0 && event.surveyScore <= 10)
  ) {
    return reject(ReasonCode.INVALID_FIELD, 'surveyScore must be 0-10');
  }
  if (
    event.reviewRating !== null &&
    !(Number.isInteger(event.reviewRating) && event.reviewRating >= 1 && event.reviewRating <= 5)
  ) {
    return reject(ReasonCode.INVALID_FIELD, 'reviewRating must be 1-5');
  }
  if (event.referredCustomerId !== null) {
    const ref = checkId('referredCustomerId', event.referredCustomerId);
    if (ref) return ref;
    if (event.referredCustomerId === event.customerId) {
      return reject(ReasonCode.INVALID_FIELD, 'referredCustomerId is the customer itself');
    }
  }
  if (event.offerEventId !== null) {
    const ref = checkId('offerEventId', event.offerEventId);
    if (ref) return ref;
  }
  return null;
}
