// The in-memory runtime's own rules, on small hand-made logs: dead letters, the first record,
// pausing for a view and resuming, stalls, ids and the order of instants.

import { describe, expect, it } from 'vitest';
import { day, purchase, purchaseWorth } from '../../services/value-segmentation/test-fixtures.js';
import { createValueSegmentationWorker } from '../../services/value-segmentation/worker.js';
import { causation, deterministicEventId } from '../../shared/runtime/event-id.js';
import { InMemoryRuntime, outputEventId, runInMemory } from './in-memory-driver.js';

const worker = createValueSegmentationWorker();
const at = (offset: number, valueMinor: number, time: number, customerId = 'c-1') => ({
  offset: String(offset),
  value: purchaseWorth(valueMinor, time, 'SALE', customerId),
});

describe('the in-memory runtime', () => {
  it('dead-letters undecodable, invalid and too-late records without moving stream time', () => {
    const result = runInMemory(worker, [
      [
        at(0, 100, day(10)),
        { offset: '1', value: null },
        { offset: '2', value: purchase({ currency: 'USD', occurredAt: day(20) }) },
        at(3, 100, day(7) - 1), // more than 3 days behind day 10
        at(4, 100, day(7)), // exactly 3 days behind: still applied
      ],
    ]);
    expect(result.deadLetters).toEqual([
      { partition: 0, offset: '1', reasonCode: 'AVRO_DECODE' },
      { partition: 0, offset: '2', reasonCode: 'CURRENCY_MISMATCH' },
      { partition: 0, offset: '3', reasonCode: 'LATE_EVENT' },
    ]);
    expect(result.partitions[0]!.streamTime).toBe(day(10));
    expect(result.partitions[0]!.index.get('c-1')).toBe(200);
  });

  it('processes no instant before a partition’s first record', () => {
    const result = runInMemory(worker, [[at(0, 100, day(10)), at(1, 100, day(12) + 1)]]);
    const store = result.partitions[0]!;
    // Boundaries day 11 and day 12 were snapshotted; day 10 (the first record's time) was not.
    expect([...store.snapshots.keys()]).toEqual([day(11), day(12)]);
    expect(store.snapshots.get(day(11))).toEqual({ 'h:c:100': 1, 'h:s:100': 100 });
    // View(day 10) has nobody (the partition started then): merged at day 11, not applied.
    // View(day 11) was applied at day 12 and placed the customer (the only one: top).
    expect(result.views.map((v) => [v.boundary, v.view?.populationSize ?? null])).toEqual([
      [day(10), null],
      [day(11), 1],
    ]);
    expect(result.outputs.map((o) => [o.eventId, o.decisionLabel])).toEqual([
      [outputEventId('value-segmentation', `population/0/${day(11)}/c-1`, 'segment-changed'), 'top'],
    ]);
  });

  it('pauses a partition that needs a view until every partition has snapshotted its boundary', () => {
    const runtime = new InMemoryRuntime(worker, 2);
    runtime.append(0, [at(0, 100, day(10)), at(1, 200, day(14), 'c-2')]);
    runtime.append(1, [at(0, 300, day(10), 'c-3'), at(1, 400, day(13), 'c-3')]);
    // Partition 0 waits at day 12 (view of day 11) until partition 1 has passed day 11.
    runtime.runUntilIdle((runnable) => runnable[0]!);
    const result = runtime.result();
    // (View(day 10) is null: both partitions started at day 10 and snapshotted nobody.)
    expect(result.views.map((v) => [v.boundary, v.view?.populationSize ?? null])).toEqual([
      [day(10), null],
      [day(11), 2],
      [day(12), 2],
      [day(13), 2],
    ]);
    expect(result.partitions[0]!.states.has('c-2')).toBe(true);
    expect(result.stalledPartitions).toEqual([]);
    expect(result.partitions[0]!.view?.populationSize).toBe(2);
  });

  it('moves a partition with no record left to the boundary waited for, never further', () => {
    const runtime = new InMemoryRuntime(worker, 2);
    runtime.append(0, [at(0, 100, day(10)), at(1, 200, day(14), 'c-2')]);
    runtime.append(1, [at(0, 300, day(10), 'c-3')]);
    runtime.runUntilIdle();
    const result = runtime.result();
    // Partition 0 needs the views up to day 13 (applied a day later): partition 1, whose log
    // ended at day 10, was taken to day 13 with no record, and took its snapshots on the way.
    expect(result.stalledPartitions).toEqual([]);
    expect(result.partitions[1]!.streamTime).toBe(day(13));
    expect(result.views.map((v) => v.boundary)).toEqual([day(10), day(11), day(12), day(13)]);
    expect(result.partitions[1]!.snapshots.get(day(13))).toEqual({ 'h:c:203': 1, 'h:s:203': 300 });
  });

  it('starts a partition that has no records at the boundary waited for: its snapshots are empty', () => {
    const result = runInMemory(worker, [[at(0, 100, day(10)), at(1, 100, day(15))], []]);
    expect(result.stalledPartitions).toEqual([]);
    expect(result.views.map((v) => v.boundary)).toEqual([day(10), day(11), day(12), day(13), day(14)]);
    expect(result.partitions[1]!.states.size).toBe(0);
  });

  it('fires timers before the snapshot and the view application of the same instant', () => {
    // The only customer ages out at day 375 exactly; the snapshot of day 375 no longer holds it.
    const result = runInMemory(worker, [[at(0, 100, day(10)), at(1, 100, day(376), 'c-2')]]);
    const store = result.partitions[0]!;
    expect(store.snapshots.get(day(374))).toEqual({ 'h:c:100': 1, 'h:s:100': 100 });
    expect(store.snapshots.get(day(375))).toEqual({ 'h:c:100': 0, 'h:s:100': 0 });
    const lapse = result.outputs.find((o) => o.decisionLabel === 'lapsed')!;
    expect(lapse.eventId).toBe(
      outputEventId('value-segmentation', `timer/0/age-out/c-1/${day(375)}`, 'segment-changed'),
    );
    // View(day 375) had nobody: it was merged but not applied, so c-2 was placed with the old one.
    expect(result.views.find((v) => v.boundary === day(375))?.view).toBeNull();
    expect(result.outputs.at(-1)?.value).toMatchObject({
      customerId: 'c-2',
      fromSegment: null,
      toSegment: 'top',
    });
  });

  it('derives output ids exactly as the Redis/Kafka runtime does', () => {
    const causes = [
      [causation.record('purchases', 3, '1207'), 'purchases/3/1207'],
      [causation.timer(3, 'age-out', 'c-1', day(375)), `timer/3/age-out/c-1/${day(375)}`],
      [causation.population(3, day(11), 'c-1'), `population/3/${day(11)}/c-1`],
    ] as const;
    for (const [runtimeCause, driverCause] of causes) {
      expect(runtimeCause).toBe(driverCause);
      expect(outputEventId('value-segmentation', driverCause, 'segment-changed', 0)).toBe(
        deterministicEventId('value-segmentation', runtimeCause, 'segment-changed', 0),
      );
    }
  });
});
