// A sale as a basket: the distinct items of its lines at the configured level, and per item the
// money, units and margin the lines carried. Returns are not baskets: a returned article tells
// nothing about what goes together, and arules' transactions are what was bought.

import type { Purchase } from '../../shared/contracts/generated.js';
import type { ItemLineTotals } from './item-economics.js';
import type { Item } from './model.js';
import type { ItemLevel } from './settings.js';

export interface PurchaseBasket {
  /** Distinct items, sorted. */
  readonly items: readonly Item[];
  readonly lines: readonly ItemLineTotals[];
}

export function basketOf(purchase: Purchase, level: ItemLevel): PurchaseBasket | null {
  if (purchase.kind !== 'SALE' || purchase.lines.length === 0) return null;
  const totals = new Map<
    Item,
    { valueMinor: number; units: number; marginMinor: number; marginUnits: number }
  >();
  for (const line of purchase.lines) {
    const item = level === 'sku' ? line.sku : line.category;
    const total = totals.get(item) ?? { valueMinor: 0, units: 0, marginMinor: 0, marginUnits: 0 };
    total.valueMinor += line.unitPriceMinor * line.quantity;
    total.units += line.quantity;
    if (line.marginMinor !== null) {
      total.marginMinor += line.marginMinor * line.quantity;
      total.marginUnits += line.quantity;
    }
    totals.set(item, total);
  }
  const items = [...totals.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { items, lines: items.map((item) => ({ item, ...totals.get(item)! })) };
}
