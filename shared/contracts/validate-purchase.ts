// Semantic validation of a decoded Purchase (what Avro cannot express). Pure.

import type { Rejection } from '../runtime/worker-definition.js';
import { isActiveCurrency } from './currencies.js';
import type { Purchase } from './generated.js';
import { ReasonCode } from './reason-codes.js';
import {
  type CommonValidationOptions,
  checkEnvelope,
  checkId,
  isFiniteNonNegative,
  reject,
} from './validate-common.js';

/** Every reason code validatePurchase can give, for topologies and docs. */
export const PURCHASE_REJECTION_REASONS = [
  ReasonCode.MISSING_CUSTOMER_ID,
  ReasonCode.INVALID_FIELD,
  ReasonCode.UNKNOWN_CURRENCY,
  ReasonCode.CURRENCY_MISMATCH,
  ReasonCode.NEGATIVE_QUANTITY,
  ReasonCode.ABSURD_AMOUNT,
  ReasonCode.TOO_MANY_LINES,
] as const;

/** Most lines in one purchase. */
export const MAX_PURCHASE_LINES = 500;
/** Largest line amount or purchase total, in minor units (10^12: ten billion euros). */
export const MAX_AMOUNT_MINOR = 1e12;

export interface PurchaseValidationOptions extends CommonValidationOptions {
  /** The pipeline's value currency: a purchase in another valid currency gives CURRENCY_MISMATCH. */
  valueCurrency?: string;
  /** Default MAX_PURCHASE_LINES. */
  maxLines?: number;
  /** Default MAX_AMOUNT_MINOR. */
  maxAmountMinor?: number;
}

/** The first problem found, or null when the purchase may be processed. */
export function validatePurchase(event: Purchase, options: PurchaseValidationOptions = {}): Rejection | null {
  const envelope = checkEnvelope(event, options);
  if (envelope) return envelope;

  if (!isActiveCurrency(event.currency)) {
    return reject(ReasonCode.UNKNOWN_CURRENCY, 'currency is not an active ISO 4217 code');
  }
  if (options.valueCurrency !== undefined && event.currency !== options.valueCurrency) {
    return reject(
      ReasonCode.CURRENCY_MISMATCH,
      `currency is not the value currency ${options.valueCurrency}`,
    );
  }

  const maxLines = options.maxLines ?? MAX_PURCHASE_LINES;
  if (event.lines.length === 0) return reject(ReasonCode.INVALID_FIELD, 'lines is empty');
  if (event.lines.length > maxLines) {
    return reject(ReasonCode.TOO_MANY_LINES, `${event.lines.length} lines, more than ${maxLines}`);
  }
  if (event.channel.trim().length === 0) return reject(ReasonCode.INVALID_FIELD, 'channel is empty');
  if (event.storeId !== null) {
    const store = checkId('storeId', event.storeId);
    if (store) return store;
  }

  if (event.kind === 'SALE' && event.returnOfEventId !== null) {
    return reject(ReasonCode.INVALID_FIELD, 'returnOfEventId is set on a SALE');
  }
  if (event.returnOfEventId !== null) {
    const ref = checkId('returnOfEventId', event.returnOfEventId);
    if (ref) return ref;
    if (event.returnOfEventId === event.eventId) {
      return reject(ReasonCode.INVALID_FIELD, 'returnOfEventId refers to the return itself');
    }
  }

  const maxAmount = options.maxAmountMinor ?? MAX_AMOUNT_MINOR;
  let total = 0;
  for (let i = 0; i < event.lines.length; i++) {
    const line = event.lines[i]!;
    const at = `lines[${i}]`;
    if (line.sku.trim().length === 0) return reject(ReasonCode.INVALID_FIELD, `${at}.sku is empty`);
    if (line.category.trim().length === 0) return reject(ReasonCode.INVALID_FIELD, `${at}.category is empty`);
    if (line.quantity <= 0) {
      return reject(ReasonCode.NEGATIVE_QUANTITY, `${at}.quantity must be > 0 (returns too)`);
    }
    if (line.unitPriceMinor < 0) return reject(ReasonCode.ABSURD_AMOUNT, `${at}.unitPriceMinor is negative`);
    const amount = line.quantity * line.unitPriceMinor;
    if (amount > maxAmount) {
      return reject(ReasonCode.ABSURD_AMOUNT, `${at} amount exceeds ${maxAmount} minor units`);
    }
    if (line.marginMinor !== null && Math.abs(line.marginMinor) * line.quantity > maxAmount) {
      return reject(ReasonCode.ABSURD_AMOUNT, `${at} margin exceeds ${maxAmount} minor units`);
    }
    if (line.kcalPerUnit !== null && !isFiniteNonNegative(line.kcalPerUnit)) {
      return reject(ReasonCode.INVALID_FIELD, `${at}.kcalPerUnit must be a finite number >= 0`);
    }
    if (line.usage !== null) {
      if (line.usage.unit.trim().length === 0)
        return reject(ReasonCode.INVALID_FIELD, `${at}.usage.unit is empty`);
      if (!isFiniteNonNegative(line.usage.amountPerUnit)) {
        return reject(ReasonCode.INVALID_FIELD, `${at}.usage.amountPerUnit must be a finite number >= 0`);
      }
    }
    total += amount;
  }
  if (total > maxAmount) return reject(ReasonCode.ABSURD_AMOUNT, `total exceeds ${maxAmount} minor units`);
  return null;
}

/** Value of a purchase in minor units: sum of quantity x unit price, negative for a RETURN. */
export function purchaseAmountMinor(event: Purchase): number {
  let total = 0;
  for (const line of event.lines) total += line.quantity * line.unitPriceMinor;
  return event.kind === 'RETURN' ? -total : total;
}
