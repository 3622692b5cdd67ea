import { describe, expect, it } from 'vitest';
import { Segment } from './segment.js';

type State = { readonly n: number };

const base = { epoch: 1, expectedVersion: 0, offset: null, metaSets: new Map<string, string>() };

function segmentWith(states: Record<string, State>): Segment<State> {
  return new Segment<State>(
    ({ text }) => JSON.parse(text) as State,
    (state) => JSON.stringify(state),
    new Map(Object.entries(states).map(([id, s]) => [id, JSON.stringify(s)])),
    null,
  );
}

describe('a segment’s state writes', () => {
  it('writes nothing for a decision that returns the very state it was given', () => {
    const segment = segmentWith({ a: { n: 1 }, b: { n: 2 } });
    segment.merge('a', { state: segment.stateOf('a'), outputs: [], timers: [] }, []);
    // An equal but new object is a change as far as the runtime knows: written.
    segment.merge('b', { state: { n: 2 }, outputs: [], timers: [] }, []);
    expect([...segment.toWrite(base).statePuts]).toEqual([['b', '{"n":2}']]);
    expect(segment.changes).toBe(1);
  });

  it('keeps a change made earlier in the step when a later decision returns that state unchanged', () => {
    const segment = segmentWith({ a: { n: 1 } });
    segment.merge('a', { state: { n: 5 }, outputs: [], timers: [] }, []);
    segment.merge('a', { state: segment.stateOf('a'), outputs: [], timers: [] }, []);
    expect([...segment.toWrite(base).statePuts]).toEqual([['a', '{"n":5}']]);
  });

  it('writes a state set again after the step deleted it, and a customer it had no state for', () => {
    const segment = segmentWith({ a: { n: 1 } });
    const loaded = segment.stateOf('a');
    segment.merge('a', { state: null, outputs: [], timers: [] }, []);
    segment.merge('a', { state: loaded, outputs: [], timers: [] }, []);
    segment.merge('c', { state: { n: 3 }, outputs: [], timers: [] }, []);
    const write = segment.toWrite(base);
    expect([...write.statePuts]).toEqual([
      ['a', '{"n":1}'],
      ['c', '{"n":3}'],
    ]);
    expect(write.stateDeletes).toEqual([]);
  });
});
