import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validatePurchase } from '../../../shared/contracts/validate-purchase.js';
import { basketOf } from '../purchase-basket.js';
import { DAY_MS } from '../settings.js';
import type { Invoice } from './online-retail.js';
import { purchaseOf, shiftOntoBoundary } from './online-retail-purchases.js';

const invoice: Invoice = {
  invoiceNo: '536365',
  customerId: '17850',
  at: Date.UTC(2010, 11, 1, 8, 26),
  items: ['71053', '85123A'],
  lines: [
    { item: '85123A', quantity: 6, unitPrice: 2.55 },
    { item: '71053', quantity: 6, unitPrice: 3.39 },
    { item: '85123A', quantity: 2, unitPrice: 2.95 },
  ],
};

describe('purchaseOf', () => {
  it('is a valid GBP sale of the invoice, one line per code at its mean price in pence, shifted', () => {
    const purchase = purchaseOf(invoice, 2 * DAY_MS);
    expect(validatePurchase(purchase, { valueCurrency: 'GBP' })).toBeNull();
    expect(purchase).toMatchObject({ eventId: 'online-retail-536365', customerId: '17850', currency: 'GBP' });
    expect(purchase.occurredAt - invoice.at).toBe(2 * DAY_MS);
    expect(purchase.lines.map((l) => [l.sku, l.category, l.quantity, l.unitPriceMinor])).toEqual([
      ['71053', '71053', 6, 339],
      ['85123A', '85123A', 8, Math.round((6 * 255 + 2 * 295) / 8)],
    ]);
  });

  it('is the basket the backtest scores at SKU level', () => {
    expect(basketOf(purchaseOf(invoice, 0), 'sku')?.items).toEqual(invoice.items);
  });
});

describe('shiftOntoBoundary', () => {
  it('moves a whole-day end onto the next multiple of the period, less than a period on', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40_000 }), fc.integer({ min: 1, max: 30 }), (day, period) => {
        const shift = shiftOntoBoundary(day * DAY_MS, period * DAY_MS);
        expect((day * DAY_MS + shift) % (period * DAY_MS)).toBe(0);
        expect(shift).toBeGreaterThanOrEqual(0);
        expect(shift).toBeLessThan(period * DAY_MS);
        expect(shift % DAY_MS).toBe(0);
      }),
    );
    expect(() => shiftOntoBoundary(DAY_MS + 1, 7 * DAY_MS)).toThrow(RangeError);
  });
});
