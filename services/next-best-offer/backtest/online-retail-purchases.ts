// Online Retail invoices as the Purchases the worker reads: one SALE per invoice, its customer and
// time, one line per StockCode (the SKU; its category too, since the worker runs at SKU level).
// Prices are pence; the quantities of an invoice's rows of the same code are added up and priced
// at their mean, so an invoice has as many lines as distinct codes (the contract allows 500).

import type { Purchase } from '../../../shared/contracts/generated.js';
import type { Item } from '../model.js';
import { DAY_MS } from '../settings.js';
import type { Invoice } from './online-retail.js';

export const ONLINE_RETAIL_CURRENCY = 'GBP';

/**
 * Whole days to add to every time so that `end` falls on a multiple of `periodMs` (a refresh
 * boundary of the worker), 0 to period − 1 days. Days move, weekdays do not matter to the worker.
 */
export function shiftOntoBoundary(end: number, periodMs: number): number {
  if (!Number.isInteger(end / DAY_MS) || !Number.isInteger(periodMs / DAY_MS) || periodMs <= 0)
    throw new RangeError('end and period must be whole days');
  return (periodMs - (end % periodMs)) % periodMs;
}

/** The invoice as a sale at `invoice.at + shiftMs`. */
export function purchaseOf(invoice: Invoice, shiftMs: number): Purchase {
  const byItem = new Map<Item, { quantity: number; valueMinor: number }>();
  for (const line of invoice.lines) {
    const total = byItem.get(line.item) ?? { quantity: 0, valueMinor: 0 };
    total.quantity += line.quantity;
    total.valueMinor += Math.round(line.unitPrice * 100) * line.quantity;
    byItem.set(line.item, total);
  }
  return {
    eventId: `online-retail-${invoice.invoiceNo}`,
    customerId: invoice.customerId,
    occurredAt: invoice.at + shiftMs,
    kind: 'SALE',
    currency: ONLINE_RETAIL_CURRENCY,
    lines: invoice.items.map((item) => {
      const { quantity, valueMinor } = byItem.get(item)!;
      return {
        sku: item,
        category: item,
        quantity,
        unitPriceMinor: Math.round(valueMinor / quantity),
        marginMinor: null,
        kcalPerUnit: null,
        usage: null,
      };
    }),
    channel: 'online',
    storeId: null,
    returnOfEventId: null,
  };
}
