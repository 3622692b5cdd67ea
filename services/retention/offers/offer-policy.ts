// The retention offer policy (README.md in this folder): which offer each value tier gets, what it
// may cost, how often a customer may be contacted, how much each tier may spend a day and which
// share of at-risk customers is held out. Configuration, not code: a JSON file read and checked
// once at start, so a bad policy stops the worker with the file and the JSON path of the problem
// instead of surfacing later as offers nobody can explain.

import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../../../shared/errors.js';

export { DAY_MS } from '../settings.js';

/**
 * Tiers a policy covers: the value tiers of value segmentation (`top2`, `top`, `middle`,
 * `bottom`), `lapsed` (no purchase left in the ranking window), and `unknown` — a customer with
 * no tier yet (new, or no tier table published yet). Every one must be in the policy: a missing
 * tier is a mistake, never a silent fallback.
 */
export const OFFER_TIERS = ['top2', 'top', 'middle', 'bottom', 'lapsed', 'unknown'] as const;
export type OfferTier = (typeof OFFER_TIERS)[number];

export interface Offer {
  /** Offer code marketing automation acts on, e.g. FREE_DEVICE_TICKETS. */
  readonly code: string;
  /** What the customer gets, human-readable. */
  readonly description: string;
  /** Most the business may spend on it, minor units of the policy's currency; charged to the budget. */
  readonly costCeilingMinor: number;
  /** 1 = most urgent (RetentionOfferIssued.priority); within a tier, the lowest is tried first. */
  readonly priority: number;
  /** The offer expires this many days after the decision. */
  readonly validityDays: number;
}

export interface TierPolicy {
  /** Sorted by priority, most urgent (lowest number) first; empty = no paid offer. */
  readonly offers: readonly Offer[];
  /** Spend allowed per UTC day over all partitions, minor units; 0 when there is no paid offer. */
  readonly dailyBudgetMinor: number;
  /** The tier's own cooldown, or the policy's when the file gives none. */
  readonly cooldownDays: number;
}

export interface OfferPolicy {
  /** ISO 4217 code of every cost ceiling and budget. */
  readonly currency: string;
  /** The policy-wide cooldown (tiers may override it; TierPolicy.cooldownDays is the one applied). */
  readonly cooldownDays: number;
  /** Share of eligible at-risk customers held out in each tier, 0 ≤ s < 1. */
  readonly holdoutShare: number;
  readonly tiers: Readonly<Record<OfferTier, TierPolicy>>;
}

// --- the file format ---------------------------------------------------------------------------

const gotText = (input: unknown): string => {
  const text = JSON.stringify(input) ?? String(input);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};

/** Error messages that read after a JSON path: "… must be a positive integer (got -5)". */
const must = (expectation: string) => ({
  error: (issue: { input?: unknown }) =>
    issue.input === undefined ? 'is required' : `must be ${expectation} (got ${gotText(issue.input)})`,
});

const objectError = (what: string, shape: Record<string, unknown>) => ({
  error: (issue: { code?: string; input?: unknown }) => {
    if (issue.code === 'unrecognized_keys') return `known keys: ${Object.keys(shape).join(', ')}`;
    return issue.input === undefined ? 'is required' : `must be ${what} (got ${gotText(issue.input)})`;
  },
});

const strict = <Shape extends z.ZodRawShape>(what: string, shape: Shape) =>
  z.strictObject(shape, objectError(what, shape));

const comment = z.string(must('a string')).optional();
const upTo = (max: number) => (max === Number.MAX_SAFE_INTEGER ? '' : ` up to ${max}`);
const positiveInt = (max = Number.MAX_SAFE_INTEGER) => {
  const expectation = must(`a positive integer${upTo(max)}`);
  return z.int(expectation).min(1, expectation).max(max, expectation);
};
const nonNegativeInt = (max = Number.MAX_SAFE_INTEGER) => {
  const expectation = must(`a non-negative integer${upTo(max)}`);
  return z.int(expectation).min(0, expectation).max(max, expectation);
};

const OFFER_CODE = /^[A-Z][A-Z0-9_]{0,63}$/;

const offerFileSchema = strict('an offer object', {
  $comment: comment,
  code: z
    .string(must('an offer code such as FREE_MINUTES_100'))
    .regex(OFFER_CODE, must('an offer code of capitals, digits and _ such as FREE_MINUTES_100')),
  description: z
    .string(must('a non-empty text of at most 500 characters'))
    .trim()
    .min(1, must('a non-empty text of at most 500 characters'))
    .max(500, must('a non-empty text of at most 500 characters')),
  costCeilingMinor: positiveInt(),
  // RetentionOfferIssued.priority is an Avro int.
  priority: positiveInt(2_147_483_647),
  validityDays: positiveInt(366),
});

const tierFileSchema = strict('a tier policy object', {
  $comment: comment,
  offers: z.array(offerFileSchema, must('a list of offers ([] = no paid offer)')),
  dailyBudgetMinor: nonNegativeInt().optional(),
  cooldownDays: nonNegativeInt(3660).optional(),
});

const tiersFileShape = Object.fromEntries(OFFER_TIERS.map((tier) => [tier, tierFileSchema])) as Record<
  OfferTier,
  typeof tierFileSchema
