// From partition snapshots to the window's weighted baskets: days outside the window left out,
// other prefixes and empty counters ignored, the same item set summed over days and partitions.

import { describe, expect, it } from 'vitest';
import { basketField } from './basket-key.js';
import { basketsInWindow, windowAt } from './basket-window.js';

const DAY_MS = 86_400_000;

describe('windowAt', () => {
  it('is the windowDays whole UTC days before the boundary’s day', () => {
    expect(windowAt(100 * DAY_MS + 5, 30)).toEqual({ fromDay: 70, toDay: 100 });
    expect(windowAt(100 * DAY_MS, 0)).toEqual({ fromDay: 100, toDay: 100 });
    expect(() => windowAt(0, -1)).toThrow(RangeError);
  });
});

describe('basketsInWindow', () => {
  const milkBread = ['whole milk', 'bread'];
  const snapshots = [
    {
      [basketField(70, milkBread)]: 2,
      [basketField(99, ['beer'])]: 1,
      [basketField(69, milkBread)]: 5, // expired: the day before the window
      [basketField(100, ['beer'])]: 4, // the boundary's own day: not yet in the view
      'nbo:s:whatever': 9, // another counter family of the worker
    },
    {
      [basketField(85, ['bread', 'whole milk'])]: 3,
      [basketField(86, ['beer'])]: 0, // a counter brought back to zero
      [basketField(87, ['soda'])]: -1,
    },
  ];

  it('sums each item set over the window’s days and the partitions, dropping expired days', () => {
    const result = basketsInWindow(snapshots, windowAt(100 * DAY_MS, 30));
    expect(result).toEqual({
      baskets: [
        { items: ['beer'], count: 1 },
        { items: ['bread', 'whole milk'], count: 5 },
      ],
      malformedFields: 0,
    });
  });

  it('lets a day go once the window has moved past it', () => {
    expect(basketsInWindow(snapshots, windowAt(101 * DAY_MS, 30)).baskets).toEqual([
      { items: ['beer'], count: 5 },
      { items: ['bread', 'whole milk'], count: 3 },
    ]);
    expect(basketsInWindow(snapshots, windowAt(200 * DAY_MS, 30)).baskets).toEqual([]);
  });

  it('gives nothing for no partitions or an empty window', () => {
    expect(basketsInWindow([], windowAt(100 * DAY_MS, 30))).toEqual({ baskets: [], malformedFields: 0 });
    expect(basketsInWindow(snapshots, windowAt(100 * DAY_MS, 0)).baskets).toEqual([]);
  });

  it('counts basket fields it cannot read instead of mining them', () => {
    const result = basketsInWindow(
      [{ 'nbo:b:80:b,a': 1, 'nbo:b:x:a': 1, [basketField(80, ['a'])]: 1.5, [basketField(80, ['b'])]: 2 }],
      windowAt(100 * DAY_MS, 30),
    );
    expect(result).toEqual({ baskets: [{ items: ['b'], count: 2 }], malformedFields: 3 });
  });
});
