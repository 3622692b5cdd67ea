import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { consumerLag, describeStalls, LagTracker, parseOffset, StallDetector } from './partition-progress.js';

class FakeClock {
  ms = 1_000_000;
  readonly now = () => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

const STALL = 60_000;

function detector(stallAfterMs = STALL) {
  const clock = new FakeClock();
  return { clock, stalls: new StallDetector(stallAfterMs, clock.now) };
}

const stalledPartitions = (stalls: StallDetector) => stalls.stalled().map((s) => s.partition);

describe('consumerLag', () => {
  it('is the end offset minus the applied offset minus 1', () => {
    expect(consumerLag(100n, 49n)).toBe(50);
    expect(consumerLag(100n, 99n)).toBe(0);
    expect(consumerLag(1n, 0n)).toBe(0);
  });

  it('is the end offset while nothing is applied (the log start is unknown here)', () => {
    expect(consumerLag(100n, null)).toBe(100);
    expect(consumerLag(0n, null)).toBe(0);
    // A claim that found nothing applied may say so with -1.
    expect(consumerLag(100n, -1n)).toBe(100);
  });

  it('is never negative (an applied offset newer than the end the last fetch saw)', () => {
    expect(consumerLag(100n, 150n)).toBe(0);
    expect(consumerLag(0n, 5n)).toBe(0);
  });

  it('counts from a commit past records that are never applied (transaction markers, aborted records)', () => {
    // Last record applied at 97; 98 is an aborted record and 99 its marker; committed up to 100.
    expect(consumerLag(100n, 97n)).toBe(2);
    expect(consumerLag(100n, 97n, 100n)).toBe(0);
    // A commit behind the applied offset changes nothing.
    expect(consumerLag(100n, 97n, 50n)).toBe(2);
    expect(consumerLag(100n, null, 60n)).toBe(40);
  });

  it('stays exact beyond 2^53 offsets', () => {
    expect(consumerLag(2n ** 60n + 10n, 2n ** 60n)).toBe(9);
  });
});

describe('parseOffset', () => {
  it('reads integer offsets and refuses anything else (a listener must not throw)', () => {
    expect(parseOffset('42')).toBe(42n);
    expect(parseOffset('-1')).toBe(-1n);
    expect(parseOffset('9223372036854775807')).toBe(9223372036854775807n);
    for (const bad of ['', ' 1', '1.5', 'abc', '1e3', '0x10']) expect(parseOffset(bad), bad).toBeNull();
  });
});

describe('LagTracker', () => {
  it('reports a (topic, partition) once its end offset is known', () => {
    const lags = new LagTracker();
    lags.applied('purchases', 0, 9n);
    expect(lags.lags()).toEqual([]);
    expect(lags.partitionLag(0)).toBe(0);
    lags.end('purchases', 0, 100n);
    expect(lags.lags()).toEqual([{ topic: 'purchases', partition: 0, lag: 90 }]);
  });

  it('uses the end offset while nothing is applied', () => {
    const lags = new LagTracker();
    lags.end('purchases', 3, 40n);
    expect(lags.lags()).toEqual([{ topic: 'purchases', partition: 3, lag: 40 }]);
  });

  it('sums the topics of a partition and sorts by partition', () => {
    const lags = new LagTracker();
    lags.end('purchases', 2, 100n);
    lags.applied('purchases', 2, 89n);
    lags.end('customer-profiles', 2, 7n);
    lags.end('purchases', 0, 5n);
    lags.applied('purchases', 0, 4n);
    expect(lags.partitionLag(2)).toBe(17);
    expect(lags.partitionLag(0)).toBe(0);
    expect(lags.partitionLag(9)).toBe(0);
    expect(lags.lags()).toEqual([
      { topic: 'purchases', partition: 0, lag: 0 },
      { topic: 'purchases', partition: 2, lag: 10 },
      { topic: 'customer-profiles', partition: 2, lag: 7 },
    ]);
  });

  it('says when the applied offset moved forward; the first one (a claim) is a starting point', () => {
    const lags = new LagTracker();
    expect(lags.applied('purchases', 0, 10n)).toBe(false);
    expect(lags.applied('purchases', 0, 10n)).toBe(false);
    expect(lags.applied('purchases', 0, 12n)).toBe(true);
    // Backwards (Redis lost writes, replaying): not progress.
    expect(lags.applied('purchases', 0, 5n)).toBe(false);
    expect(lags.applied('interactions', 0, 3n)).toBe(false);
  });

  it('says when a commit settled records the applied offset had not', () => {
    const lags = new LagTracker();
    lags.end('purchases', 0, 100n);
    lags.applied('purchases', 0, 97n);
    expect(lags.committed('purchases', 0, 98n)).toBe(false);
    expect(lags.committed('purchases', 0, 100n)).toBe(true);
    expect(lags.partitionLag(0)).toBe(0);
    // An apply behind the commit does not move the settled position.
    expect(lags.applied('purchases', 0, 98n)).toBe(false);
  });

  it('forgets the commits at a claim that found Redis behind Kafka (lost writes)', () => {
    const lags = new LagTracker();
    lags.end('purchases', 1, 100n);
    lags.applied('purchases', 1, 97n);
    lags.committed('purchases', 1, 100n);
    expect(lags.partitionLag(1)).toBe(0);
    lags.claimed(1);
    lags.applied('purchases', 1, 40n);
    expect(lags.partitionLag(1)).toBe(59);
  });

  it('drops released partitions and keeps only an assignment', () => {
    const lags = new LagTracker();
    for (const p of [0, 1, 2, 3]) lags.end('purchases', p, 10n);
    lags.release(1);
    expect(lags.lags().map((l) => l.partition)).toEqual([0, 2, 3]);
    lags.keepOnly([2, 5]);
    expect(lags.lags().map((l) => l.partition)).toEqual([2]);
  });
});

describe('StallDetector', () => {
  it('never stalls a partition without lag, however long nothing is applied', () => {
    const { clock, stalls } = detector();
    stalls.lag(0, 0);
    clock.advance(10 * STALL);
    stalls.lag(0, 0);
    clock.advance(10 * STALL);
    expect(stalls.stalled()).toEqual([]);
    expect(stalls.states()).toEqual([{ partition: 0, lag: 0, waitingMs: 20 * STALL, stalled: false }]);
  });

  it('stalls a partition with lag and no progress exactly at STALL_AFTER_MS', () => {
    const { clock, stalls } = detector();
    stalls.lag(4, 120);
    clock.advance(STALL - 1);
    expect(stalls.stalled()).toEqual([]);
    clock.advance(1);
    expect(stalls.stalled()).toEqual([{ partition: 4, lag: 120, waitingMs: STALL }]);
    clock.advance(5000);
    expect(stalls.stalled()).toEqual([{ partition: 4, lag: 120, waitingMs: STALL + 5000 }]);
  });

  it('keeps a partition that applies more often than STALL_AFTER_MS unstalled, whatever its lag', () => {
    const { clock, stalls } = detector();
    stalls.lag(0, 1_000_000);
    for (let i = 0; i < 100; i++) {
      clock.advance(STALL - 1);
      stalls.progress(0);
      stalls.lag(0, 1_000_000 - i);
      expect(stalls.stalled()).toEqual([]);
    }
  });

  it('starts the clock when records start waiting, not at the last apply of an idle partition', () => {
    const { clock, stalls } = detector();
    stalls.lag(0, 5);
    stalls.progress(0);
    stalls.lag(0, 0);
    clock.advance(10 * STALL); // idle, caught up
    stalls.lag(0, 3); // a new record arrives
    expect(stalls.stalled()).toEqual([]);
    clock.advance(STALL - 1);
    expect(stalls.stalled()).toEqual([]);
    clock.advance(1);
    expect(stalledPartitions(stalls)).toEqual([0]);
  });

  it('does not restart the clock when more records arrive while it waits', () => {
    const { clock, stalls } = detector();
    stalls.lag(0, 5);
    clock.advance(STALL / 2);
    stalls.lag(0, 50);
    clock.advance(STALL / 2);
    stalls.lag(0, 500);
    expect(stalls.stalled()).toEqual([{ partition: 0, lag: 500, waitingMs: STALL }]);
  });

  it('recovers on progress, and stalls again only after a whole STALL_AFTER_MS', () => {
    const { clock, stalls } = detector();
    stalls.lag(1, 10);
    clock.advance(STALL);
    expect(stalledPartitions(stalls)).toEqual([1]);
    stalls.progress(1);
    stalls.lag(1, 9);
    expect(stalls.stalled()).toEqual([]);
    clock.advance(STALL - 1);
    expect(stalls.stalled()).toEqual([]);
    clock.advance(1);
    expect(stalls.stalled()).toEqual([{ partition: 1, lag: 9, waitingMs: STALL }]);
  });

  it('recovers when the lag goes to 0 without an apply (a commit past transaction markers)', () => {
    const { clock, stalls } = detector();
    stalls.lag(1, 2);
    clock.advance(2 * STALL);
    expect(stalledPartitions(stalls)).toEqual([1]);
    stalls.lag(1, 0);
    expect(stalls.stalled()).toEqual([]);
  });

  it('counts progress before any lag is known as the start of the clock', () => {
    const { clock, stalls } = detector();
    stalls.progress(2);
    clock.advance(STALL / 2);
    stalls.lag(2, 7);
    expect(stalls.stalled()).toEqual([]);
    clock.advance(STALL / 2);
    // The lag became positive STALL/2 ago: not yet.
    expect(stalls.stalled()).toEqual([]);
    clock.advance(STALL / 2);
    expect(stalledPartitions(stalls)).toEqual([2]);
  });

  it('a partition waiting at a population barrier while the others catch up stalls only after STALL_AFTER_MS', () => {
    const run = (wokenAfterMs: number | null) => {
      const { clock, stalls } = detector();
      for (const p of [0, 1, 2]) stalls.lag(p, 1000);
      // Partition 0 waits for the view; 1 and 2 apply every 5 s and catch up.
      const seen: number[][] = [];
      for (let t = 5_000; t <= 2 * STALL; t += 5_000) {
        clock.advance(5_000);
        for (const p of [1, 2]) {
          stalls.progress(p);
          stalls.lag(p, Math.max(0, 1000 - t / 50));
        }
        if (t === wokenAfterMs) {
          stalls.progress(0);
          stalls.lag(0, 900);
        }
        seen.push(stalledPartitions(stalls));
      }
      return seen;
    };
    // Woken after 55 s: never stalled (and 60 s later it has applied again or it would be).
    expect(run(55_000).slice(0, 22).flat()).toEqual([]);
    // Never woken: stalled from 60 s on, the others never.
    const never = run(null);
    expect(never.slice(0, 11).flat()).toEqual([]);
    expect(never.slice(11).every((stalled) => stalled.length === 1 && stalled[0] === 0)).toBe(true);
  });

  it('lists stalled partitions by number with their own lag and wait', () => {
    const { clock, stalls } = detector();
    stalls.lag(7, 3);
    clock.advance(1000);
    stalls.lag(2, 40);
    stalls.lag(5, 0);
    clock.advance(STALL);
    expect(stalls.stalled()).toEqual([
      { partition: 2, lag: 40, waitingMs: STALL },
      { partition: 7, lag: 3, waitingMs: STALL + 1000 },
    ]);
    expect(stalls.states().map((s) => [s.partition, s.stalled])).toEqual([
      [2, true],
      [5, false],
      [7, true],
    ]);
  });

  it('forgets a released partition, and one left out of a new assignment', () => {
    const { clock, stalls } = detector();
    for (const p of [0, 1, 2, 3]) stalls.lag(p, 10);
    clock.advance(STALL);
    expect(stalledPartitions(stalls)).toEqual([0, 1, 2, 3]);
    stalls.release(1);
    expect(stalledPartitions(stalls)).toEqual([0, 2, 3]);
    stalls.keepOnly([0, 3, 8]);
    expect(stalledPartitions(stalls)).toEqual([0, 3]);
    // Given back later, it starts afresh.
    stalls.lag(1, 10);
    expect(stalledPartitions(stalls)).toEqual([0, 3]);
    clock.advance(STALL);
    expect(stalledPartitions(stalls)).toEqual([0, 1, 3]);
  });

  it('is off with STALL_AFTER_MS 0', () => {
    const { clock, stalls } = detector(0);
    stalls.lag(0, 1000);
    clock.advance(365 * 86_400_000);
    expect(stalls.stalled()).toEqual([]);
    expect(stalls.states()[0]!.stalled).toBe(false);
  });

  it('agrees with a model on any sequence of lags, progress and time', () => {
    type Step = { kind: 'lag'; lag: number } | { kind: 'progress' } | { kind: 'advance'; ms: number };
    const step = fc.oneof(
      fc.record({ kind: fc.constant('lag' as const), lag: fc.oneof(fc.constant(0), fc.nat(50)) }),
      fc.record({ kind: fc.constant('progress' as const) }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.nat(2 * STALL) }),
    );
    fc.assert(
      fc.property(fc.array(step as fc.Arbitrary<Step>, { maxLength: 60 }), (steps) => {
        const { clock, stalls } = detector();
        // Model: the times of the last progress and of the last lag 0 → positive transition.
        let seen = false;
        let lag = 0;
        let since = 0;
        for (const s of steps) {
          if (s.kind === 'advance') clock.advance(s.ms);
          else if (s.kind === 'progress') {
            stalls.progress(0);
            since = clock.ms;
            seen = true;
          } else {
            stalls.lag(0, s.lag);
            if (!seen || (lag <= 0 && s.lag > 0)) since = clock.ms;
            lag = s.lag;
            seen = true;
          }
          const expected = seen && lag > 0 && clock.ms - since >= STALL;
          expect(stalledPartitions(stalls)).toEqual(expected ? [0] : []);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('describeStalls', () => {
  it('names each stalled partition, its records waiting and for how long', () => {
    expect(describeStalls([{ partition: 3, lag: 1200, waitingMs: 75_400 }])).toBe(
      'partition 3 stalled: 1200 records waiting, none applied or dead-lettered for 75 s',
    );
    expect(
      describeStalls([
        { partition: 0, lag: 1, waitingMs: 60_000 },
        { partition: 9, lag: 2, waitingMs: 61_999 },
      ]),
    ).toBe(
      'partition 0 stalled: 1 record waiting, none applied or dead-lettered for 60 s; partition 9 stalled: 2 records waiting, none applied or dead-lettered for 61 s',
    );
  });
});
