// Checks shared by the input validators. Pure: no clock, no I/O. Messages name the field and the
// rule, never the offending value, so they are safe for logs and dead-letter headers.

import type { Rejection } from '../runtime/worker-definition.js';
import { ReasonCode } from './reason-codes.js';

/** 2000-01-01T00:00:00Z: event times before it are certainly wrong (e.g. seconds sent as ms). */
export const MIN_EVENT_TIME_MS = Date.UTC(2000, 0, 1);
/** Longest accepted id (eventId, customerId, ...); ids end up in Redis keys and headers. */
export const MAX_ID_LENGTH = 256;

export interface CommonValidationOptions {
  /** Earliest accepted occurredAt (default 2000-01-01). */
  minOccurredAtMs?: number;
  /**
   * Optional fixed upper bound for occurredAt (e.g. supplied by a caller that knows the wall clock);
   * off by default. Future and late events relative to stream time are the runtime's checks.
   */
  nowBoundMs?: number;
}

export function reject(reasonCode: ReasonCode, message: string): Rejection {
  return { reasonCode, message };
}

/** Non-empty (after trimming) and at most MAX_ID_LENGTH characters. */
export function isValidId(id: string): boolean {
  return id.length <= MAX_ID_LENGTH && id.trim().length > 0;
}

export function checkId(field: string, id: string): Rejection | null {
  if (id.trim().length === 0) return reject(ReasonCode.INVALID_FIELD, `${field} is empty`);
  if (id.length > MAX_ID_LENGTH) {
    return reject(ReasonCode.INVALID_FIELD, `${field} is longer than ${MAX_ID_LENGTH} characters`);
  }
  return null;
}

export function checkOptionalId(field: string, id: string | null): Rejection | null {
  return id === null ? null : checkId(field, id);
}

/** eventId, customerId and occurredAt: the fields every event carries (empty customerId: MISSING_CUSTOMER_ID). */
export function checkEnvelope(
  event: { readonly eventId: string; readonly customerId: string; readonly occurredAt: number },
  options: CommonValidationOptions = {},
): Rejection | null {
  // A record without a customer is its own case (nobody to attribute it to), checked first.
  if (event.customerId.trim().length === 0) {
    return reject(ReasonCode.MISSING_CUSTOMER_ID, 'customerId is empty');
  }
  const idProblem = checkId('eventId', event.eventId) ?? checkId('customerId', event.customerId);
  if (idProblem) return idProblem;
  return checkTimestamp('occurredAt', event.occurredAt, options);
}

export function checkTimestamp(
  field: string,
  epochMs: number,
  options: CommonValidationOptions = {},
): Rejection | null {
  const min = options.minOccurredAtMs ?? MIN_EVENT_TIME_MS;
  if (!Number.isSafeInteger(epochMs)) return reject(ReasonCode.INVALID_FIELD, `${field} is not an integer`);
  if (epochMs < min) {
    return reject(ReasonCode.INVALID_FIELD, `${field} is before ${new Date(min).toISOString()}`);
  }
  if (options.nowBoundMs !== undefined && epochMs > options.nowBoundMs) {
    return reject(ReasonCode.FUTURE_EVENT, `${field} is after the accepted upper bound`);
  }
  return null;
}

/** A finite number >= 0. */
export function isFiniteNonNegative(x: number): boolean {
  return Number.isFinite(x) && x >= 0;
}
