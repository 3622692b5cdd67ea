// Reading the Groceries long CSV: one basket per transaction id, its items with their codes in file
// order; a file of another shape is refused rather than read wrong.

import { describe, expect, it } from 'vitest';
import { parseGroceryBaskets } from './groceries-baskets.js';

const header = 'transaction_id,item_code,item,level2,level1,count_in_basket';

describe('parseGroceryBaskets', () => {
  it('groups the rows by transaction, keeping codes and names', () => {
    const text = [
      header,
      '1,111,citrus fruit,fruit,fruit and vegetables,1',
      '1,286,semi-finished bread,bread and backed goods,fresh products,1',
      '2,101,tropical fruit,fruit,fruit and vegetables,2',
      '',
    ].join('\r\n');
    expect([...parseGroceryBaskets(text, 'f')]).toEqual([
      [
        '1',
        [
          { code: '111', item: 'citrus fruit' },
          { code: '286', item: 'semi-finished bread' },
        ],
      ],
      ['2', [{ code: '101', item: 'tropical fruit' }]],
    ]);
  });

  it('refuses a file without the columns or with a ragged row', () => {
    expect(() => parseGroceryBaskets('transaction_id,item\n1,milk', 'f')).toThrow(/item_code/);
    expect(() => parseGroceryBaskets(`${header}\n1,111,milk`, 'f')).toThrow(/bad row/);
    expect(() => parseGroceryBaskets('', 'f')).toThrow(/empty/);
  });
});
