import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as evolved from '../../test/support/evolved-schemas.js';
import { samplePurchase } from '../contracts/samples.js';
import {
  AvroDecodeError,
  AvroEncodeError,
  AvroResolveError,
  codecFor,
  defaultSchemas,
  loadSchemas,
} from './codec.js';

describe('codecFor', () => {
  it('caches one codec per schema, by short or full name', () => {
    expect(codecFor('Purchase')).toBe(codecFor('Purchase'));
    expect(codecFor('valuestream.Purchase').fullName).toBe('valuestream.Purchase');
    expect(defaultSchemas().names).toContain('SegmentChanged');
  });

  it('rejects an unknown schema', () => {
    expect(() => codecFor('Nope')).toThrow(/unknown Avro schema Nope/);
  });

  it('keeps timestamp-millis as a number of epoch milliseconds', () => {
    const codec = codecFor('Purchase');
    const decoded = codec.decode(codec.encode(samplePurchase()));
    expect(typeof decoded.occurredAt).toBe('number');
    expect(decoded.occurredAt).toBe(samplePurchase().occurredAt);
  });

  it('loads a directory on demand (loadSchemas)', () => {
    const registry = loadSchemas();
    expect(registry.codec('Interaction').schemaName).toBe('Interaction');
  });
});

describe('strict decoding', () => {
  const codec = codecFor('Purchase');
  const secret = { ...samplePurchase(), customerId: 'c-SECRET-4711', eventId: 'e-SECRET-1' };
  const good = codec.encode(secret);

  it('rejects trailing bytes', () => {
    const err = catchError(() => codec.decode(Buffer.concat([good, Buffer.from([0])])));
    expect(err).toBeInstanceOf(AvroDecodeError);
    expect((err as AvroDecodeError).failure).toBe('trailing-bytes');
  });

  it('rejects every truncation', () => {
    for (let n = 0; n < good.length; n++) {
      const err = catchError(() => codec.decode(good.subarray(0, n)));
      expect(err, `prefix of ${n} bytes`).toBeInstanceOf(AvroDecodeError);
    }
  });

  it('never puts field values into the error message', () => {
    for (let n = 0; n < good.length; n++) {
      const err = catchError(() => codec.decode(good.subarray(0, n))) as Error;
      expect(err.message).not.toMatch(/SECRET/);
    }
  });

  it('rejects a bad enum index without echoing data', () => {
    // eventId, customerId (strings), occurredAt (long), then kind: overwrite the enum index.
    const enc = codecFor('Interaction');
    const buf = Buffer.from(enc.encode({ ...sampleInteractionLike(), customerId: 'x' }));
    const kindOffset = 1 + 1 + 1 + 1 + 6; // len+'e' , len+'x', occurredAt varint (6 bytes)
    buf[kindOffset] = 0x7e; // index 63
    const err = catchError(() => enc.decode(buf)) as AvroDecodeError;
    expect(err).toBeInstanceOf(AvroDecodeError);
    expect(err.failure).toBe('invalid-enum-index');
  });

  it('fails fast on an array count larger than the bytes left (no billion-item loop)', () => {
    // eventId "", customerId "", occurredAt 0, kind SALE, currency "", lines: 5,000,000 items.
    // Unguarded, avsc spends seconds building millions of empty lines before noticing.
    const hostile = Buffer.from([0, 0, 0, 0, 0, 0x80, 0xad, 0xe2, 0x04]);
    const started = performance.now();
    const err = catchError(() => codec.decode(hostile)) as AvroDecodeError;
    expect(err).toBeInstanceOf(AvroDecodeError);
    expect(err.failure).toBe('truncated');
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('random bytes either fail with AvroDecodeError or decode to a valid value', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          const value = codec.decode(Buffer.from(bytes));
          return codec.isValid(value);
        } catch (err) {
          return err instanceof AvroDecodeError && !/[^\w .:-]/.test(err.message);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('encoding', () => {
  it('throws AvroEncodeError naming the paths, not the values', () => {
    const codec = codecFor('Purchase');
    const bad = {
      ...samplePurchase(),
      customerId: 42,
      lines: [{ ...samplePurchase().lines[0], quantity: 1.5 }],
    };
    const err = catchError(() => codec.encode(bad as never)) as AvroEncodeError;
    expect(err).toBeInstanceOf(AvroEncodeError);
    expect(err.invalidPaths).toEqual(['customerId', 'lines.0.quantity']);
    expect(err.message).not.toContain('42');
  });

  it('isValid reports paths through errorHook', () => {
    const paths: string[][] = [];
    const ok = codecFor('Purchase').isValid(
      { ...samplePurchase(), kind: 'GIFT' },
      { errorHook: (path) => paths.push(path) },
    );
    expect(ok).toBe(false);
    expect(paths).toEqual([['kind']]);
  });
});

function sampleInteractionLike() {
  return {
    eventId: 'e',
    customerId: 'x',
    occurredAt: Date.UTC(2024, 0, 1),
    kind: 'SURVEY' as const,
    channel: 'app',
    surveyScore: 9,
    reviewRating: null,
    referredCustomerId: null,
    offerEventId: null,
  };
}

function catchError(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

describe('writerDecoder (schema resolution)', () => {
  const { purchaseV2, purchaseIncompatible, encoderOf } = evolved;

  it('reads a v2 writer with an added optional field as the v1 reader expects', () => {
    const decode = defaultSchemas().writerDecoder('Purchase', purchaseV2());
    const written = encoderOf(purchaseV2())({ ...samplePurchase(), loyaltyCardId: 'card-7' });
    expect(decode(written)).toEqual(samplePurchase());
  });

  it('uses the reader codec itself for a writer schema equal to ours (docs aside)', () => {
    const own = defaultSchemas().schema('Purchase').schema;
    const decode = defaultSchemas().writerDecoder('Purchase', { ...own, doc: 'another doc' });
    expect(decode(codecFor('Purchase').encode(samplePurchase()))).toEqual(samplePurchase());
    expect(() =>
      decode(Buffer.concat([codecFor('Purchase').encode(samplePurchase()), Buffer.from([1])])),
    ).toThrow(AvroDecodeError);
  });

  it('throws AvroResolveError for a writer our reader cannot resolve, or no Avro schema at all', () => {
    expect(() => defaultSchemas().writerDecoder('Purchase', purchaseIncompatible())).toThrow(
      AvroResolveError,
    );
    expect(() =>
      defaultSchemas().writerDecoder('Purchase', { type: 'record', name: 'Other', fields: [] }),
    ).toThrow(AvroResolveError);
    expect(() => defaultSchemas().writerDecoder('Purchase', { type: 'nope' })).toThrow(/not an Avro schema/);
  });

  it('stays strict under resolution: trailing bytes, truncation and hostile array counts throw', () => {
    const decode = defaultSchemas().writerDecoder('Purchase', purchaseV2());
    const written = encoderOf(purchaseV2())({ ...samplePurchase(), loyaltyCardId: null });
    expect(() => decode(Buffer.concat([written, Buffer.from([0])]))).toThrow(/trailing-bytes/);
    expect(() => decode(written.subarray(0, written.length - 2))).toThrow(AvroDecodeError);
    // eventId, customerId, occurredAt, kind, currency, loyaltyCardId=null, then lines announcing
    // 2^62 items in a few bytes: refused at once, not looped over.
    const prefix = encoderOf(purchaseV2())({
      ...samplePurchase(),
      loyaltyCardId: null,
      lines: [],
      channel: '',
      storeId: null,
      returnOfEventId: null,
    });
    // The last four bytes: lines (count 0), channel (length 0), storeId and returnOfEventId (null).
    const linesAt = prefix.length - 4;
    const hostile = Buffer.concat([
      prefix.subarray(0, linesAt),
      Buffer.from([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]),
    ]);
    const before = performance.now();
    expect(() => decode(hostile)).toThrow(/cannot decode Purchase: truncated/);
    expect(performance.now() - before).toBeLessThan(500);
  });
});
