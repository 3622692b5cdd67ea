import { describe, expect, it } from 'vitest';
import { segmentWrite } from '../../test/support/segment-write.js';
import { partitionKeys } from './keys.js';
import { applyBatchArgs, parseMeta } from './partition-store.js';

describe('apply-batch arguments', () => {
  it('are laid out as the Lua header documents: guards, then counted sections', () => {
    const args = applyBatchArgs({
      epoch: 3,
      expectedVersion: 7,
      offset: { topic: 'purchases', offset: 41n },
      statePuts: new Map([['c-1', '{}']]),
      stateDeletes: ['c-2'],
      indexPuts: new Map([['c-1', 12]]),
      indexDeletes: [],
      counters: new Map([['h:c:12', 1]]),
      timerSets: new Map([['age-out|c-1', 99]]),
      timerDeletes: ['age-out|c-2'],
      outbox: [],
      metaSets: new Map([['streamTime', '50']]),
      recentEvents: { puts: new Map([['c-1', 'mxah5doa:AAAAAAAAAAA']]), deletes: ['c-2'] },
      erased: { puts: new Map([['6c3b', 40]]), deletes: ['9f1e'] },
      recentEventsSweep: { floor: 30, fields: 64 },
      producedBefore: 5,
    });
    expect(args).toEqual([
      '3',
      '7',
      'offset:purchases',
      '41',
      '5',
      '1',
      'c-1',
      '{}',
      '1',
      'c-2',
      '1',
      'c-1',
      '12',
      '0',
      '1',
      'h:c:12',
      '1',
      '1',
      'age-out|c-1',
      '99',
      '1',
      'age-out|c-2',
      '0',
      '1',
      'streamTime',
      '50',
      '1',
      'c-1',
      'mxah5doa:AAAAAAAAAAA',
      '1',
      'c-2',
      '1',
      '6c3b',
      '40',
      '1',
      '9f1e',
      // The sweep through the recent events: stream time 50 − a horizon of 20, 64 fields.
      '30',
      '64',
      // No snapshot in this step.
      '0',
    ]);
  });

  it('refuses a timer kind that could not name its buckets', () => {
    const write = (member: string) => segmentWrite(1, 0, { timerSets: new Map([[member, 5]]) });
    expect(applyBatchArgs(write('age-out|c-1'))).toContain('age-out|c-1');
    for (const bad of ['a,b|c-1', 'a:b|c-1', '|c-1', 'no-bar'])
      expect(() => applyBatchArgs(write(bad)), bad).toThrow(/timer kind/);
  });

  it('parses meta with int64 offsets', () => {
    const meta = parseMeta([
      'epoch',
      '2',
      'version',
      '9',
      'offset:purchases',
      '9007199254740993',
      'streamTime',
      '100',
    ]);
    expect(meta.offsets.get('purchases')).toBe(9007199254740993n);
    expect(meta.epoch).toBe(2);
    expect(meta.appliedBoundary).toBeNull();
  });

  it('puts every key of a partition in one hash slot', () => {
    const keys = Object.values(partitionKeys('vs', 'value-segmentation', 7));
    for (const key of keys) expect(key).toContain('{value-segmentation:7}');
  });
});
