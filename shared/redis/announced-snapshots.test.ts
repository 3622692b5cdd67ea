import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSnapshot, SnapshotEncoder } from '../runtime/snapshot-codec.js';
import { AnnouncedSnapshots } from './announced-snapshots.js';

describe('AnnouncedSnapshots', () => {
  it('gives each announced snapshot decoded as stored, whatever mix of wholes and deltas, to a reader behind', () => {
    const counters = fc.dictionary(
      fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'),
      fc.integer({ min: 1, max: 9 }),
    );
    fc.assert(
      fc.property(fc.array(counters, { minLength: 1, maxLength: 40 }), fc.nat(15), (series, lag) => {
        const encoder = SnapshotEncoder.start();
        const announced = new AnnouncedSnapshots(1000);
        const stored = new Map<number, string>();
        const check = (i: number): void => {
          const value = stored.get(i)!;
          const base = value.startsWith('@') ? stored.get(Number(value.slice(1, value.indexOf('{'))))! : null;
          const taken = announced.take(3, i);
          expect(taken).not.toBeNull();
          expect(JSON.parse(taken!)).toEqual(decodeSnapshot(value, base));
          expect(JSON.parse(taken!)).toEqual(series[i]);
        };
        series.forEach((c, i) => {
          const value = encoder.encode(i, c, null, Object.keys(c).length);
          stored.set(i, value);
          announced.remember(3, i, value);
          if (i >= lag) check(i - lag);
        });
        for (let i = Math.max(0, series.length - lag); i < series.length; i++) check(i);
      }),
    );
  });

  it('has nothing for a delta whose whole base it never heard (subscribed after it): read from Redis', () => {
    const announced = new AnnouncedSnapshots(1000);
    announced.remember(1, 200, '@100{"a":2}');
    expect(announced.take(1, 200)).toBeNull();
    announced.remember(1, 300, '{"a":1}');
    announced.remember(1, 400, '@300{"a":0,"b":4}');
    expect(JSON.parse(announced.take(1, 400)!)).toEqual({ b: 4 });
  });

  it('decodes announced deltas against a whole snapshot read from Redis', () => {
    const announced = new AnnouncedSnapshots(1000);
    announced.remember(1, 200, '@100{"a":2}');
    announced.rememberWhole(1, 100, '{"a":1,"b":1}');
    announced.rememberWhole(1, 150, '@100{"b":0}');
    expect(JSON.parse(announced.take(1, 200)!)).toEqual({ a: 2, b: 1 });
  });

  it('drops what was announced before the boundary asked for, and keeps partitions apart', () => {
    const announced = new AnnouncedSnapshots(1000);
    announced.remember(1, 10, '{"a":1}');
    announced.remember(1, 20, '{"a":2}');
    announced.remember(2, 10, '{"a":3}');
    expect(announced.take(1, 20)).toBe('{"a":2}');
    expect(announced.take(1, 10)).toBeNull();
    expect(announced.take(1, 20)).toBeNull();
    expect(announced.take(2, 10)).toBe('{"a":3}');
  });

  it('ignores values that are no stored snapshot, and forgets everything on demand', () => {
    const announced = new AnnouncedSnapshots(1000);
    announced.remember(1, 10, '@x{"a":1}');
    expect(announced.take(1, 10)).toBeNull();
    announced.remember(1, 10, '@5{not json');
    announced.remember(1, 5, '{"a":1}');
    expect(announced.take(1, 10)).toBeNull();
    announced.remember(1, 20, '{"a":1}');
    announced.forgetAll();
    expect(announced.take(1, 20)).toBeNull();
  });

  it('keeps a bounded number per partition, the first announced going first', () => {
    const announced = new AnnouncedSnapshots(1000);
    for (let b = 0; b < 5000; b++) announced.remember(7, b, `{"a":${b + 1}}`);
    expect(announced.take(7, 0)).toBeNull();
    expect(announced.take(7, 4999)).toBe('{"a":5000}');
  });

  describe('knownAbsent', () => {
    const at = (clock: { now: number }) => new AnnouncedSnapshots(1000, () => clock.now);

    it('takes a boundary past the last one announced as absent, for trustMs, then asks for one read', () => {
      const clock = { now: 0 };
      const announced = at(clock);
      announced.remember(2, 100, '{"a":1}');
      expect(announced.knownAbsent(2, 100)).toBe(false);
      expect(announced.knownAbsent(2, 50)).toBe(false);
      expect(announced.knownAbsent(2, 200)).toBe(true);
      clock.now = 999;
      expect(announced.knownAbsent(2, 200)).toBe(true);
      clock.now = 1000;
      expect(announced.knownAbsent(2, 200)).toBe(false);
      // trusted again as long after the read
      expect(announced.knownAbsent(2, 200)).toBe(true);
      clock.now = 2000;
      expect(announced.knownAbsent(2, 200)).toBe(false);
      // a new boundary starts its own trust
      clock.now = 2001;
      expect(announced.knownAbsent(2, 300)).toBe(true);
    });

    it('takes a boundary between two announced as absent (its view passed, the snapshot not stored), not one before the first heard', () => {
      const clock = { now: 0 };
      const announced = at(clock);
      announced.remember(2, 100, '{"a":1}');
      announced.remember(2, 300, '{"a":2}');
      expect(announced.knownAbsent(2, 200)).toBe(true);
      expect(announced.knownAbsent(2, 300)).toBe(false);
      expect(announced.knownAbsent(2, 50)).toBe(false);
      clock.now = 1000;
      expect(announced.knownAbsent(2, 200)).toBe(false);
    });

    it('never takes absent a partition not heard from, or any after forgetAll', () => {
      const announced = at({ now: 0 });
      expect(announced.knownAbsent(1, 100)).toBe(false);
      announced.remember(1, 50, '{"a":1}');
      expect(announced.knownAbsent(1, 100)).toBe(true);
      announced.forgetAll();
      expect(announced.knownAbsent(1, 100)).toBe(false);
      announced.remember(1, 100, '@50{"a":2}');
      expect(announced.knownAbsent(1, 100)).toBe(false);
    });

    it('keeps the highest boundary announced when a replay announces an older one again', () => {
      const announced = at({ now: 0 });
      announced.remember(4, 300, '{"a":1}');
      announced.remember(4, 100, '{"a":1}');
      expect(announced.knownAbsent(4, 200)).toBe(false);
      expect(announced.knownAbsent(4, 400)).toBe(true);
    });

    it('ignores messages that are no stored snapshot', () => {
      const announced = at({ now: 0 });
      announced.remember(4, 300, 'garbage');
      announced.remember(4, 300, '@x{}');
      expect(announced.knownAbsent(4, 400)).toBe(false);
    });
  });
});
