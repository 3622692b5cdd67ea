// The window checks look at the day's baskets only: a worker whose stream went on holds later
// baskets, which stay in a later window without the day's baskets having stayed.

import { describe, expect, it } from 'vitest';
import { basketField } from './basket-key.js';
import { windowChecks } from './groceries-checks.js';

const DAY = 20_000;

const byName = (checks: { name: string; got: string }[]) =>
  Object.fromEntries(checks.map((c) => [c.name, c.got]));

describe('windowChecks', () => {
  it("counts the day's baskets in the next day's window and none of them once the day has left it", () => {
    const partitions = [
      { [basketField(DAY, ['milk', 'bread'])]: 3, [basketField(DAY + 2, ['tick'])]: 1 },
      { [basketField(DAY, ['beer'])]: 2, 'nbo:b:x': 1, 'nbo:e:milk': 7 },
    ];
    const { baskets, checks } = windowChecks(partitions, DAY, 30);
    expect(baskets).toEqual([
      { items: ['beer'], count: 2 },
      { items: ['bread', 'milk'], count: 3 },
    ]);
    expect(byName(checks)).toEqual({
      'baskets in the window (N)': '5',
      items: '3',
      'malformed fields': '1',
      "the day's baskets once it has left the window": '0',
    });
  });
});
