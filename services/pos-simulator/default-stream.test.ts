// The default stream is what other tests, the benchmark and their oracles were measured on: an
// option added to the simulator must leave it byte for byte as it was. These digests were taken
// from the generator before the cross-sell option existed (commit 9c23515); if one changes, the
// default stream changed, and every oracle built on it has to be looked at again.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DAY_MS, generatePurchaseStream, type PurchaseStreamOptions } from './generate.js';

function digest(options: PurchaseStreamOptions): string {
  const h = createHash('sha256');
  for (const r of generatePurchaseStream(options)) {
    h.update(r.key);
    h.update(r.value);
    h.update(String(r.emitAt));
  }
  return h.digest('hex');
}

const LIVE_FROM = Date.UTC(2026, 0, 1) + 120 * DAY_MS;

describe('the default stream', () => {
  it('is unchanged: a year of 500 customers with late records', () => {
    expect(digest({ seed: 20261205, customers: 500, events: 5000, maxLatenessMs: DAY_MS })).toBe(
      '1ef8d0cbf5cf6057dcbe0ac3ed9b22f74d81ef695b016ac8fae6f8f98700e416',
    );
  });

  it('is unchanged: the command line shape (history, then paced with lapsers replaced)', () => {
    expect(
      digest({
        seed: 99,
        customers: 400,
        events: 6000,
        until: Number.POSITIVE_INFINITY,
        startTime: LIVE_FROM - 120 * DAY_MS,
        spanMs: 120 * DAY_MS,
        purchasesPerCustomerPerYear: 24,
        paced: { from: LIVE_FROM, eventsPerSecond: 50 },
        replaceLapsed: true,
      }),
    ).toBe('2d25606a5305f6005fe722afbee7435cee54aaacf283a565c94793479725bf9d');
  });
});
