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

  it('counts its quiet time from the last record Kafka handed it, or its assignment', () => {
    const task = new PartitionTask(0);
    task.lastRecordAt = 1_000; // assigned
    expect(task.quietWaitLeft(1_500, 3_000)).toBe(2_500);
    task.append([], 2_000);
    expect(task.quietWaitLeft(2_000, 3_000), 'a fetch with nothing in it is quiet').toBe(2_000);
    task.append([record(1)], 2_500);
    expect(task.quietWaitLeft(4_000, 3_000)).toBe(1_500);
    expect(task.quietWaitLeft(5_500, 3_000)).toBe(0);
    expect(task.quietWaitLeft(2_500, 0), 'no wait configured').toBe(0);
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
