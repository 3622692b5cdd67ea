import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codecFor } from '../avro/index.js';
import { ReasonCode } from '../contracts/reason-codes.js';
import { sampleEvents, samplePurchase } from '../contracts/samples.js';
import { declaredSchemaMismatch, diagnoseUndecodable } from './undecodable.js';

const purchaseCodec = codecFor('Purchase');
const reasonOf = (value: Buffer, schema = 'Purchase') => {
  expect(() => codecFor(schema).decode(value), 'only undecodable values are diagnosed').toThrow();
  return diagnoseUndecodable(value, schema, 'cannot decode').reasonCode;
};
/** Bytes of eventId and customerId: the envelope a cut must pass to count as truncated Avro. */
const envelopeOf = (p: { eventId: string; customerId: string }) =>
  2 + Buffer.byteLength(p.eventId) + Buffer.byteLength(p.customerId);

const varintSize = (n: number) => Math.max(1, Math.ceil(Math.log2(n + 1) / 7));

describe('diagnoseUndecodable', () => {
  it('TRUNCATED_AVRO for every cut after the envelope, AVRO_DECODE for shorter ones', () => {
    const p = samplePurchase();
    const full = purchaseCodec.encode(p);
    for (let cut = 1; cut < full.length; cut++) {
      const expected = cut >= envelopeOf(p) ? ReasonCode.TRUNCATED_AVRO : ReasonCode.AVRO_DECODE;
      expect(reasonOf(full.subarray(0, cut)), `cut at ${cut} of ${full.length}`).toBe(expected);
    }
  });

  it('TRUNCATED_AVRO for any purchase cut anywhere after its ids (property)', () => {
    const text = fc
      .string({ minLength: 1, maxLength: 40 })
      .filter((s) => s.trim().length > 0 && [...s].every((ch) => ch >= ' ' && ch !== '\u007f'));
    fc.assert(
      fc.property(
        text,
        text,
        fc.integer({ min: 1, max: 6 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (eventId, customerId, lines, share) => {
          const base = samplePurchase();
          const p = {
            ...base,
            eventId,
            customerId,
            lines: Array.from({ length: lines }, () => base.lines[0]!),
          };
          const full = purchaseCodec.encode(p);
          const envelope =
            purchaseCodec.encode({ ...p }).length -
            purchaseCodec.encode({ ...p, eventId: '', customerId: '' }).length +
            2;
          const cut = envelope + Math.floor(share * (full.length - 1 - envelope));
          expect(diagnoseUndecodable(full.subarray(0, cut), 'Purchase', 'x').reasonCode).toBe(
            ReasonCode.TRUNCATED_AVRO,
          );
        },
      ),
      { seed: 6, numRuns: 300 },
    );
  });

  it('WRONG_SCHEMA for a whole record of each other catalogue type that the topic cannot decode', () => {
    for (const [name, event] of Object.entries(sampleEvents())) {
      if (name === 'Purchase') continue;
      const bytes = codecFor(name).encode(event as never);
      if (name === 'CustomerErasureRequested') {
        // Its fields are the envelope every record starts with: the same bytes as a purchase
        // cut right after its event time, which is the likelier story on the purchases topic.
        expect(diagnoseUndecodable(bytes, 'Purchase', 'x').reasonCode, name).toBe(ReasonCode.TRUNCATED_AVRO);
        continue;
      }
      const diagnosis = diagnoseUndecodable(bytes, 'Purchase', 'x');
      expect(diagnosis, name).toEqual({
        reasonCode: ReasonCode.WRONG_SCHEMA,
        message: `value is a whole ${name} record, not a Purchase`,
      });
    }
  });

  it('WRONG_SCHEMA for trailing bytes after a whole record (a newer writer schema)', () => {
    const value = Buffer.concat([purchaseCodec.encode(samplePurchase()), Buffer.from([0x02, 0x41])]);
    expect(reasonOf(value)).toBe(ReasonCode.WRONG_SCHEMA);
    expect(diagnoseUndecodable(value, 'Purchase', 'x').message).toBe(
      '2 bytes left after a whole Purchase: written with another (e.g. newer) schema',
    );
  });

  it('WRONG_SCHEMA for schema-registry framing (magic byte 0 and a 4-byte schema id)', () => {
    const value = Buffer.concat([Buffer.from([0, 0, 0, 1, 7]), purchaseCodec.encode(samplePurchase())]);
    expect(reasonOf(value)).toBe(ReasonCode.WRONG_SCHEMA);
    expect(diagnoseUndecodable(value, 'Purchase', 'x').message).toMatch(
      /Purchase record in schema-registry framing/,
    );
  });

  it('AVRO_DECODE for corrupted values and nearly all random bytes (seeded sample)', () => {
    const bytes = purchaseCodec.encode(samplePurchase());
    const corrupt = Buffer.from(bytes);
    const kindAt = envelopeOf(samplePurchase()) + varintSize(2 * samplePurchase().occurredAt);
    expect(corrupt[kindAt]).toBe(0); // SALE
    corrupt[kindAt] = 0x40; // index 32: no such symbol
    expect(reasonOf(corrupt)).toBe(ReasonCode.AVRO_DECODE);

    const counts = new Map<string, number>();
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), (array) => {
        const value = Buffer.from(array);
        let decodes = true;
        try {
          purchaseCodec.decode(value);
        } catch {
          decodes = false;
        }
        if (decodes) return;
        const code = diagnoseUndecodable(value, 'Purchase', 'x').reasonCode;
        counts.set(code, (counts.get(code) ?? 0) + 1);
      }),
      { seed: 42, numRuns: 20_000 },
    );
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    // The limit the docs state: random bytes pass for Avro less than once in a thousand.
    expect((counts.get(ReasonCode.AVRO_DECODE) ?? 0) / total, JSON.stringify([...counts])).toBeGreaterThan(
      0.999,
    );
  });

  it('keeps field values out of its messages', () => {
    const p = { ...samplePurchase(), customerId: 'c-SECRET', eventId: 'e-SECRET' };
    const full = purchaseCodec.encode(p);
    for (const value of [full.subarray(0, full.length - 3), Buffer.concat([full, Buffer.from([0])])]) {
      expect(diagnoseUndecodable(value, 'Purchase', 'cannot decode Purchase: truncated').message).not.toMatch(
        /SECRET/,
      );
    }
  });
});

describe('declaredSchemaMismatch', () => {
  it('accepts the topic schema by short or full name and no header at all', () => {
    expect(declaredSchemaMismatch(undefined, 'Purchase')).toBeNull();
    expect(declaredSchemaMismatch(Buffer.from('Purchase'), 'Purchase')).toBeNull();
    expect(declaredSchemaMismatch('valuestream.Purchase', 'Purchase')).toBeNull();
  });

  it('WRONG_SCHEMA for another schema, named only when it is a catalogue schema', () => {
    expect(declaredSchemaMismatch(Buffer.from('valuestream.Interaction'), 'Purchase')).toEqual({
      reasonCode: ReasonCode.WRONG_SCHEMA,
      message: 'header vs.schema declares Interaction, not Purchase',
    });
    expect(declaredSchemaMismatch(Buffer.from('c-000123 secret'), 'Purchase')?.message).toBe(
      'header vs.schema declares an unknown schema, not Purchase',
    );
  });
});
