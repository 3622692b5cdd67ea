import { describe, expect, it } from 'vitest';
import { contributionOf, validatePurchase } from './purchase-value.js';
import { valueSegmentationSettings } from './settings.js';
import { lineOf, purchase } from './test-fixtures.js';

const netRevenue = valueSegmentationSettings();
const margin = valueSegmentationSettings({ valueBasis: 'margin' });

describe('value of a purchase', () => {
  it('is the net revenue of its lines by default', () => {
    expect(contributionOf(purchase(), netRevenue)).toEqual({ valueMinor: 1_300, orders: 1, items: 3 });
  });

  it('uses line margins under the margin basis, and revenue where a line has none', () => {
    // 2 × 40 (margin) + 1 × 1000 (no margin: revenue fallback)
    expect(contributionOf(purchase(), margin).valueMinor).toBe(1_080);
  });

  it('counts a return negatively, as no order, with negative items', () => {
    expect(contributionOf(purchase({ kind: 'RETURN' }), netRevenue)).toEqual({
      valueMinor: -1_300,
      orders: 0,
      items: -3,
    });
    expect(contributionOf(purchase({ kind: 'RETURN' }), margin).valueMinor).toBe(-1_080);
  });

  it('subtracts the cost to serve once per sale, never for a return', () => {
    const costly = valueSegmentationSettings({ costToServeMinor: 500 });
    expect(contributionOf(purchase(), costly).valueMinor).toBe(800);
    expect(contributionOf(purchase({ kind: 'RETURN' }), costly).valueMinor).toBe(-1_300);
    // A small basket can be worth less than nothing.
    const small = purchase({ lines: [lineOf(1, 90, 20)] });
    expect(contributionOf(small, costly).valueMinor).toBe(-410);
  });
});

describe('validation of a purchase', () => {
  it('accepts a purchase in the value currency', () => {
    expect(validatePurchase(purchase(), netRevenue)).toBeNull();
  });

  it('rejects another currency instead of converting it', () => {
    expect(validatePurchase(purchase({ currency: 'USD' }), netRevenue)).toEqual({
      reasonCode: 'CURRENCY_MISMATCH',
      message: 'currency is not the value currency EUR',
    });
    expect(validatePurchase(purchase({ currency: 'XYZ' }), netRevenue)?.reasonCode).toBe('UNKNOWN_CURRENCY');
  });

  it('checks the whole purchase contract first', () => {
    const reasonOf = (overrides: Parameters<typeof purchase>[0]) =>
      validatePurchase(purchase(overrides), netRevenue)?.reasonCode;
    expect(reasonOf({ lines: [] })).toBe('INVALID_FIELD');
    expect(reasonOf({ lines: [lineOf(0, 100)] })).toBe('NEGATIVE_QUANTITY');
    expect(reasonOf({ lines: [lineOf(1, -100)] })).toBe('ABSURD_AMOUNT');
    expect(reasonOf({ occurredAt: 1.5 })).toBe('INVALID_FIELD');
    expect(reasonOf({ customerId: ' ' })).toBe('MISSING_CUSTOMER_ID');
  });

  it('rejects amounts that would make sums inexact', () => {
    expect(validatePurchase(purchase({ lines: [lineOf(1, 1.5)] }), netRevenue)?.reasonCode).toBe(
      'ABSURD_AMOUNT',
    );
    expect(validatePurchase(purchase({ lines: [lineOf(1.5, 100)] }), netRevenue)?.reasonCode).toBe(
      'ABSURD_AMOUNT',
    );
    expect(validatePurchase(purchase({ lines: [lineOf(1, 100, 0.5)] }), netRevenue)?.reasonCode).toBe(
      'ABSURD_AMOUNT',
    );
  });
});
