// The in-memory runtime's own rules, on small hand-made logs: dead letters, the first record,
// pausing for a view and resuming, stalls, ids and the order of instants.

import { describe, expect, it } from 'vitest';
import { day, purchase, purchaseWorth } from '../../services/value-segmentation/test-fixtures.js';
import { createValueSegmentationWorker } from '../../services/value-segmentation/worker.js';
import { customerErasuresInput, inputsOf } from '../../shared/contracts/inputs.js';
import { erasureDigest } from '../../shared/runtime/erasure.js';
import { causation, deterministicEventId } from '../../shared/runtime/event-id.js';
import type { InputDefinition, WorkerDefinition } from '../../shared/runtime/worker-definition.js';
import {
  type DriverRecord,
  erasedMark,
  InMemoryRuntime,
  outputEventId,
  runInMemory,
} from './in-memory-driver.js';

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

// A small worker that reads erasure requests: a count of purchases per customer (state, index
// score and the partition counter `n`), a reminder timer a day after each purchase, a 'keep'
// timer kind it does not list (to see that only listed kinds are cancelled), and profiles.
interface Tick {
  readonly customerId: string;
  readonly occurredAt: number;
  readonly eventId?: string;
}
const counting: WorkerDefinition<Tick, { n: number }> = {
  name: 'counting',
  inputs: inputsOf<Tick>(
    {
      topic: 'purchases',
      schema: 'Purchase',
      validate: () => null,
      customerIdOf: (e: Tick) => e.customerId,
      eventTimeOf: (e: Tick) => e.occurredAt,
    } as InputDefinition<never>,
    {
      topic: 'customer-profiles',
      schema: 'CustomerProfile',
      kind: 'table',
      validate: () => null,
      customerIdOf: (e: Tick) => e.customerId,
      eventTimeOf: (e: Tick) => e.occurredAt,
    } as InputDefinition<never>,
    customerErasuresInput(),
  ),
  allowedLatenessMs: day(1) - day(0),
  encodeState: (s) => JSON.stringify(s),
  decodeState: (s) => JSON.parse(s) as { n: number },
  decide: (state, record, ctx) => {
    if (record.source.topic === 'customer-profiles')
      return {
        state: state ?? { n: 0 },
        outputs: [],
        timers: [{ kind: 'keep', dueAt: record.eventTime + day(100) - day(0) }],
      };
    const n = (state?.n ?? 0) + 1;
    return {
      state: { n },
      outputs: [
        {
          topic: 'counts',
          key: record.customerId,
          eventId: ctx.eventId('count'),
          value: { customerId: record.customerId, n },
          decisionKind: 'count',
        },
      ],
      timers: [{ kind: 'remind', dueAt: ctx.streamTime + day(1) - day(0) }],
      indexScore: n,
      counters: [{ field: 'n', delta: 1 }],
    };
  },
  onTimer: (state, timer, ctx) => ({
    state,
    outputs: [
      {
        topic: 'counts',
        key: timer.customerId,
        eventId: ctx.eventId(timer.kind),
        value: { customerId: timer.customerId, timer: timer.kind },
        decisionKind: timer.kind,
      },
    ],
    timers: [],
  }),
  erasure: {
    timerKinds: ['remind'],
    forget: (state) => [
      { field: 'n', delta: -state.n },
      { field: 'zero', delta: 0 },
    ],
  },
};
const buy = (offset: number, time: number, customerId = 'c-1'): DriverRecord<Tick> => ({
  offset: String(offset),
  topic: 'purchases',
  value: { customerId, occurredAt: time },
});
const profile = (offset: number, time: number, customerId = 'c-1'): DriverRecord<Tick> => ({
  offset: String(offset),
  topic: 'customer-profiles',
  value: { customerId, occurredAt: time },
});
const erasure = (
  offset: number,
  time: number,
  customerId = 'c-1',
  eventId = `e-${offset}`,
): DriverRecord<Tick> => ({
  offset: String(offset),
  topic: 'customer-erasures',
  value: { customerId, occurredAt: time, eventId },
});

