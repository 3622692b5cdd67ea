import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Ladder } from './ladders.js';
import type { AssociationRule, ItemEconomics, SequenceStep } from './model.js';
import {
  type CustomerItems,
  checkRankSettings,
  dueSequenceSteps,
  indexRulesByFirstAntecedent,
  type PopulationEvidence,
  popularItemsOf,
  type RankSettings,
  rankSuggestions,
} from './rank.js';

const settings: RankSettings = {
  topK: 3,
  horizonDays: 90,
  defaultMarginShare: 0.25,
  walletGapBoost: 1.5,
  popularFill: false,
};
const TODAY = 1000;

const rule = (antecedent: string[], consequent: string, lift: number): AssociationRule => ({
  antecedent,
  consequent,
  count: 40,
  support: 0.04,
  confidence: 0.5,
  lift,
});
const step = (from: string, to: string, share: number, typicalGapDays = 10): SequenceStep => ({
  from,
  to,
  customers: Math.round(share * 100),
  customersWithFrom: 100,
  share,
  lift: 2,
  typicalGapDays,
});
const econ = (item: string, unitPriceMinor: number, unitMarginMinor: number | null): ItemEconomics => ({
  item,
  unitPriceMinor,
  unitMarginMinor,
  baskets: 10,
});
const savings: Ladder = { name: 'savings', rungs: ['child', 'youth', 'family', 'pension'], probability: 0.2 };

const population = (over: Partial<PopulationEvidence> = {}): PopulationEvidence => ({
  rules: [],
  steps: [],
  ladders: [],
  economics: new Map(
    [
      econ('beer', 200, 50),
      econ('pizza', 500, 100),
      econ('beans', 100, null),
      econ('b', 1000, 300),
      econ('youth', 2000, 400),
      econ('family', 3000, 600),
      econ('loss', 100, -10),
    ].map((e) => [e.item, e]),
  ),
  categoryOf: new Map([
    ['pizza', 'frozen'],
    ['beans', 'canned'],
  ]),
  ...over,
});

const customer = (over: Partial<CustomerItems> = {}): CustomerItems => ({
  recentItems: new Set(),
  firstDays: new Map(),
  walletGapCategories: new Set(),
  ...over,
});

