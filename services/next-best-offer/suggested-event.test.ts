import { describe, expect, it } from 'vitest';
import { codecFor } from '../../shared/avro/index.js';
import type { Ladder } from './ladders.js';
import { popularItemsOf, rankSuggestions } from './rank.js';
import { suggestedEvent } from './suggested-event.js';

const savings: Ladder = { name: 'savings', rungs: ['youth', 'family'], probability: 0.2 };

describe('suggestedEvent', () => {
  // Every kind of evidence at once, from ranking itself, so the contract is checked against what ranking makes.
  const suggestions = rankSuggestions(
    {
      recentItems: new Set(['beer']),
      firstDays: new Map([
        ['a', 10],
        ['youth', 1],
      ]),
      walletGapCategories: new Set(['pizza']),
    },
    {
      rules: [
        { antecedent: ['beer'], consequent: 'pizza', count: 4, support: 0.01, confidence: 0.4, lift: 2.5 },
      ],
      steps: [
        { from: 'a', to: 'b', customers: 3, customersWithFrom: 12, share: 0.25, lift: 2, typicalGapDays: 15 },
      ],
      ladders: [savings],
      economics: new Map([
        ['pizza', { item: 'pizza', unitPriceMinor: 500, unitMarginMinor: 100, baskets: 9 }],
        ['b', { item: 'b', unitPriceMinor: 1000, unitMarginMinor: null, baskets: 3 }],
        ['family', { item: 'family', unitPriceMinor: 3000, unitMarginMinor: 600, baskets: 2 }],
        ['milk', { item: 'milk', unitPriceMinor: 100, unitMarginMinor: 20, baskets: 20 }],
      ]),
      categoryOf: new Map(),
      popular: popularItemsOf(
        [
          { item: 'milk', unitPriceMinor: 100, unitMarginMinor: 20, baskets: 20 },
          { item: 'pizza', unitPriceMinor: 500, unitMarginMinor: 100, baskets: 9 },
        ],
        40,
      ),
    },
    12,
    { topK: 5, horizonDays: 30, defaultMarginShare: 0.3, walletGapBoost: 1.5, popularFill: true },
  );

  it('carries every kind of suggestion with its evidence, and round-trips through the Avro contract', () => {
    expect(suggestions.map((s) => s.kind).sort()).toEqual(['ladder', 'popular', 'rule', 'sequence']);
    const event = suggestedEvent({
      eventId: 'e-1',
      customerId: 'c-1',
      occurredAt: 12 * 86_400_000,
      trigger: 'due-step',
      causationId: 'timer/3/nbo-step/c-1/1036800000',
      valueTier: 'top',
      holdout: true,
      suggestions,
      currency: 'EUR',
      modelViewBoundary: 11 * 86_400_000,
    });
    expect(event.trigger).toBe('DUE_STEP');
    expect(event.suggestions.map((s) => [s.item, s.kind, s.expectedValueMinor])).toEqual(
      suggestions.map((s) => [s.item, s.kind.toUpperCase(), s.expectedValueMinor]),
    );
    expect(event.suggestions.find((s) => s.kind === 'LADDER')).toMatchObject({
      ladder: 'savings',
      antecedent: ['youth'],
      ladderProbability: 0.2,
      currency: 'EUR',
    });
    expect(event.suggestions.find((s) => s.kind === 'POPULAR')).toMatchObject({
      item: 'milk',
      antecedent: [],
      support: 0.5,
      basketCount: 20,
      // 0.5 × 100 × (20 / 100)
      expectedValueMinor: 10,
    });
    const codec = codecFor('NextBestOfferSuggested');
    expect(codec.isValid(event, { noUndeclaredFields: true })).toBe(true);
    expect(codec.decode(codec.encode(event))).toEqual(event);
  });
});
