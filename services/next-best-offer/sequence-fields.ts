// The counter field names of the up-sell sequences, one encoding for every kind:
//   nbo:a:<A>               customers who bought A (the denominator of a step's share)
//   nbo:s:<A>><B>           customers whose first A was followed by a first B within the horizon
//   nbo:g:<A>><B>:<gap>     the same customers, by gap bucket (its lower bound in days)
// Items are arbitrary strings, so `%`, `>` and `:` inside an item are percent-escaped (`%25`,
// `%3E`, `%3A`): an encoded item never holds a separator, and every field parses back to exactly
// the items it was built from.

import type { Item } from './model.js';

export const SEQUENCE_PREFIX = 'nbo:';
const FROM_PREFIX = 'nbo:a:';
const STEP_PREFIX = 'nbo:s:';
const GAP_PREFIX = 'nbo:g:';
/** Customers with at least one first purchase: the population the steps' lift is taken against. */
export const CUSTOMERS_FIELD = 'nbo:c';

/** A field of the up-sell steps (not of the baskets or economics that share the `nbo:` prefix). */
export function isSequenceField(field: string): boolean {
  return (
    field === CUSTOMERS_FIELD ||
    field.startsWith(FROM_PREFIX) ||
    field.startsWith(STEP_PREFIX) ||
    field.startsWith(GAP_PREFIX)
  );
}

const ESCAPES: Readonly<Record<string, string>> = { '%': '%25', '>': '%3E', ':': '%3A' };
const UNESCAPES: Readonly<Record<string, string>> = { '%25': '%', '%3E': '>', '%3A': ':' };

export function encodeItem(item: Item): string {
  return item.replace(/[%>:]/g, (c) => ESCAPES[c]!);
}

/** The item an encodeItem output came from; null when the text is not such an output. */
export function decodeItem(encoded: string): Item | null {
  if (/[>:]/.test(encoded)) return null;
  let ok = true;
  const item = encoded.replace(/%(..)?/g, (escaped) => {
    const c = UNESCAPES[escaped];
    if (c === undefined) ok = false;
    return c ?? '';
  });
  return ok ? item : null;
}

export const fromField = (item: Item): string => `${FROM_PREFIX}${encodeItem(item)}`;

export const stepField = (from: Item, to: Item): string =>
  `${STEP_PREFIX}${encodeItem(from)}>${encodeItem(to)}`;

export const gapField = (from: Item, to: Item, gapBucket: number): string =>
  `${GAP_PREFIX}${encodeItem(from)}>${encodeItem(to)}:${gapBucket}`;

export type SequenceField =
  | { readonly kind: 'customers' }
  | { readonly kind: 'from'; readonly item: Item }
  | { readonly kind: 'step'; readonly from: Item; readonly to: Item }
  | { readonly kind: 'gap'; readonly from: Item; readonly to: Item; readonly gapBucket: number };

function parsePair(text: string): { from: Item; to: Item } | null {
  const parts = text.split('>');
  if (parts.length !== 2) return null;
  const from = decodeItem(parts[0]!);
  const to = decodeItem(parts[1]!);
  return from === null || to === null ? null : { from, to };
}

/** What a field counts; null for a field that is not a sequence counter (another part's, or malformed). */
export function parseSequenceField(field: string): SequenceField | null {
  if (field === CUSTOMERS_FIELD) return { kind: 'customers' };
  if (field.startsWith(FROM_PREFIX)) {
    const item = decodeItem(field.slice(FROM_PREFIX.length));
    return item === null ? null : { kind: 'from', item };
  }
  if (field.startsWith(STEP_PREFIX)) {
    const pair = parsePair(field.slice(STEP_PREFIX.length));
    return pair === null ? null : { kind: 'step', ...pair };
  }
  if (field.startsWith(GAP_PREFIX)) {
    const rest = field.slice(GAP_PREFIX.length);
    const colon = rest.lastIndexOf(':');
    if (colon < 0) return null;
    const bucketText = rest.slice(colon + 1);
    if (!/^[1-9][0-9]{0,5}$/.test(bucketText)) return null;
    const pair = parsePair(rest.slice(0, colon));
    return pair === null ? null : { kind: 'gap', ...pair, gapBucket: Number(bucketText) };
  }
  return null;
}