describe('rankSuggestions', () => {
  it('values a rule as lift × price × margin share, firing only when the whole antecedent was bought recently', () => {
    const rules = [rule(['beer', 'chips'], 'pizza', 2)];
    expect(
      rankSuggestions(customer({ recentItems: new Set(['beer']) }), population({ rules }), TODAY, settings),
    ).toEqual([]);
    const [s] = rankSuggestions(
      customer({ recentItems: new Set(['beer', 'chips']) }),
      population({ rules }),
      TODAY,
      settings,
    );
    expect(s).toEqual({
      item: 'pizza',
      kind: 'rule',
      antecedent: ['beer', 'chips'],
      ladder: null,
      support: 0.04,
      confidence: 0.5,
      lift: 2,
      basketCount: 40,
      customers: null,
      customersWithFrom: null,
      stepShare: null,
      typicalGapDays: null,
      probability: null,
      walletGapBoosted: false,
      expectedValueMinor: 200, // 2 × 500 × (100 / 500)
    });
  });

  it('uses the default margin share when no line carried a margin', () => {
    const [s] = rankSuggestions(
      customer({ recentItems: new Set(['beer']) }),
      population({ rules: [rule(['beer'], 'beans', 3)] }),
      TODAY,
      settings,
    );
    expect(s?.expectedValueMinor).toBe(75); // 3 × 100 × 0.25
  });

  it('values a step as share × price × margin share, from items first bought within the horizon', () => {
    const steps = [step('a', 'b', 0.5)];
    const fresh = customer({ firstDays: new Map([['a', TODAY - 90]]) });
    const [s] = rankSuggestions(fresh, population({ steps }), TODAY, settings);
    expect(s).toMatchObject({
      item: 'b',
      kind: 'sequence',
      antecedent: ['a'],
      customers: 50,
      customersWithFrom: 100,
      stepShare: 0.5,
      typicalGapDays: 10,
      expectedValueMinor: 150, // 0.5 × 1000 × 0.3
    });
    const stale = customer({ firstDays: new Map([['a', TODAY - 91]]) });
    expect(rankSuggestions(stale, population({ steps }), TODAY, settings)).toEqual([]);
    const done = customer({
      firstDays: new Map([
        ['a', TODAY - 5],
        ['b', TODAY - 200],
      ]),
    });
    expect(rankSuggestions(done, population({ steps }), TODAY, settings)).toEqual([]);
  });

  it('values the next rung of a ladder as probability × price × margin share', () => {
    const c = customer({ firstDays: new Map([['child', 1]]), recentItems: new Set() });
    expect(rankSuggestions(c, population({ ladders: [savings] }), TODAY, settings)).toMatchObject([
      {
        item: 'youth',
        kind: 'ladder',
        antecedent: ['child'],
        ladder: 'savings',
        probability: 0.2,
        expectedValueMinor: 80,
      },
    ]);
  });

  it('never suggests an item bought within the horizon, nor one without economics or margin', () => {
    const rules = [rule(['beer'], 'pizza', 2), rule(['beer'], 'unknown', 5), rule(['beer'], 'loss', 9)];
    const c = customer({ recentItems: new Set(['beer', 'pizza']) });
    expect(rankSuggestions(c, population({ rules }), TODAY, settings)).toEqual([]);
  });

  it('raises the value of an item whose category is a share-of-wallet gap', () => {
    const rules = [rule(['beer'], 'pizza', 2), rule(['beer'], 'beans', 2)];
    const c = customer({ recentItems: new Set(['beer']), walletGapCategories: new Set(['canned']) });
    const out = rankSuggestions(c, population({ rules }), TODAY, settings);
    expect(out.map((s) => [s.item, s.walletGapBoosted, s.expectedValueMinor])).toEqual([
      ['pizza', false, 200],
      ['beans', true, 75], // 2 × 100 × 0.25 × 1.5
    ]);
    // An item with no category entry is its own category (items at category level).
    const b = rankSuggestions(
      customer({ firstDays: new Map([['a', TODAY]]), walletGapCategories: new Set(['b']) }),
      population({ steps: [step('a', 'b', 0.5)] }),
      TODAY,
      settings,
    );
    expect(b[0]).toMatchObject({ walletGapBoosted: true, expectedValueMinor: 225 });
  });

  it('keeps the evidence that values an item highest, and the top K best first, ties by item', () => {
    const rules = [rule(['beer'], 'b', 0.4), rule(['x'], 'b', 0.9), rule(['beer'], 'pizza', 0.6)];
    const steps = [step('a', 'b', 0.5), step('a', 'pizza', 0.6)];
    const c = customer({ recentItems: new Set(['beer', 'x']), firstDays: new Map([['a', TODAY]]) });
    const out = rankSuggestions(c, population({ rules, steps }), TODAY, { ...settings, topK: 2 });
    // b: rule x → b gives 0.9 × 300 = 270 > the step's 150; pizza: 0.6 × 100 = 60 either way, rule wins the tie.
    expect(out.map((s) => [s.item, s.kind, s.antecedent, s.expectedValueMinor])).toEqual([
      ['b', 'rule', ['x'], 270],
      ['pizza', 'rule', ['beer'], 60],
    ]);
    const tie = rankSuggestions(
      customer({ recentItems: new Set(['q']) }),
      population({
        rules: [rule(['q'], 'z', 1), rule(['q'], 'y', 1)],
        economics: new Map([
          ['z', econ('z', 100, 10)],
          ['y', econ('y', 100, 10)],
        ]),
      }),
      TODAY,
      settings,
    );
    expect(tie.map((s) => s.item)).toEqual(['y', 'z']);
  });

  it('is deterministic: the order of the evidence does not change the answer; sorted, at most K, nothing recent', () => {
    const items = ['beer', 'pizza', 'beans', 'b', 'youth', 'family', 'a', 'child'];
    const item = fc.constantFrom(...items);
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.uniqueArray(item, { minLength: 1, maxLength: 2 }),
            item,
            fc.double({ min: 0.1, max: 5, noNaN: true }),
          ),
        ),
        fc.array(fc.tuple(item, item, fc.double({ min: 0.01, max: 1, noNaN: true }))),
        fc.uniqueArray(item),
        fc.integer({ min: 1, max: 4 }),
        (ruleSpecs, stepSpecs, recent, topK) => {
          const rules = ruleSpecs
            .filter(([a, c]) => !a.includes(c))
            .map(([a, c, lift]) => rule([...a].sort(), c, lift));
          const steps = stepSpecs.filter(([f, t]) => f !== t).map(([f, t, share]) => step(f, t, share));
          const c = customer({
            recentItems: new Set(recent),
            firstDays: new Map(recent.map((i) => [i, TODAY])),
          });
          const s = { ...settings, topK };
          const out = rankSuggestions(c, population({ rules, steps, ladders: [savings] }), TODAY, s);
          const reversed = rankSuggestions(
            c,
            population({ rules: [...rules].reverse(), steps: [...steps].reverse(), ladders: [savings] }),
            TODAY,
            s,
          );
          expect(reversed).toEqual(out);
          const indexed = rankSuggestions(
            c,
            population({
              rules,
              steps,
              ladders: [savings],
              rulesByFirstAntecedent: indexRulesByFirstAntecedent(rules),
            }),
            TODAY,
            s,
          );
          expect(indexed, 'rules found through the index').toEqual(out);
          expect(out.length).toBeLessThanOrEqual(topK);
          expect(new Set(out.map((x) => x.item)).size).toBe(out.length);
          for (const x of out) expect(recent).not.toContain(x.item);
          for (let i = 1; i < out.length; i++) {
            const [p, q] = [out[i - 1]!, out[i]!];
            expect(
              p.expectedValueMinor > q.expectedValueMinor ||
                (p.expectedValueMinor === q.expectedValueMinor && p.item < q.item),
            ).toBe(true);
          }
        },
      ),
    );
  });

  it('rejects bad settings', () => {
    expect(() => checkRankSettings({ ...settings, topK: 0 })).toThrow(/topK/);
    expect(() => checkRankSettings({ ...settings, defaultMarginShare: 0 })).toThrow(/defaultMarginShare/);
    expect(() => checkRankSettings({ ...settings, walletGapBoost: 0.5 })).toThrow(/walletGapBoost/);
    expect(() => checkRankSettings({ ...settings, horizonDays: 0 })).toThrow(/horizonDays/);
    expect(checkRankSettings(settings)).toBe(settings);
  });
});

