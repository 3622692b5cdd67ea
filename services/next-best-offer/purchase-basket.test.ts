import { describe, expect, it } from 'vitest';
import type { Purchase } from '../../shared/contracts/generated.js';
import { basketOf } from './purchase-basket.js';

function purchase(
  kind: 'SALE' | 'RETURN',
  lines: Array<[string, string, number, number, number | null]>,
): Purchase {
  return {
    eventId: 'e1',
    customerId: 'c1',
    occurredAt: 0,
    kind,
    currency: 'EUR',
    lines: lines.map(([sku, category, quantity, unitPriceMinor, marginMinor]) => ({
      sku,
      category,
      quantity,
      unitPriceMinor,
      marginMinor,
      kcalPerUnit: null,
      usage: null,
    })),
  } as unknown as Purchase;
}

describe('a purchase as a basket', () => {
  const sale = purchase('SALE', [
    ['beer-6', 'drinks/beer', 2, 500, 100],
    ['pizza', 'frozen/pizza', 1, 300, null],
    ['beer-12', 'drinks/beer', 1, 900, 200],
  ]);

  it('groups lines by category, items sorted and distinct', () => {
    expect(basketOf(sale, 'category')).toEqual({
      items: ['drinks/beer', 'frozen/pizza'],
      lines: [
        { item: 'drinks/beer', valueMinor: 1900, units: 3, marginMinor: 400, marginUnits: 3 },
        { item: 'frozen/pizza', valueMinor: 300, units: 1, marginMinor: 0, marginUnits: 0 },
      ],
    });
  });

  it('or by SKU', () => {
    expect(basketOf(sale, 'sku')?.items).toEqual(['beer-12', 'beer-6', 'pizza']);
  });

  it('is no basket for a return or an empty sale', () => {
    expect(basketOf(purchase('RETURN', [['pizza', 'frozen/pizza', 1, 300, null]]), 'category')).toBeNull();
    expect(basketOf(purchase('SALE', []), 'category')).toBeNull();
  });
});
