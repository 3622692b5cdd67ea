import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { dedupeSettings, eventKey, RecentEvents } from './recent-events.js';

const DAY = 86_400_000;
const T = 1_790_000_000_000;

describe('recent events of a customer (idempotent intake)', () => {
  it('keys an event id by 11 characters, whatever its length', () => {
    expect(eventKey('e-1')).toMatch(/^[A-Za-z0-9_-]{11}$/);
    expect(eventKey('x'.repeat(500))).toHaveLength(11);
    expect(eventKey('e-1')).toBe(eventKey('e-1'));
    expect(eventKey('e-1')).not.toBe(eventKey('e-2'));
  });

  it('recognises an event applied within the horizon, not one applied before it', () => {
    const recent = RecentEvents.empty();
    recent.add(eventKey('a'), T, T - 7 * DAY, 64);
    expect(recent.has(eventKey('a'), T - 7 * DAY)).toBe(true);
    expect(recent.has(eventKey('b'), T - 7 * DAY)).toBe(false);
    expect(recent.has(eventKey('a'), T + 1)).toBe(false);
  });

  it('round-trips through its stored form, ~22 bytes an entry, and deletes the field when empty', () => {
    const recent = RecentEvents.empty();
    for (let i = 0; i < 10; i++) recent.add(eventKey(`e-${i}`), T + i * DAY, T, 64);
    const stored = recent.encode()!;
    expect(stored.length).toBeLessThanOrEqual(10 * 22);
    const read = RecentEvents.decode(stored);
    for (let i = 0; i < 10; i++) expect(read.has(eventKey(`e-${i}`), T)).toBe(true);
    expect(read.prune(T + 20 * DAY)).toBe(true);
    expect(read.encode()).toBeNull();
    expect(RecentEvents.decode(null).size).toBe(0);
    expect(() => RecentEvents.decode('zzz')).toThrow(/<time>:<key>/);
  });

  it('equals a plain list of every event applied, within the horizon and the bound (property)', () => {
    const steps = fc.array(
      fc.record({ id: fc.integer({ min: 0, max: 30 }), advance: fc.nat({ max: 3 * DAY }) }),
      {
        maxLength: 200,
      },
    );
    fc.assert(
      fc.property(
        steps,
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 10 }),
        (sequence, max, days) => {
          const horizon = days * DAY;
          let stored: string | null = null;
          const applied: Array<{ id: number; at: number }> = [];
          let now = T;
          for (const { id, advance } of sequence) {
            now += advance;
            // As a step reads it: decoded from what the previous step stored.
            const recent = RecentEvents.decode(stored);
            const floor = now - horizon;
            const within = applied.filter((a) => a.at >= floor).slice(-max);
            const expected = within.some((a) => a.id === id);
            expect(recent.has(eventKey(`e-${id}`), floor)).toBe(expected);
            if (!expected) {
              recent.add(eventKey(`e-${id}`), now, floor, max);
              applied.push({ id, at: now });
            }
            expect(recent.size).toBeLessThanOrEqual(max);
            stored = recent.encode();
          }
        },
      ),
    );
  });

  it('refuses a horizon shorter than the allowed lateness, naming the variable; 0 turns it off', () => {
    expect(dedupeSettings(7 * DAY, 64, 3 * DAY)).toEqual({ horizonMs: 7 * DAY, maxEventsPerCustomer: 64 });
    expect(dedupeSettings(0, 64, 3 * DAY)).toBeNull();
    expect(() => dedupeSettings(DAY, 64, 3 * DAY)).toThrow(ConfigError);
    expect(() => dedupeSettings(DAY, 64, 3 * DAY)).toThrow(/DEDUPE_HORIZON/);
  });
});