describe('rankSuggestions: the popularity fill', () => {
  const fill = { ...settings, popularFill: true };
  // N = 100 baskets; beer in 60, beans in 30, pizza in 20, b in 5, loss (a non-positive margin) in 90.
  const withPopular = (over: Partial<PopulationEvidence> = {}): PopulationEvidence => {
    const base = population(over);
    const counts: Record<string, number> = { beer: 60, beans: 30, pizza: 20, b: 5, loss: 90 };
    const economics = [...base.economics.values()].map((e) => ({ ...e, baskets: counts[e.item] ?? 0 }));
    return {
      ...base,
      economics: new Map(economics.map((e) => [e.item, e])),
      popular: popularItemsOf(economics, 100),
    };
  };

  it('lists the items in some basket, most bought first, ties by item', () => {
    const popular = popularItemsOf(
      [
        econ('z', 100, null),
        { ...econ('y', 100, null), baskets: 0 },
        econ('a', 100, null),
        { ...econ('m', 1, null), baskets: 11 },
      ],
      50,
    );
    expect(popular.items.map((e) => e.item)).toEqual(['m', 'a', 'z']);
    expect(popular.baskets).toBe(50);
  });

  it('fills only the places the evidence left empty, most bought first, valued share × price × margin share', () => {
    const rules = [rule(['chips'], 'b', 2)];
    const out = rankSuggestions(
      customer({ recentItems: new Set(['chips']) }),
      withPopular({ rules }),
      TODAY,
      fill,
    );
    // loss is the most bought but worth nothing; b is the rule's already.
    expect(out.map((s) => [s.item, s.kind])).toEqual([
      ['b', 'rule'],
      ['beer', 'popular'],
      ['beans', 'popular'],
    ]);
    expect(out[1]).toMatchObject({
      antecedent: [],
      support: 0.6,
      basketCount: 60,
      lift: null,
      expectedValueMinor: 30,
    });
    // beans carry no margin: 0.3 × 100 × the default 0.25.
    expect(out[2]!.expectedValueMinor).toBe(Math.round(0.3 * 100 * 0.25));
  });

  it('adds nothing when the evidence fills the top K, or when it is off', () => {
    const rules = [rule(['chips'], 'b', 2), rule(['chips'], 'youth', 1), rule(['chips'], 'family', 1)];
    const c = customer({ recentItems: new Set(['chips']) });
    expect(rankSuggestions(c, withPopular({ rules }), TODAY, fill).map((s) => s.kind)).toEqual([
      'rule',
      'rule',
      'rule',
    ]);
    expect(
      rankSuggestions(c, withPopular({ rules: rules.slice(0, 1) }), TODAY, settings).map((s) => s.item),
    ).toEqual(['b']);
    expect(
      rankSuggestions(c, population({ rules: rules.slice(0, 1) }), TODAY, fill).map((s) => s.item),
    ).toEqual(['b']);
  });

  it('never goes above the evidence, however much more it is worth', () => {
    const rules = [rule(['chips'], 'beans', 1.01)];
    const out = rankSuggestions(
      customer({ recentItems: new Set(['chips']) }),
      withPopular({ rules }),
      TODAY,
      fill,
    );
    expect(out.map((s) => s.kind)).toEqual(['rule', 'popular', 'popular']);
    expect(out[1]!.expectedValueMinor).toBeGreaterThan(out[0]!.expectedValueMinor);
  });

  it('never suggests an item bought recently', () => {
    const out = rankSuggestions(
      customer({ recentItems: new Set(['beer', 'pizza']) }),
      withPopular(),
      TODAY,
      fill,
    );
    expect(out.map((s) => s.item)).toEqual(['beans', 'b']);
  });

  it('is deterministic and keeps its place: evidence first, then the fill by baskets; at most K, nothing recent', () => {
    const items = ['beer', 'pizza', 'beans', 'b', 'youth', 'family', 'loss'];
    const item = fc.constantFrom(...items);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(item, item, fc.double({ min: 0.1, max: 5, noNaN: true }))),
        fc.uniqueArray(item),
        fc.integer({ min: 1, max: 6 }),
        (ruleSpecs, recent, topK) => {
          const rules = ruleSpecs.filter(([a, c]) => a !== c).map(([a, c, lift]) => rule([a], c, lift));
          const c = customer({ recentItems: new Set(recent) });
          const s = { ...fill, topK };
          const out = rankSuggestions(c, withPopular({ rules }), TODAY, s);
          expect(rankSuggestions(c, withPopular({ rules: [...rules].reverse() }), TODAY, s)).toEqual(out);
          const alone = rankSuggestions(c, withPopular({ rules }), TODAY, { ...s, popularFill: false });
          expect(out.slice(0, alone.length)).toEqual(alone);
          const filled = out.slice(alone.length);
          for (const x of filled) expect(x.kind).toBe('popular');
          expect(out.length).toBeLessThanOrEqual(topK);
          expect(new Set(out.map((x) => x.item)).size).toBe(out.length);
          for (const x of out) expect(recent).not.toContain(x.item);
          for (let i = 1; i < filled.length; i++)
            expect(filled[i - 1]!.basketCount!).toBeGreaterThanOrEqual(filled[i]!.basketCount!);
          // Short of K only when no item worth suggesting is left.
          if (out.length < topK) {
            const left = ['beer', 'beans', 'pizza', 'b'].filter(
              (i) => !recent.includes(i) && !out.some((x) => x.item === i),
            );
            expect(left).toEqual([]);
          }
        },
      ),
    );
  });
});

describe('dueSequenceSteps', () => {
  const DAY = 86_400_000;
  const steps = [
    step('a', 'b', 0.5, 10),
    step('a', 'c', 0.3, 3),
    step('x', 'y', 0.5, 1),
    step('d', 'a', 0.5, 2),
  ];
  const firstDays = new Map([
    ['a', 100],
    ['d', 90],
  ]);

  it('lists the open steps soonest first, due at first day of from + typical gap', () => {
    expect(dueSequenceSteps(firstDays, steps, 0).steps).toEqual([
      { from: 'a', to: 'c', dueAt: 103 * DAY },
      { from: 'a', to: 'b', dueAt: 110 * DAY },
    ]);
  });

  it('gives the next due moment strictly after now, or null', () => {
    expect(dueSequenceSteps(firstDays, steps, 0).nextDueAt).toBe(103 * DAY);
    expect(dueSequenceSteps(firstDays, steps, 103 * DAY).nextDueAt).toBe(110 * DAY);
    expect(dueSequenceSteps(firstDays, steps, 110 * DAY).nextDueAt).toBeNull();
    expect(dueSequenceSteps(new Map(), steps, 0)).toEqual({ steps: [], nextDueAt: null });
  });
});
