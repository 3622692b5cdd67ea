import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeSignal, type PopulationSignal, parseSignal } from './population-signals.js';

const signal: fc.Arbitrary<PopulationSignal> = fc.oneof(
  fc.record({ kind: fc.constant('snapshot' as const), partition: fc.nat(1000), boundary: fc.nat() }),
  fc.record({
    kind: fc.constant('data' as const),
    partition: fc.nat(1000),
    boundary: fc.nat(),
    value: fc.oneof(
      fc.json().map((j) => `{"v":${j}}`),
      fc.tuple(fc.nat(), fc.json()).map(([b, j]) => `@${b}{"v":${j}}`),
    ),
  }),
  fc.record({
    kind: fc.constant('wait' as const),
    boundary: fc.nat(),
    streamTime: fc.nat(),
    missing: fc.array(fc.nat(1000), { maxLength: 12 }),
  }),
);

describe('population signals', () => {
  it('parse what they encode, values with spaces and newlines intact', () => {
    fc.assert(
      fc.property(signal, (s) => {
        expect(parseSignal(encodeSignal(s))).toEqual(s);
      }),
    );
  });

  it('read the messages the apply script publishes', () => {
    expect(parseSignal('3 1704067200000')).toEqual({
      kind: 'snapshot',
      partition: 3,
      boundary: 1704067200000,
    });
    expect(parseSignal('data 3 1704067200000 @1703980800000{"t:gold":4}')).toEqual({
      kind: 'data',
      partition: 3,
      boundary: 1704067200000,
      value: '@1703980800000{"t:gold":4}',
    });
  });

  it('are null for anything else on the channel', () => {
    for (const message of [
      '',
      'data',
      'data 1 2',
      'data 1 2 x',
      'data x 2 {}',
      '1',
      '1 2 3',
      'hello world',
      'wait',
    ])
      expect(parseSignal(message)).toBeNull();
  });
});
