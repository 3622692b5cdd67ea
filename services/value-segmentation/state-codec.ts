// Customer state as stored in Redis, one hash field per customer: a short text of base-36
// integers, so a million customers take tens of megabytes rather than hundreds. The encoding is
// a function of the state alone (the runtime compares encoded state to detect a change), and the
// JSON form written before it still decodes, so state in Redis from an earlier release loads.
//
//   <tier><unit><ranking>(;<start>,<valueMinor>[,<orders>],<items>)*
//
// tier: 2 top2, t top, m middle, b bottom, n none yet. Bucket starts are written in `unit`
// (d days, h hours, x milliseconds: the largest that divides every start), the first absolute
// and each next one as the step from the one before (buckets are sorted by start). `orders` is
// left out when it is 1 (a day bucket usually holds one order). `ranking` is the ranking value
// minus the sum of the buckets' values, usually 0 since every kept bucket usually counts in the
// ranking window; `!<ranking value>` when that difference is not exact in a double.

import type { CustomerValueState } from './decide.js';
import { DAY_MS } from './settings.js';
import type { ValueTier } from './tiers.js';
import type { Bucket } from './windows.js';

const TIER_CODES: ReadonlyMap<ValueTier | null, string> = new Map<ValueTier | null, string>([
  ['top2', '2'],
  ['top', 't'],
  ['middle', 'm'],
  ['bottom', 'b'],
  [null, 'n'],
]);
const TIERS_BY_CODE: ReadonlyMap<string, ValueTier | null> = new Map(
  [...TIER_CODES].map(([tier, code]) => [code, tier]),
);
const HOUR_MS = 3_600_000;
const UNITS: ReadonlyMap<string, number> = new Map([
  ['d', DAY_MS],
  ['h', HOUR_MS],
  ['x', 1],
]);

function unitOf(buckets: readonly Bucket[]): string {
  for (const [code, ms] of UNITS) if (buckets.every(([start]) => start % ms === 0)) return code;
  return 'x';
}

const b36 = (n: number): string => n.toString(36);

/** The sum of the values, or null when some partial sum is not exact in a double. */
function exactSum(buckets: readonly Bucket[]): number | null {
  let sum = 0;
  for (const [, value] of buckets) {
    sum += value;
    if (!Number.isSafeInteger(sum)) return null;
  }
  return sum;
}

export function encodeState(state: CustomerValueState): string {
  const unit = unitOf(state.buckets);
  const unitMs = UNITS.get(unit)!;
  const sum = exactSum(state.buckets);
  const difference = sum === null ? Number.NaN : state.rankingValueMinor - sum;
  const ranking = Number.isSafeInteger(difference) ? b36(difference) : `!${b36(state.rankingValueMinor)}`;
  let text = `${TIER_CODES.get(state.tier)}${unit}${ranking}`;
  let previous = 0;
  for (const [start, value, orders, items] of state.buckets) {
    const at = start / unitMs;
    text += `;${b36(at - previous)},${b36(value)}${orders === 1 ? '' : `,${b36(orders)}`},${b36(items)}`;
    previous = at;
  }
  return text;
}

const INTEGER_36 = /^-?[0-9a-z]+$/;

function integer36(text: string): number {
  const n = INTEGER_36.test(text) ? Number.parseInt(text, 36) : Number.NaN;
  if (!Number.isSafeInteger(n))
    throw new Error(`value-segmentation state has a malformed number ${JSON.stringify(text)}`);
  return n;
}

function decodeCompact(encoded: string): CustomerValueState {
  const [head = '', ...parts] = encoded.split(';');
  if (!TIERS_BY_CODE.has(head[0] ?? ''))
    throw new Error(`value-segmentation state has an unknown tier code ${JSON.stringify(head[0])}`);
  const unitMs = UNITS.get(head[1] ?? '');
  if (unitMs === undefined)
    throw new Error(`value-segmentation state has an unknown unit ${JSON.stringify(head[1])}`);
  let previous = 0;
  const buckets: Bucket[] = parts.map((part) => {
    const fields = part.split(',').map(integer36);
    if (fields.length !== 3 && fields.length !== 4)
      throw new Error('value-segmentation state has a bucket without three or four numbers');
    const [step, value, orders, items] = (
      fields.length === 3 ? [fields[0], fields[1], 1, fields[2]] : fields
    ) as [number, number, number, number];
    previous += step;
    const start = previous * unitMs;
    if (!Number.isSafeInteger(start))
      throw new Error('value-segmentation state has a bucket start out of range');
    return [start, value, orders, items];
  });
  const ranking = head.slice(2);
  let rankingValueMinor: number;
  if (ranking.startsWith('!')) rankingValueMinor = integer36(ranking.slice(1));
  else {
    const sum = exactSum(buckets);
    rankingValueMinor = sum === null ? Number.NaN : sum + integer36(ranking);
    if (!Number.isSafeInteger(rankingValueMinor))
      throw new Error('value-segmentation state has a ranking value out of range');
  }
  return { buckets, tier: TIERS_BY_CODE.get(head[0]!)!, rankingValueMinor };
}

const TIERS: ReadonlySet<string> = new Set<ValueTier>(['top2', 'top', 'middle', 'bottom']);

function isBucket(value: unknown): value is Bucket {
  return Array.isArray(value) && value.length === 4 && value.every((n) => Number.isSafeInteger(n));
}

/** The form written before the compact one. */
function decodeJson(encoded: string): CustomerValueState {
  const parsed: unknown = JSON.parse(encoded);
  if (typeof parsed !== 'object' || parsed === null)
    throw new Error('value-segmentation state is not an object');
  const { buckets, tier, rankingValueMinor } = parsed as Record<string, unknown>;
  if (!Array.isArray(buckets) || !buckets.every(isBucket)) {
    throw new Error('value-segmentation state has malformed buckets');
  }
  if (tier !== null && (typeof tier !== 'string' || !TIERS.has(tier))) {
    throw new Error(`value-segmentation state has an unknown tier ${JSON.stringify(tier)}`);
  }
  if (!Number.isSafeInteger(rankingValueMinor)) {
    throw new Error('value-segmentation state has no whole ranking value');
  }
  return { buckets, tier: tier as ValueTier | null, rankingValueMinor: rankingValueMinor as number };
}

export function decodeState(encoded: string): CustomerValueState {
  // No compact text starts with a bracket (its first character is a tier code).
  return encoded.startsWith('{') || encoded.startsWith('[') ? decodeJson(encoded) : decodeCompact(encoded);
}
