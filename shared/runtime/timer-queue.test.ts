import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TimerQueue } from './timer-queue.js';

describe('TimerQueue', () => {
  it('fires in due order, ties by customer then kind, honouring re-sets and cancels', () => {
    const q = new TimerQueue();
    q.set({ kind: 'age-out', customerId: 'b', dueAt: 10 });
    q.set({ kind: 'age-out', customerId: 'a', dueAt: 10 });
    q.set({ kind: 'age-out', customerId: 'c', dueAt: 5 });
    q.set({ kind: 'age-out', customerId: 'c', dueAt: 20 });
    q.set({ kind: 'age-out', customerId: 'd', dueAt: 1 });
    q.cancel('age-out', 'd');
    const fired = [];
    for (let t = q.popDue(15); t; t = q.popDue(15)) fired.push(`${t.customerId}@${t.dueAt}`);
    expect(fired).toEqual(['a@10', 'b@10']);
    expect(q.popDue(25)).toEqual({ kind: 'age-out', customerId: 'c', dueAt: 20 });
    expect(q.popDue(100)).toBeUndefined();
  });

  it('equals sorting the live timers, for any sequence of sets and cancels', () => {
    const op = fc.record({
      customer: fc.integer({ min: 0, max: 9 }),
      due: fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.integer({ min: 0, max: 100 }), (ops, upTo) => {
        const q = new TimerQueue();
        const live = new Map<string, number>();
        for (const { customer, due } of ops) {
          const id = `c${customer}`;
          if (due === null) {
            q.cancel('k', id);
            live.delete(id);
          } else {
            q.set({ kind: 'k', customerId: id, dueAt: due });
            live.set(id, due);
          }
        }
        const expected = [...live]
          .filter(([, due]) => due <= upTo)
          .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1))
          .map(([id, due]) => `${id}@${due}`);
        const fired = [];
        for (let t = q.popDue(upTo); t; t = q.popDue(upTo)) fired.push(`${t.customerId}@${t.dueAt}`);
        expect(fired).toEqual(expected);
      }),
    );
  });
});