>;

/** Schema of the policy file as written (before the checks across fields and the normalisation). */
export const offerPolicyFileSchema = strict('a JSON object', {
  $comment: comment,
  currency: z
    .string(must('an ISO 4217 code such as EUR'))
    .regex(/^[A-Z]{3}$/, must('an ISO 4217 code such as EUR')),
  cooldownDays: nonNegativeInt(3660),
  holdoutShare: z
    .number(must('a share in [0, 1)'))
    .min(0, must('a share in [0, 1)'))
    .lt(1, must('a share in [0, 1)')),
  tiers: strict(`an object with the tiers ${OFFER_TIERS.join(', ')}`, tiersFileShape),
}).superRefine((policy, ctx) => {
  // The same code must mean the same offer everywhere: marketing automation acts on the code.
  const byCode = new Map<string, { path: string; description: string; costCeilingMinor: number }>();
  for (const tier of OFFER_TIERS) {
    const { offers, dailyBudgetMinor } = policy.tiers[tier];
    const codes = new Set<string>();
    const priorities = new Set<number>();
    offers.forEach((offer, i) => {
      const path = ['tiers', tier, 'offers', i];
      if (codes.has(offer.code))
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'code'],
          message: `repeats offer ${offer.code} in the tier`,
        });
      codes.add(offer.code);
      if (priorities.has(offer.priority))
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'priority'],
          message: `repeats priority ${offer.priority} in the tier (the order of offers must be unambiguous)`,
        });
      priorities.add(offer.priority);
      const seen = byCode.get(offer.code);
      if (seen === undefined) {
        byCode.set(offer.code, { path: formatPath(path), ...offer });
      } else if (seen.description !== offer.description || seen.costCeilingMinor !== offer.costCeilingMinor) {
        ctx.addIssue({
          code: 'custom',
          path,
          message: `reuses code ${offer.code} of ${seen.path} with another description or cost ceiling (one code, one offer)`,
        });
      }
    });
    if (offers.length === 0) {
      if (dailyBudgetMinor !== undefined && dailyBudgetMinor !== 0)
        ctx.addIssue({
          code: 'custom',
          path: ['tiers', tier, 'dailyBudgetMinor'],
          message: `must be 0 or absent for a tier with no paid offer (got ${dailyBudgetMinor})`,
        });
    } else {
      const cheapest = Math.min(...offers.map((o) => o.costCeilingMinor));
      if (dailyBudgetMinor === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['tiers', tier, 'dailyBudgetMinor'],
          message: 'is required for a tier with offers',
        });
      else if (dailyBudgetMinor < cheapest)
        ctx.addIssue({
          code: 'custom',
          path: ['tiers', tier, 'dailyBudgetMinor'],
          message: `must cover the tier's cheapest offer (${cheapest}), or the tier could never make an offer (got ${dailyBudgetMinor})`,
        });
    }
  }
});

export type OfferPolicyFile = z.infer<typeof offerPolicyFileSchema>;

// --- parsing -----------------------------------------------------------------------------------

/** `tiers.top.offers[0].costCeilingMinor`; the root is `policy`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else text += text === '' ? String(part) : `.${String(part)}`;
  }
  return text === '' ? 'policy' : text;
}

function describeIssue(issue: z.core.$ZodIssue): string[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map(
      (key) => `${formatPath([...issue.path, key])} is not a known key (${issue.message})`,
    );
  }
  return [`${formatPath(issue.path)} ${issue.message}`];
}

function normalise(file: OfferPolicyFile): OfferPolicy {
  const tiers = Object.fromEntries(
    OFFER_TIERS.map((tier) => {
      const t = file.tiers[tier];
      const offers = [...t.offers]
        .sort((a, b) => a.priority - b.priority)
        .map(({ code, description, costCeilingMinor, priority, validityDays }) =>
          Object.freeze({ code, description, costCeilingMinor, priority, validityDays }),
        );
      const policy: TierPolicy = {
        offers: Object.freeze(offers),
        dailyBudgetMinor: t.dailyBudgetMinor ?? 0,
        cooldownDays: t.cooldownDays ?? file.cooldownDays,
      };
      return [tier, Object.freeze(policy)];
    }),
  ) as Record<OfferTier, TierPolicy>;
  return Object.freeze({
    currency: file.currency,
    cooldownDays: file.cooldownDays,
    holdoutShare: file.holdoutShare,
    tiers: Object.freeze(tiers),
  });
}

/**
 * Parses and checks a policy file's text. Throws a ConfigError whose variable is `sourceName`
 * and whose message names the JSON path of every problem, e.g.
 * `policy.json: tiers.top.offers[0].costCeilingMinor must be a positive integer … (got -5)`.
 */
export function parseOfferPolicy(text: string, sourceName: string): OfferPolicy {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(sourceName, `is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = offerPolicyFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(sourceName, parsed.error.issues.flatMap(describeIssue).join('; '));
  }
  return normalise(parsed.data);
}

/** Reads and parses the policy file at `path` (at start); a ConfigError names the file. */
export function loadOfferPolicy(path: string): OfferPolicy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, `cannot read the offer policy: ${(error as Error).message}`);
  }
  return parseOfferPolicy(text, path);
}
