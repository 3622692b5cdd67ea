import { describe, expect, it } from 'vitest';
import { describeProgress, progressOf } from './applied-offsets.js';

describe('progress from Redis applied offsets', () => {
  const targets = new Map([
    ['purchases', { low: [0n, 0n, 0n], high: [10n, 5n, 0n] }],
    ['customer-profiles', { low: [0n, 0n, 0n], high: [0n, 2n, 0n] }],
  ]);

  it('is done when every non-empty partition has applied its last offset (high watermark - 1)', () => {
    const done = progressOf(
      targets,
      new Map([
        ['purchases', [9n, 4n, null]],
        ['customer-profiles', [null, 1n, null]],
      ]),
    );
    expect(done).toMatchObject({ done: true, appliedRecords: 17, totalRecords: 17, behind: [] });
  });

  it('counts records up to the applied offset and names the partitions behind', () => {
    const p = progressOf(targets, new Map([['purchases', [3n, 4n, null]]]));
    expect(p.done).toBe(false);
    expect(p.appliedRecords).toBe(4 + 5);
    expect(p.behind).toEqual([
      { topic: 'purchases', partition: 0, applied: 3n, end: 10n },
      { topic: 'customer-profiles', partition: 1, applied: null, end: 2n },
    ]);
    expect(describeProgress(p)).toBe(
      'applied 9 of 17 records (52.9 %); partitions behind: purchases/0 at offset 3 of end 10, ' +
        'customer-profiles/1 at nothing of end 2',
    );
  });

  it('counts from the low watermark, so deleted records are not expected', () => {
    const p = progressOf(
      new Map([['purchases', { low: [100n], high: [110n] }]]),
      new Map([['purchases', [104n]]]),
    );
    expect(p).toMatchObject({ appliedRecords: 5, totalRecords: 10, done: false });
  });
});
