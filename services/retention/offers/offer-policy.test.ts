import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { ConfigError } from '../../../shared/errors.js';
import type { ValueSegment } from '../../value-segmentation/tiers.js';
import { loadOfferPolicy, OFFER_TIERS, type OfferTier, parseOfferPolicy } from './offer-policy.js';

const DEFAULT_POLICY_PATH = new URL('../../../deploy/retention-offer-policy.json', import.meta.url).pathname;

const offer = (code: string, costCeilingMinor: number, priority: number, validityDays = 30) => ({
  code,
  description: `${code} described`,
  costCeilingMinor,
  priority,
  validityDays,
});

// biome-ignore lint/suspicious/noExplicitAny: test fixtures are mutated freely to break them
function validPolicy(): any {
  return {
    currency: 'EUR',
    cooldownDays: 30,
    holdoutShare: 0.1,
    tiers: {
      top2: { offers: [offer('BIG', 25_000, 1)], dailyBudgetMinor: 500_000 },
      top: { offers: [offer('SMALL', 1_500, 2), offer('BIG', 25_000, 1)], dailyBudgetMinor: 500_000 },
      middle: { offers: [offer('SMALL', 1_500, 3)], dailyBudgetMinor: 100_000, cooldownDays: 14 },
      bottom: { offers: [] },
      lapsed: { offers: [], dailyBudgetMinor: 0 },
      unknown: { offers: [offer('SMALL', 1_500, 3)], dailyBudgetMinor: 10_000 },
    },
  };
}

const parse = (policy: unknown) => parseOfferPolicy(JSON.stringify(policy), 'policy.json');