describe('the in-memory runtime: timers of one customer at one instant', () => {
  it('fires only timers still set when their turn comes, as the Redis runtime does', () => {
    // Two timers due at the same time: 'a' fires first (kind order) and moves 'b' a day on.
    const moving: WorkerDefinition<Tick, { n: number }> = {
      ...counting,
      decide: (state, record) => ({
        state: state ?? { n: 0 },
        outputs: [],
        timers: [
          { kind: 'a', dueAt: record.eventTime + day(1) - day(0) },
          { kind: 'b', dueAt: record.eventTime + day(1) - day(0) },
        ],
      }),
      onTimer: (state, timer, ctx) => ({
        state,
        outputs: [
          {
            topic: 'counts',
            key: timer.customerId,
            eventId: ctx.eventId(timer.kind),
            value: { timer: timer.kind, at: timer.dueAt },
            decisionKind: timer.kind,
          },
        ],
        timers: timer.kind === 'a' ? [{ kind: 'b', dueAt: timer.dueAt + day(1) - day(0) }] : [],
      }),
    };
    const result = runInMemory(moving, [[buy(0, day(1) + 5), buy(1, day(5), 'c-2')]]);
    expect(result.outputs.filter((o) => o.key === 'c-1').map((o) => o.value)).toEqual([
      { timer: 'a', at: day(2) + 5 },
      { timer: 'b', at: day(3) + 5 },
    ]);
  });
});

