import { describe, expect, it } from 'vitest';
import { DecodedStates } from './decoded-states.js';

function counting(capacity: number) {
  const decoded: string[] = [];
  const cache = new DecodedStates((text: string) => {
    decoded.push(text);
    return { text };
  }, capacity);
  return { cache, decoded };
}

describe('DecodedStates', () => {
  it('decodes a text once, and again only when the customer text changed', () => {
    const { cache, decoded } = counting(1_000);
    const first = cache.decodeOf('c1', '{"n":1}');
    expect(cache.decodeOf('c1', '{"n":1}')).toBe(first);
    // Another owner wrote, or a step that wrote was never applied: other text, decoded afresh.
    expect(cache.decodeOf('c1', '{"n":2}')).toEqual({ text: '{"n":2}' });
    expect(cache.decodeOf('c2', '{"n":1}')).not.toBe(first);
    expect(decoded).toEqual(['{"n":1}', '{"n":2}', '{"n":1}']);
  });

  it('takes a state it is told the text of (a state this process wrote) without decoding it', () => {
    const { cache, decoded } = counting(1_000);
    const written = { text: 'written' };
    cache.remember('c1', '{"n":3}', written);
    expect(cache.decodeOf('c1', '{"n":3}')).toBe(written);
    cache.forget('c1');
    expect(cache.decodeOf('c1', '{"n":3}')).not.toBe(written);
    expect(decoded).toEqual(['{"n":3}']);
  });

  it('keeps at most its capacity of text, the least recently used going first', () => {
    const { cache, decoded } = counting(10);
    cache.decodeOf('a', 'aaaa');
    cache.decodeOf('b', 'bbbb');
    cache.decodeOf('a', 'aaaa'); // a used last
    cache.decodeOf('c', 'cccc'); // 12 characters: b goes
    expect(cache.size).toBe(2);
    cache.decodeOf('a', 'aaaa');
    cache.decodeOf('b', 'bbbb');
    expect(decoded).toEqual(['aaaa', 'bbbb', 'cccc', 'bbbb']);
    // A text longer than the capacity is not kept; capacity 0 keeps nothing.
    cache.decodeOf('d', 'dddddddddddd');
    cache.decodeOf('d', 'dddddddddddd');
    const off = counting(0);
    off.cache.decodeOf('a', 'x');
    off.cache.decodeOf('a', 'x');
    expect(off.decoded).toEqual(['x', 'x']);
    expect(decoded.filter((t) => t.startsWith('d'))).toHaveLength(2);
  });
});
