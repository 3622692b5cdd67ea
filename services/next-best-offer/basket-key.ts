// A partition's basket counters: one Redis hash field per (UTC day, distinct item set),
// `nbo:b:<day>:<items>`, valued with the number of baskets that held exactly that item set on that
// day. Items are sorted (string order) and deduplicated so the same basket always lands on the same
// field, whichever partition and order it came in; each item is escaped so that any string (commas,
// colons, percent signs, the empty string) survives the round trip and two baskets never share a
// field.

import type { Item } from './model.js';
import { DAY_MS } from './settings.js';

export const BASKET_FIELD_PREFIX = 'nbo:b:';

const ITEM_SEPARATOR = ',';
/** Stands for the empty item; escaping never produces a lone `%E`, so it cannot clash. */
const EMPTY_ITEM = '%E';

/** The UTC day number of an instant: floor(epochMs / 86 400 000). */
export function utcDayOf(epochMs: number): number {
  return Math.floor(epochMs / DAY_MS);
}

/** Sorted ascending (string order), duplicates dropped: the canonical form of a basket. */
export function canonicalBasket(items: Iterable<Item>): Item[] {
  return [...new Set(items)].sort(compareItems);
}

export function compareItems(a: Item, b: Item): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function escapeItem(item: Item): string {
  if (item === '') return EMPTY_ITEM;
  return item.replaceAll('%', '%25').replaceAll(ITEM_SEPARATOR, '%2C');
}

function unescapeItem(token: string): Item | undefined {
  if (token === EMPTY_ITEM) return '';
  if (token === '') return undefined;
  let item = '';
  for (let i = 0; i < token.length; i += 1) {
    const c = token[i]!;
    if (c !== '%') {
      item += c;
      continue;
    }
    const code = token.slice(i + 1, i + 3);
    if (code === '25') item += '%';
    else if (code === '2C') item += ITEM_SEPARATOR;
    else return undefined;
    i += 2;
  }
  return item;
}

/** The item part of a basket's field: canonical items, escaped, comma-separated. */
export function encodeItems(items: Iterable<Item>): string {
  return canonicalBasket(items).map(escapeItem).join(ITEM_SEPARATOR);
}

/** The counter field of a basket bought on a UTC day. */
export function basketField(day: number, items: Iterable<Item>): string {
  if (!Number.isSafeInteger(day)) throw new RangeError(`basket day must be a safe integer, got ${day}`);
  return `${BASKET_FIELD_PREFIX}${day}:${encodeItems(items)}`;
}

export interface DecodedBasketField {
  readonly day: number;
  readonly items: readonly Item[];
}

/**
 * The inverse of basketField: the day and items, or undefined for a field basketField never writes
 * (another prefix, a malformed day or escape, items not in canonical order). Accepting only the
 * canonical form keeps the encoding a bijection, so two fields never describe the same basket.
 */
export function decodeBasketField(field: string): DecodedBasketField | undefined {
  if (!field.startsWith(BASKET_FIELD_PREFIX)) return undefined;
  const rest = field.slice(BASKET_FIELD_PREFIX.length);
  const colon = rest.indexOf(':');
  if (colon < 0) return undefined;
  const dayText = rest.slice(0, colon);
  if (!/^(0|-?[1-9]\d*)$/.test(dayText)) return undefined;
  const day = Number(dayText);
  if (!Number.isSafeInteger(day)) return undefined;
  const itemsText = rest.slice(colon + 1);
  if (itemsText === '') return { day, items: [] };
  const items: Item[] = [];
  for (const token of itemsText.split(ITEM_SEPARATOR)) {
    const item = unescapeItem(token);
    if (item === undefined) return undefined;
    const previous = items[items.length - 1];
    if (previous !== undefined && compareItems(previous, item) >= 0) return undefined;
    items.push(item);
  }
  return { day, items };
}
