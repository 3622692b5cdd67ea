import { describe, expect, it } from 'vitest';
import type { PopulationStore } from './state-store.js';
import { PopulationViewConflictError, ViewAgreement } from './view-agreement.js';

/** Only what the agreement calls: a first-one-wins map, with the calls counted. */
function viewStore(held = new Map<number, string>()) {
  const calls: number[][] = [];
  let failNext = false;
  const store = {
    async setViewsIfAbsent(views: ReadonlyArray<{ boundary: number; encoded: string }>) {
      calls.push(views.map((v) => v.boundary));
      if (failNext) {
        failNext = false;
        throw new Error('redis down');
      }
      const answer = new Map<number, string>();
      for (const { boundary, encoded } of views) {
        if (!held.has(boundary)) held.set(boundary, encoded);
        answer.set(boundary, held.get(boundary)!);
      }
      return answer;
    },
  } as unknown as PopulationStore;
  return { store, calls, held, failOnce: () => (failNext = true) };
}

const noConflict = () => {
  throw new Error('no conflict expected');
};

describe('ViewAgreement', () => {
  it('stores every view proposed so far in one call, and none again once agreed', async () => {
    const agreement = new ViewAgreement();
    const { store, calls, held } = viewStore();
    for (let b = 1; b <= 5; b += 1) agreement.propose(b, `v${b}`);
    expect(agreement.unsettled(3)).toBe('v3');
    await agreement.settle(new Map([[2, 'v2']]), store, 1000, noConflict);
    expect(calls).toEqual([[1, 2, 3, 4, 5]]);
    expect([...held.keys()]).toEqual([1, 2, 3, 4, 5]);
    expect(agreement.unsettled(3)).toBeUndefined();
    await agreement.settle(new Map([[4, 'v4']]), store, 1000, noConflict);
    expect(calls).toHaveLength(1);
  });

  it('steps settling while a call is in flight wait for its answer instead of sending again', async () => {
    const agreement = new ViewAgreement();
    const { store, calls } = viewStore();
    agreement.propose(1, 'v1');
    await Promise.all([
      agreement.settle(new Map([[1, 'v1']]), store, 1000, noConflict),
      agreement.settle(new Map([[1, 'v1']]), store, 1000, noConflict),
    ]);
    expect(calls).toEqual([[1]]);
  });

  it('a view stored first by another process wins: the step is refused and told the stored view', async () => {
    const agreement = new ViewAgreement();
    const { store } = viewStore(new Map([[7, 'theirs']]));
    agreement.propose(7, 'ours');
    const told: Array<[number, string]> = [];
    await expect(
      agreement.settle(new Map([[7, 'ours']]), store, 1000, (b, stored) => told.push([b, stored])),
    ).rejects.toBeInstanceOf(PopulationViewConflictError);
    expect(told).toEqual([[7, 'theirs']]);
    // A step under the stored view goes through.
    await agreement.settle(new Map([[7, 'theirs']]), store, 1000, noConflict);
  });

  it('after a failed call the next step proposes what it used again', async () => {
    const agreement = new ViewAgreement();
    const { store, calls, failOnce } = viewStore();
    agreement.propose(1, 'v1');
    failOnce();
    await expect(agreement.settle(new Map([[1, 'v1']]), store, 1000, noConflict)).rejects.toThrow(
      'redis down',
    );
    await agreement.settle(new Map([[1, 'v1']]), store, 1000, noConflict);
    expect(calls).toEqual([[1], [1]]);
  });
});
