import { describe, expect, it } from 'vitest';
import type { RawRecord } from '../runtime/raw-record.js';
import { PartitionTask } from './partition-task.js';

const record = (offset: number): RawRecord => ({
  topic: 't',
  logicalTopic: 't',
  partition: 0,
  offset: String(offset),
  key: Buffer.from('k'),
  value: Buffer.alloc(10),
  headers: {},
  timestamp: '0',
});

describe('PartitionTask', () => {
  it('peeks without taking, and takes back records a step could not prepare, in order', () => {
    const task = new PartitionTask(0);
    task.append([record(1), record(2), record(3)], 0);
    expect(task.peek(2).map((r) => r.offset)).toEqual(['1', '2']);
    expect(task.bufferedRecords).toBe(3);
    const taken = task.take(2);
    expect(task.bufferedBytes).toBe(11);
    task.putBack(taken);
    expect(task.bufferedBytes).toBe(33);
    expect(task.take(10).map((r) => r.offset)).toEqual(['1', '2', '3']);
    expect(task.hasRecords).toBe(false);
  });

  it('is ready with no record left after a failed step, to claim again (which produces its outbox), once its backoff is over', () => {
    const task = new PartitionTask(0);
    expect(task.ready(1, 0)).toBe(false);
    task.reclaim = true;
    task.retryAt = 500;
    expect(task.ready(1, 100)).toBe(false);
    expect(task.ready(1, 500)).toBe(true);
    task.fencedInGeneration = 1;
    expect(task.ready(1, 500)).toBe(false);
    task.fencedInGeneration = null;
    task.clear();
    expect(task.ready(1, 500)).toBe(false);
  });
});
