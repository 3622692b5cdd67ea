import { describe, expect, it } from 'vitest';
import { basketField } from '../basket-key.js';
import { mergeItemEconomics } from '../item-economics.js';
import { countersOf, type StandInSettings, standInSuggester } from './batch-suggestions.js';
import type { Invoice, InvoiceLine } from './online-retail.js';

const DAY = 86_400_000;
const BOUNDARY = 100 * DAY;
const PRICE: Record<string, number> = { tea: 1, mug: 2, pot: 10, card: 0.5, bag: 3, x: 1, y: 1 };

let number = 0;
function invoice(customerId: string, day: number, ...items: string[]): Invoice {
  number += 1;
  const lines: InvoiceLine[] = items.map((item) => ({ item, quantity: 1, unitPrice: PRICE[item]! }));
  return {
    invoiceNo: String(number),
    customerId,
    at: day * DAY + 3_600_000,
    items: [...items].sort(),
    lines,
  };
}

const repeat = (n: number, make: (i: number) => Invoice) => Array.from({ length: n }, (_, i) => make(i));

// In the 28-day window (days 72–99): tea always with mug and pot, card always with bag, bag
// sometimes alone. Before it (day 10): x with y, often enough to be a rule if it were mined.
const training: Invoice[] = [
  ...repeat(4, (i) => invoice(`t${i}`, 80, 'tea', 'mug', 'pot')),
  ...repeat(4, (i) => invoice(`c${i}`, 81, 'card', 'bag')),
  ...repeat(2, (i) => invoice(`b${i}`, 82, 'bag')),
  ...repeat(5, (i) => invoice(`old${i}`, 10, 'x', 'y')),
  invoice('a', 95, 'tea'),
  invoice('b', 72, 'card'), // the first day still recent
  invoice('z', 71, 'tea'), // one day too early to be recent
];

const settings: StandInSettings = {
  basketWindowDays: 28,
  minSupport: 0.05,
  minConfidence: 0.1,
  minRuleLength: 2,
  maxRuleLength: 3,
  recentDays: 28,
  topK: 4,
};

describe('countersOf', () => {
  it('counts each invoice once under its day and its lines’ money and units per item', () => {
    const lines: InvoiceLine[] = [
      { item: 'mug', quantity: 1, unitPrice: 2 },
      { item: 'mug', quantity: 3, unitPrice: 4 },
      { item: 'tea', quantity: 2, unitPrice: 0.999 },
    ];
    const invoices = [
      { invoiceNo: '1', customerId: 'a', at: 5 * DAY, items: ['mug', 'tea'], lines },
      { invoiceNo: '2', customerId: 'b', at: 5 * DAY + 1, items: ['mug', 'tea'], lines: lines.slice(0, 1) },
    ];
    const counters = countersOf(invoices);
    expect(counters[basketField(5, ['mug', 'tea'])]).toBe(2);
    const economics = mergeItemEconomics([counters], 5, 6, () => 0);
    expect(economics.map((e) => [e.item, e.unitPriceMinor])).toEqual([
      ['mug', (200 + 1200 + 200) / 5],
      ['tea', 100], // 0.999 GBP is 100 pence: prices are kept in whole pence
    ]);
  });
});

describe('standInSuggester', () => {
  const standIn = standInSuggester(training, BOUNDARY, settings);

  it('mines only the window’s baskets', () => {
    expect(standIn.mining.baskets).toBe(12); // 10 + a's and b's recent baskets; not day 10 or 71
    expect(standIn.mining.rules.some((rule) => rule.consequent === 'x' || rule.consequent === 'y')).toBe(
      false,
    );
  });

  it('ranks the consequents of rules the recent items fire by lift × mean price, then fills with popularity', () => {
    // tea ⇒ pot and tea ⇒ mug have the same lift; pot costs five times as much.
    expect(standIn.fromRules('a')).toEqual(['pot', 'mug']);
    // Popularity in the window: bag (6 baskets), card and tea (5), then mug and pot (4).
    expect(standIn.suggest('a')).toEqual(['pot', 'mug', 'bag', 'card']);
  });

  it('never suggests an item bought within recentDays, and counts the first day as recent', () => {
    expect(standIn.fromRules('b')).toEqual(['bag']);
    expect(standIn.suggest('b')).toEqual(['bag', 'tea', 'mug', 'pot']);
  });

  it('gives a customer with nothing recent the popular items only', () => {
    expect(standIn.fromRules('z')).toEqual([]);
    expect(standIn.suggest('z')).toEqual(['bag', 'card', 'tea', 'mug']);
    expect(standIn.suggest('never-seen')).toEqual(['bag', 'card', 'tea', 'mug']);
  });
});
