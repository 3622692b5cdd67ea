import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeItem,
  encodeItem,
  fromField,
  gapField,
  parseSequenceField,
  stepField,
} from './sequence-fields.js';

// Items built mostly from the separators and the escape character, where an encoding breaks.
const item = fc.oneof(
  fc.string(),
  fc.string({ unit: fc.constantFrom('%', '>', ':', 'a', '3', 'E', 'A', '2', '5') }),
);

describe('sequence counter fields', () => {
  it('escapes the separators and the escape character', () => {
    expect(encodeItem('beer')).toBe('beer');
    expect(encodeItem('a>b:c%d')).toBe('a%3Eb%3Ac%25d');
    expect(stepField('x>y', 'z:1')).toBe('nbo:s:x%3Ey>z%3A1');
    expect(gapField('a', 'b', 15)).toBe('nbo:g:a>b:15');
    expect(fromField('%3E')).toBe('nbo:a:%253E');
  });

  it('round-trips any item, and an encoded item holds no separator', () => {
    fc.assert(
      fc.property(item, (i) => {
        expect(encodeItem(i)).not.toMatch(/[>:]/);
        expect(decodeItem(encodeItem(i))).toBe(i);
      }),
    );
  });

  it('parses every field kind back to the items it was built from', () => {
    fc.assert(
      fc.property(item, item, fc.integer({ min: 1, max: 3660 }), (from, to, bucket) => {
        expect(parseSequenceField(fromField(from))).toEqual({ kind: 'from', item: from });
        expect(parseSequenceField(stepField(from, to))).toEqual({ kind: 'step', from, to });
        expect(parseSequenceField(gapField(from, to, bucket))).toEqual({
          kind: 'gap',
          from,
          to,
          gapBucket: bucket,
        });
      }),
    );
  });

  it('gives distinct fields for distinct pairs', () => {
    fc.assert(
      fc.property(item, item, item, item, (a, b, c, d) => {
        fc.pre(a !== c || b !== d);
        expect(stepField(a, b)).not.toBe(stepField(c, d));
        expect(gapField(a, b, 3)).not.toBe(gapField(c, d, 3));
      }),
    );
  });

  it('rejects fields it did not build', () => {
    for (const field of [
      'nbo:r:a>b',
      'nbo:s:a',
      'nbo:s:a>b>c',
      'nbo:s:a%3',
      'nbo:s:a%zz>b',
      'nbo:a:a:b',
      'nbo:g:a>b',
      'nbo:g:a>b:0',
      'nbo:g:a>b:x',
      'nbo:g:a>b:-1',
      'other',
    ])
      expect(parseSequenceField(field), field).toBeNull();
  });
});
