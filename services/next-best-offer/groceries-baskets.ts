// The Groceries baskets as the data set ships them (groceries_transactions_long.csv.gz: one row per
// item of a basket), read for the checks against arules' published figures. Not data of ours: the
// file stays in the shared data folder (DATASETS_DIR).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { datasetsDir } from '../../shared/datasets-dir.js';

export interface GroceryItem {
  /** The 3-digit category code of Groceries.labels. */
  readonly code: string;
  /** The English name arules labels the item with. */
  readonly item: string;
}

export function groceriesFile(): string {
  return join(datasetsDir('groceries'), 'groceries', 'groceries_transactions_long.csv.gz');
}

/** transaction_id → its items in file order, baskets in file order, from the long CSV's text. */
export function parseGroceryBaskets(text: string, source: string): Map<string, GroceryItem[]> {
  const [header, ...lines] = text.split(/\r?\n/).filter((l) => l !== '');
  if (header === undefined) throw new Error(`${source}: empty`);
  const names = header.split(',');
  const id = names.indexOf('transaction_id');
  const code = names.indexOf('item_code');
  const item = names.indexOf('item');
  if (id < 0 || code < 0 || item < 0)
    throw new Error(`${source}: no transaction_id, item_code or item column`);
  const baskets = new Map<string, GroceryItem[]>();
  for (const line of lines) {
    const cells = line.split(',');
    if (cells.length !== names.length) throw new Error(`${source}: bad row ${JSON.stringify(line)}`);
    const list = baskets.get(cells[id]!) ?? [];
    list.push({ code: cells[code]!, item: cells[item]! });
    baskets.set(cells[id]!, list);
  }
  return baskets;
}

export function readGroceryBaskets(path = groceriesFile()): Map<string, GroceryItem[]> {
  return parseGroceryBaskets(gunzipSync(readFileSync(path)).toString('utf8'), path);
}
