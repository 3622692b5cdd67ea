import { describe, expect, it } from 'vitest';
import { memoizedReader } from './memoized-reader.js';

describe('memoizedReader', () => {
  it('reads a field once and hands back what it read', () => {
    const reads: string[] = [];
    const read = memoizedReader((field) => {
      reads.push(field);
      return field === 'none' ? null : { length: field.length };
    });
    const first = read('abc');
    expect(read('abc')).toBe(first);
    expect(read('none')).toBeNull();
    expect(read('none')).toBeNull();
    expect(reads).toEqual(['abc', 'none']);
  });

  it('forgets everything once it holds max fields', () => {
    const reads: string[] = [];
    const read = memoizedReader((field) => {
      reads.push(field);
      return field.toUpperCase();
    }, 2);
    read('a');
    read('b');
    read('a');
    expect(reads).toEqual(['a', 'b']);
    read('c'); // full: forgets a and b
    read('c');
    read('a');
    expect(reads).toEqual(['a', 'b', 'c', 'a']);
  });
});