function errorOf(policy: unknown): ConfigError {
  try {
    parse(policy);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected the policy to be rejected');
}

describe('parseOfferPolicy', () => {
  it('reads a valid policy, sorts offers by priority and resolves cooldowns', () => {
    const policy = parse(validPolicy());
    expect(policy.currency).toBe('EUR');
    expect(policy.holdoutShare).toBe(0.1);
    expect(policy.tiers.top.offers.map((o) => o.code)).toEqual(['BIG', 'SMALL']);
    expect(policy.tiers.top.offers[0]).toEqual(offer('BIG', 25_000, 1));
    expect(policy.tiers.middle.cooldownDays).toBe(14);
    expect(policy.tiers.top.cooldownDays).toBe(30);
    expect(policy.tiers.bottom).toEqual({ offers: [], dailyBudgetMinor: 0, cooldownDays: 30 });
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.tiers.top.offers)).toBe(true);
    expect(Object.isFrozen(policy.tiers.top.offers[0])).toBe(true);
  });

  it('accepts $comment keys at every level', () => {
    const p = validPolicy();
    p.$comment = 'why';
    p.tiers.bottom.$comment = 'no paid offer';
    p.tiers.top.offers[0].$comment = 'generous';
    expect(parse(p).tiers.top.offers.map((o) => o.code)).toEqual(['BIG', 'SMALL']);
  });

  it('covers every value segment plus unknown', () => {
    expectTypeOf<ValueSegment>().toExtend<OfferTier>();
    expect([...OFFER_TIERS]).toEqual(['top2', 'top', 'middle', 'bottom', 'lapsed', 'unknown']);
  });

  it.each([
    [
      'a negative cost ceiling',
      (p: ReturnType<typeof validPolicy>) => {
        p.tiers.top.offers[0].costCeilingMinor = -5;
      },
      'tiers.top.offers[0].costCeilingMinor must be a positive integer',
    ],
    [
      'a fractional cost ceiling',
      (p: ReturnType<typeof validPolicy>) => {
        p.tiers.middle.offers[0].costCeilingMinor = 12.5;
      },
      'tiers.middle.offers[0].costCeilingMinor must be a positive integer',
    ],
    [
      'a missing description',
      (p: ReturnType<typeof validPolicy>) => {
        delete p.tiers.top2.offers[0].description;
      },
      'tiers.top2.offers[0].description is required',
    ],
    [
      'a blank description',
      (p: ReturnType<typeof validPolicy>) => {
        p.tiers.top2.offers[0].description = '   ';
      },
      'tiers.top2.offers[0].description must be a non-empty text',
    ],
    [
      'a lower-case code',
      (p: ReturnType<typeof validPolicy>) => {
        p.tiers.top.offers[1].code = 'free minutes';
      },
      'tiers.top.offers[1].code must be an offer code',
    ],
    [
      'priority 0',
      (p: ReturnType<typeof validPolicy>) => {
        p.tiers.top.offers[0].priority = 0;
      },
      'tiers.top.offers[0].priority must be a positive integer',
    ],
    [
      'no validity',
      (p: ReturnType<typeof validPolicy>) => {
        p.tiers.top.offers[0].validityDays = 0;
      },
      'tiers.top.offers[0].validityDays must be a positive integer up to 366',
    ],
    [
      'a holdout share of 1',
      (p: ReturnType<typeof validPolicy>) => {
        p.holdoutShare = 1;
      },
      'holdoutShare must be a share in [0, 1) (got 1)',
    ],
    [
      'a negative holdout share',
      (p: ReturnType<typeof validPolicy>) => {
        p.holdoutShare = -0.1;
      },
      'holdoutShare must be a share in [0, 1)',
    ],
    [
      'a currency in lower case',
      (p: ReturnType<typeof validPolicy>) => {
        p.currency = 'eur';
      },
      'currency must be an ISO 4217 code such as EUR (got "eur")',
    ],
    [
      'a missing cooldown',
      (p: ReturnType<typeof validPolicy>) => {
        delete p.cooldownDays;
      },
      'cooldownDays is required',
    ],
    [
      'a negative tier cooldown',
      (p: ReturnType<typeof validPolicy>) => {
        p.tiers.middle.cooldownDays = -1;
      },
      'tiers.middle.cooldownDays must be a non-negative integer',
    ],
    [
      'a missing tier',
      (p: ReturnType<typeof validPolicy>) => {
        delete p.tiers.lapsed;
      },
      'tiers.lapsed is required',
    ],
    [
      'an unknown tier',
      (p: ReturnType<typeof validPolicy>) => {
        p.tiers.gold = { offers: [] };
      },
      'tiers.gold is not a known key (known keys: top2, top, middle, bottom, lapsed, unknown)',
    ],
    [
      'an unknown offer key',
      (p: ReturnType<typeof validPolicy>) => {
        p.tiers.top.offers[0].cost = 5;
      },
      'tiers.top.offers[0].cost is not a known key',
    ],
    [
      'an unknown top-level key',
      (p: ReturnType<typeof validPolicy>) => {
        p.holdout = 0.1;
      },
      'holdout is not a known key',
    ],
    [
      'offers that are not a list',
      (p: ReturnType<typeof validPolicy>) => {
        p.tiers.bottom.offers = null;
      },
      'tiers.bottom.offers must be a list of offers ([] = no paid offer) (got null)',
    ],
    [
      'a missing offers list',
      (p: ReturnType<typeof validPolicy>) => {
        delete p.tiers.bottom.offers;
      },
      'tiers.bottom.offers is required',
    ],
    [
      'a code repeated in a tier',
      (p: ReturnType<typeof validPolicy>) => {
        p.tiers.top.offers[1] = offer('SMALL', 1_500, 7);
      },
      'tiers.top.offers[1].code repeats offer SMALL in the tier',
    ],
    [
      'a priority repeated in a tier',
      (p: ReturnType<typeof validPolicy>) => {
        p.tiers.top.offers[0].priority = 1;
        p.tiers.top.offers[1].priority = 1;
      },
      'tiers.top.offers[1].priority repeats priority 1 in the tier',
    ],
    [
      'one code for two different offers',
      (p: ReturnType<typeof validPolicy>) => {
        p.tiers.middle.offers[0].costCeilingMinor = 2_000;
      },
      'tiers.middle.offers[0] reuses code SMALL of tiers.top.offers[0] with another description or cost ceiling',
    ],
    [
      'a budget on a tier with no paid offer',
      (p: ReturnType<typeof validPolicy>) => {
        p.tiers.bottom.dailyBudgetMinor = 1_000;
      },
      'tiers.bottom.dailyBudgetMinor must be 0 or absent for a tier with no paid offer (got 1000)',
    ],
    [
      'no budget on a tier with offers',
      (p: ReturnType<typeof validPolicy>) => {
        delete p.tiers.middle.dailyBudgetMinor;
      },
      'tiers.middle.dailyBudgetMinor is required for a tier with offers',
    ],
    [
      'a budget below the cheapest offer',
      (p: ReturnType<typeof validPolicy>) => {
        p.tiers.top2.dailyBudgetMinor = 24_999;
      },
      "tiers.top2.dailyBudgetMinor must cover the tier's cheapest offer (25000)",
    ],
    [
      'a negative budget',
      (p: ReturnType<typeof validPolicy>) => {
        p.tiers.top2.dailyBudgetMinor = -1;
      },
      'tiers.top2.dailyBudgetMinor must be a non-negative integer',
    ],
  ])('rejects %s, naming the path', (_name, breakIt, expected) => {
    const p = validPolicy();
    breakIt(p);
    const error = errorOf(p);
    expect(error.variable).toBe('policy.json');
    expect(error.reasonCode).toBe('CONFIG_INVALID');
    expect(error.message).toContain(`policy.json: `);
    expect(error.message).toContain(expected);
  });

  it('names every problem at once', () => {
    const p = validPolicy();
    p.currency = 'euro';
    p.tiers.top.offers[0].costCeilingMinor = 0;
    const { message } = errorOf(p);
    expect(message).toContain('currency must be');
    expect(message).toContain('tiers.top.offers[0].costCeilingMinor must be');
  });

  it('rejects text that is not JSON or not an object', () => {
    expect(() => parseOfferPolicy('{ "currency": ', 'p.json')).toThrow(/^p\.json: is not valid JSON/);
    expect(() => parseOfferPolicy('[]', 'p.json')).toThrow('p.json: policy must be a JSON object (got [])');
  });
});

