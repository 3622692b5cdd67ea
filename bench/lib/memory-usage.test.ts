import { describe, expect, it } from 'vitest';
import { kindOfKey, totalsByKind } from './memory-usage.js';

describe('memory usage grouping', () => {
  it('names a key by what follows its partition hash tag, or by its last word before a boundary', () => {
    expect(kindOfKey('run-x:{value-segmentation:3}:recent-events')).toBe('recent-events');
    expect(kindOfKey('run-x:{value-segmentation:11}:customers')).toBe('customers');
    expect(kindOfKey('run-x:{value-segmentation:11}:index:305')).toBe('index');
    expect(kindOfKey('run-x:{value-segmentation:11}:timers:age-out:7')).toBe('timers:age-out');
    expect(kindOfKey('run-x:{value-segmentation:11}:timer-due')).toBe('timer-due');
    expect(kindOfKey('run-x:{value-segmentation:population}:1704067200000')).toBe('population');
    expect(kindOfKey('run-x:value-segmentation:population:1704067200000')).toBe('population');
    expect(kindOfKey('plain')).toBe('plain');
  });

  it('adds bytes, keys and elements per kind, largest first', () => {
    const totals = totalsByKind([
      { key: 'p:{w:0}:index', type: 'zset', encoding: 'skiplist', bytes: 100, length: 3 },
      { key: 'p:{w:0}:customers', type: 'hash', encoding: 'hashtable', bytes: 500, length: 3 },
      { key: 'p:{w:1}:customers', type: 'hash', encoding: 'listpack', bytes: 50, length: 1 },
    ]);
    expect(totals).toEqual([
      { kind: 'customers', keys: 2, elements: 4, bytes: 550, encodings: { hashtable: 1, listpack: 1 } },
      { kind: 'index', keys: 1, elements: 3, bytes: 100, encodings: { skiplist: 1 } },
    ]);
  });
});
