// What one purchase record is worth to the customer's rolling value (SEMANTICS.md, "Buckets and
// windows"), and whether the worker accepts it at all.

import type { Purchase, PurchaseLine } from '../../shared/contracts/generated.js';
import { ReasonCode } from '../../shared/contracts/reason-codes.js';
import { validatePurchase as validatePurchaseContract } from '../../shared/contracts/validate-purchase.js';
import type { Rejection } from '../../shared/runtime/worker-definition.js';
import type { ValueSegmentationSettings } from './settings.js';

/**
 * The purchase the worker receives: the generated contract type (schemas/Purchase.avsc), so the
 * worker can check the whole record against the contract before using it.
 */
export type PurchaseLike = Purchase;
export type PurchaseLineLike = PurchaseLine;

/** The part of a purchase its value depends on. */
export interface ValuedPurchase {
  readonly kind: 'SALE' | 'RETURN';
  readonly lines: ReadonlyArray<{
    readonly quantity: number;
    readonly unitPriceMinor: number;
    /** Margin per unit in minor units, when the retailer knows it. */
    readonly marginMinor: number | null;
  }>;
}

/** What one record adds to its bucket. */
export interface Contribution {
  readonly valueMinor: number;
  /** 1 for a SALE; returns do not un-count an order. */
  readonly orders: number;
  /** Units sold minus units returned. */
  readonly items: number;
}

/** The value of one line under the basis, before the sign of a return. */
function lineValueMinor(line: ValuedPurchase['lines'][number], settings: ValueSegmentationSettings): number {
  // Lines without a known margin count at revenue under the margin basis: dropping them would
  // make customers of margin-less categories look worthless (documented fallback).
  const perUnit =
    settings.valueBasis === 'margin' && line.marginMinor != null ? line.marginMinor : line.unitPriceMinor;
  return line.quantity * perUnit;
}

export function contributionOf(purchase: ValuedPurchase, settings: ValueSegmentationSettings): Contribution {
  const sign = purchase.kind === 'RETURN' ? -1 : 1;
  let value = 0;
  let items = 0;
  for (const line of purchase.lines) {
    value += lineValueMinor(line, settings);
    items += line.quantity;
  }
  const isSale = purchase.kind === 'SALE';
  // Cost to serve is paid per order placed; a return is not a new order.
  const costToServe = isSale ? settings.costToServeMinor : 0;
  return { valueMinor: sign * value - costToServe, orders: isSale ? 1 : 0, items: sign * items };
}

/**
 * Checks after Avro decoding: the purchase contract (ids, active currency, lines, amounts — see
 * shared/contracts), then what value segmentation itself needs. Values are kept in one currency
 * and never converted, so a purchase in another currency is rejected (CURRENCY_MISMATCH), and
 * amounts must be whole minor units whose sums stay exact.
 */
export function validatePurchase(
  purchase: PurchaseLike,
  settings: ValueSegmentationSettings,
): Rejection | null {
  const contract = validatePurchaseContract(purchase, { valueCurrency: settings.valueCurrency });
  if (contract !== null) return contract;
  for (const line of purchase.lines) {
    const whole =
      Number.isSafeInteger(line.quantity) &&
      Number.isSafeInteger(line.unitPriceMinor) &&
      (line.marginMinor == null || Number.isSafeInteger(line.marginMinor));
    if (!whole) {
      return {
        reasonCode: ReasonCode.ABSURD_AMOUNT,
        message: 'line quantities and amounts must be whole numbers',
      };
    }
  }
  if (!Number.isSafeInteger(contributionOf(purchase, settings).valueMinor)) {
    return {
      reasonCode: ReasonCode.ABSURD_AMOUNT,
      message: 'the purchase value exceeds the exact integer range',
    };
  }
  return null;
}