describe('loadOfferPolicy', () => {
  it('loads the default policy of deploy/', () => {
    const policy = loadOfferPolicy(DEFAULT_POLICY_PATH);
    expect(policy.currency).toBe('EUR');
    expect(policy.holdoutShare).toBe(0.1);
    expect(policy.cooldownDays).toBe(30);
    for (const tier of OFFER_TIERS) expect(policy.tiers[tier].cooldownDays).toBe(30);
    expect(policy.tiers.top2.offers[0]).toMatchObject({
      code: 'FREE_DEVICE_TICKETS',
      costCeilingMinor: 25_000,
    });
    expect(policy.tiers.top.offers[0]).toMatchObject({
      code: 'FREE_DEVICE_TICKETS',
      costCeilingMinor: 25_000,
    });
    expect(policy.tiers.middle.offers.map((o) => [o.code, o.costCeilingMinor])).toEqual([
      ['FREE_MINUTES_100', 1_500],
    ]);
    expect(policy.tiers.bottom.offers).toEqual([]);
    expect(policy.tiers.bottom.dailyBudgetMinor).toBe(0);
    for (const tier of OFFER_TIERS) {
      if (policy.tiers[tier].offers.length > 0)
        expect(policy.tiers[tier].dailyBudgetMinor).toBeGreaterThan(0);
    }
  });

  it('names the file when it is missing or invalid', () => {
    const dir = mkdtempSync(join(tmpdir(), 'offer-policy-'));
    const missing = join(dir, 'missing.json');
    expect(() => loadOfferPolicy(missing)).toThrow(`${missing}: cannot read the offer policy`);
    const bad = join(dir, 'bad.json');
    const p = validPolicy();
    p.tiers.top.offers[0].costCeilingMinor = -5;
    writeFileSync(bad, JSON.stringify(p));
    expect(() => loadOfferPolicy(bad)).toThrow(
      `${bad}: tiers.top.offers[0].costCeilingMinor must be a positive integer`,
    );
  });
});
