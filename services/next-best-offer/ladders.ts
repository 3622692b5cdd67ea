// Life-cycle ladders: ordered items a customer climbs over the years (a child's savings account,
// a youth account, a family account, a pension plan). Configuration, not learned: a JSON file
// read and checked once at start, so a bad ladder stops the worker naming the file and the JSON
// path of each problem.
//
// {
//   "ladders": [
//     { "name": "savings", "rungs": ["child-savings", "youth-account", "family-account", "pension-plan"],
//       "probability": 0.2 }
//   ]
// }
//
// `probability` is the configured chance that a customer on a rung takes the next one: it plays
// the part of a rule's lift or a step's share in the expected value of the suggestion.

import { z } from 'zod';
import { ConfigError } from '../../shared/errors.js';
import type { Item } from './model.js';

export interface Ladder {
  readonly name: string;
  /** Lowest first; no item twice. */
  readonly rungs: readonly Item[];
  /** In (0, 1]. */
  readonly probability: number;
}

const gotText = (input: unknown): string => {
  const text = JSON.stringify(input) ?? String(input);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};

const must = (expectation: string) => ({
  error: (issue: { input?: unknown; code?: string; keys?: string[] }) => {
    if (issue.code === 'unrecognized_keys') return `has unknown keys ${(issue.keys ?? []).join(', ')}`;
    return issue.input === undefined ? 'is required' : `must be ${expectation} (got ${gotText(issue.input)})`;
  },
});

const item = z.string(must('an item (a non-empty string)')).min(1, must('an item (a non-empty string)'));

const ladderSchema = z
  .strictObject(
    {
      $comment: z.string(must('a string')).optional(),
      name: z.string(must('a non-empty name')).trim().min(1, must('a non-empty name')),
      rungs: z.array(item, must('a list of at least 2 items')).min(2, must('a list of at least 2 items')),
      probability: z
        .number(must('a probability in (0, 1]'))
        .gt(0, must('a probability in (0, 1]'))
        .max(1, must('a probability in (0, 1]')),
    },
    must('a ladder object with name, rungs and probability'),
  )
  .superRefine((ladder, ctx) => {
    const seen = new Map<Item, number>();
    ladder.rungs.forEach((rung, i) => {
      const first = seen.get(rung);
      if (first !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['rungs', i],
          message: `repeats ${gotText(rung)} of rungs[${first}] (a ladder climbs, it never comes back)`,
        });
      else seen.set(rung, i);
    });
  });

const laddersFileSchema = z
  .strictObject(
    {
      $comment: z.string(must('a string')).optional(),
      ladders: z.array(ladderSchema, must('a list of ladders')),
    },
    must('a JSON object with a list "ladders"'),
  )
  .superRefine((file, ctx) => {
    const names = new Map<string, number>();
    file.ladders.forEach((ladder, i) => {
      const first = names.get(ladder.name);
      if (first !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['ladders', i, 'name'],
          message: `repeats the name of ladders[${first}]`,
        });
      else names.set(ladder.name, i);
    });
  });

function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else text += text === '' ? String(part) : `.${String(part)}`;
  }
  return text === '' ? '(the file)' : text;
}

/** Parses and checks a ladder file's text; a ConfigError names `sourceName` and every problem's path. */
export function parseLadders(text: string, sourceName: string): readonly Ladder[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(sourceName, `is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = laddersFileSchema.safeParse(json);
  if (!parsed.success)
    throw new ConfigError(
      sourceName,
      parsed.error.issues.map((issue) => `${formatPath(issue.path)} ${issue.message}`).join('; '),
    );
  return Object.freeze(
    parsed.data.ladders.map(({ name, rungs, probability }) =>
      Object.freeze({ name, rungs: Object.freeze([...rungs]), probability }),
    ),
  );
}

export interface NextRung {
  /** The highest rung the customer owns. */
  readonly highestOwned: Item;
  /** The rung above it. */
  readonly next: Item;
}

/**
 * The rung a customer would take next: the first rung above the highest rung they own. Null when
 * they own none of the ladder (they are not on it: where to start is cross-sell's business) or
 * own its top. Rungs skipped below the highest are not offered: a customer with a family account
 * is past the youth account.
 */
export function nextRung(ladder: Ladder, owned: ReadonlySet<Item>): NextRung | null {
  for (let i = ladder.rungs.length - 1; i >= 0; i--) {
    const rung = ladder.rungs[i]!;
    if (owned.has(rung)) {
      const next = ladder.rungs[i + 1];
      return next === undefined ? null : { highestOwned: rung, next };
    }
  }
  return null;
}