describe('the in-memory runtime with erasure requests', () => {
  it('forgets state, index entry, listed timers and counters at stream time, and says so once', () => {
    const result = runInMemory(counting, [
      [
        profile(0, day(1)),
        buy(1, day(2)),
        buy(2, day(2) + 5),
        buy(3, day(2) + 7, 'c-2'),
        erasure(4, day(1) + 3),
      ],
    ]);
    const store = result.partitions[0]!;
    expect(store.states.has('c-1')).toBe(false);
    expect(store.index.has('c-1')).toBe(false);
    // 'remind' was listed and is gone; 'keep' was not listed and stays.
    expect(store.timers.get('c-1')).toEqual(new Map([['keep', day(101)]]));
    expect(store.counters.get('n')).toBe(1);
    expect(store.streamTime).toBe(day(2) + 7);
    const done = result.outputs.filter((o) => o.topic === 'erasures-completed');
    const eventId = outputEventId('counting', 'customer-erasures/0/4', 'erasure-completed');
    expect(done).toEqual([
      {
        topic: 'erasures-completed',
        key: 'c-1',
        eventId,
        value: {
          eventId,
          customerId: 'c-1',
          occurredAt: day(2) + 7,
          requestEventId: 'e-4',
          requestedAt: day(1) + 3,
          worker: 'counting',
          causationId: 'customer-erasures/0/4',
          hadState: true,
          // Zero deltas are no change: only `n`.
          populationCountersRemoved: 1,
        },
        decisionKind: 'erasure-completed',
        causedAtEventTime: day(1) + 3,
      },
    ]);
    expect([...store.erased]).toEqual([[erasedMark('c-1'), day(1) + 3]]);
    expect(erasedMark('c-1')).toBe(erasureDigest('c-1'));
  });

  it('skips an erased customer’s later records (late or not, without moving stream time) until a newer profile', () => {
    const runtime = new InMemoryRuntime(counting, 1, 'x.');
    runtime.append(0, [
      buy(0, day(10)),
      erasure(1, day(10) + 1),
      buy(2, day(12)), // skipped: does not move stream time
      buy(3, day(1)), // skipped, not dead-lettered although far too late
      profile(4, day(10) + 1), // not later than the erasure: skipped
      buy(5, day(11), 'c-2'),
      profile(6, day(10) + 2), // later: re-admits c-1, applied
      buy(7, day(11) + 1),
    ]);
    runtime.runUntilIdle();
    const result = runtime.result();
    const store = result.partitions[0]!;
    expect(result.deadLetters).toEqual([]);
    expect(store.erasedSkips).toEqual(
      new Map([
        ['purchases', 2],
        ['customer-profiles', 1],
      ]),
    );
    expect(store.erased.size).toBe(0);
    // c-1 starts from nothing: its count after re-admission is 1.
    expect(store.states.get('c-1')).toBe('{"n":1}');
    expect(store.counters.get('n')).toBe(2);
    // The reminder of c-1's first purchase (day 11) was cancelled; c-2's comes at day 12 only if
    // stream time got there, and the skipped day-12 purchase did not take it there.
    expect(store.streamTime).toBe(day(11) + 1);
    const namesC1 = result.outputs.filter((o) => o.key === 'c-1').map((o) => o.decisionKind);
    expect(namesC1).toEqual(['count', 'erasure-completed', 'count']);
    expect(result.outputs.find((o) => o.decisionKind === 'erasure-completed')!.eventId).toBe(
      outputEventId('counting', 'x.customer-erasures/0/1', 'erasure-completed'),
    );
  });

  it('skips an erased customer’s undecodable records by their key: no dead letter names it after the erasure', () => {
    const runtime = new InMemoryRuntime(counting, 1, 'x.');
    runtime.append(0, [
      buy(0, day(10)),
      { offset: '1', value: null, key: 'c-2' },
      erasure(2, day(10) + 1),
      { offset: '3', value: null, key: 'c-1' },
      { offset: '4', value: null, key: 'c-2' },
    ]);
    runtime.runUntilIdle();
    const result = runtime.result();
    expect(result.deadLetters.map((d) => d.offset)).toEqual(['1', '4']);
    expect(result.partitions[0]!.erasedSkips).toEqual(new Map([['purchases', 1]]));
  });

  it('honours a request for a customer it never saw, at the request’s own time before the first record', () => {
    const result = runInMemory(counting, [
      [erasure(0, day(5), 'c-9'), buy(1, day(6), 'c-9'), buy(2, day(6))],
    ]);
    const store = result.partitions[0]!;
    expect(result.outputs[0]!.value).toMatchObject({
      hadState: false,
      occurredAt: day(5),
      populationCountersRemoved: 0,
    });
    expect(store.states.has('c-9')).toBe(false);
    expect(store.streamTime).toBe(day(6));
    expect(result.outputs.filter((o) => o.key === 'c-9')).toHaveLength(1);
  });

  it('applies a second request of an erased customer again, and keeps no id of it anywhere', () => {
    const result = runInMemory(counting, [
      [buy(0, day(10)), erasure(1, day(10) + 1), erasure(2, day(9)), profile(3, day(9) + 1)],
    ]);
    const store = result.partitions[0]!;
    const done = result.outputs.filter((o) => o.decisionKind === 'erasure-completed');
    expect(done.map((o) => o.value.hadState)).toEqual([true, false]);
    // The mark is the latest request's time: a profile later than it re-admits.
    expect(store.erased.size).toBe(0);
    expect(store.states.get('c-1')).toBe('{"n":0}');
    const erasedOnly = runInMemory(counting, [[buy(0, day(10)), erasure(1, day(10) + 1)]]).partitions[0]!;
    const everything = JSON.stringify({
      states: [...erasedOnly.states],
      index: [...erasedOnly.index],
      timers: [...erasedOnly.timers].map(([c, k]) => [c, [...k]]),
      counters: [...erasedOnly.counters],
      erased: [...erasedOnly.erased],
      snapshots: [...erasedOnly.snapshots],
    });
    expect(everything).not.toContain('c-1');
  });

  it('refuses a worker that reads erasure requests without saying how to forget', () => {
    expect(() => new InMemoryRuntime({ ...counting, erasure: undefined }, 1)).toThrow(/defines no erasure/);
  });
});
