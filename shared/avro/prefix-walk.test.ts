import { describe, expect, it } from 'vitest';
import { sampleEvents, samplePurchase } from '../contracts/samples.js';
import { codecFor, defaultSchemas } from './codec.js';
import { walkAvro } from './prefix-walk.js';

const purchaseCodec = codecFor('Purchase');
const envelopeOf = (p: { eventId: string; customerId: string }) =>
  2 + Buffer.byteLength(p.eventId) + Buffer.byteLength(p.customerId);

describe('walkAvro', () => {
  it('reads every sample event of the catalogue completely, to the last byte', () => {
    for (const [name, event] of Object.entries(sampleEvents())) {
      const bytes = codecFor(name).encode(event as never);
      const walk = walkAvro(defaultSchemas().schema(name), bytes);
      expect(walk, name).toMatchObject({ outcome: 'complete', end: bytes.length, leadingTexts: 2 });
    }
  });

  it('stops in the field where the bytes end or go wrong', () => {
    const bytes = purchaseCodec.encode(samplePurchase());
    const schema = defaultSchemas().schema('Purchase');
    expect(walkAvro(schema, bytes.subarray(0, envelopeOf(samplePurchase()) + 2))).toMatchObject({
      outcome: 'ran-out',
      stoppedIn: 'occurredAt',
      fieldsRead: 2,
    });
    const badText = Buffer.from(bytes);
    badText[1] = 0xff; // inside eventId: not UTF-8
    expect(walkAvro(schema, badText)).toMatchObject({ outcome: 'invalid', stoppedIn: 'eventId' });
  });

  it('treats an array count the remaining bytes cannot hold as running out, not as a long loop', () => {
    const p = { ...samplePurchase(), lines: [] };
    const bytes = purchaseCodec.encode(p);
    // eventId, customerId, occurredAt (6-byte varint), kind (1 byte), currency "EUR" (4 bytes).
    const linesAt = envelopeOf(p) + 6 + 1 + 4;
    expect(bytes[linesAt]).toBe(0);
    const lying = Buffer.concat([bytes.subarray(0, linesAt), Buffer.from([0xfe, 0xff, 0xff, 0xff, 0x0f])]);
    expect(walkAvro(defaultSchemas().schema('Purchase'), lying)).toMatchObject({
      outcome: 'ran-out',
      stoppedIn: 'lines',
    });
  });
});
