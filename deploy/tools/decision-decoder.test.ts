import { describe, expect, it } from 'vitest';
import { codecFor, defaultSchemas } from '../../shared/avro/index.js';
import { sampleRetentionOffer, sampleSegmentChanged } from '../../shared/contracts/samples.js';
import { RegistryUnavailableError, UnknownSchemaIdError } from '../../shared/schema-registry/errors.js';
import { frameValue } from '../../shared/schema-registry/wire-format.js';
import { createDecisionDecoder } from './decision-decoder.js';

const segmentChanged = codecFor('SegmentChanged').encode(sampleSegmentChanged());
const ownSchema = (name: string) => JSON.stringify(defaultSchemas().schema(name).schema);

describe('decoding the decisions the demo console prints', () => {
  it('reads plain values with our schema, registry or not', async () => {
    for (const decode of [
      createDecisionDecoder(null),
      createDecisionDecoder(async () => Promise.reject(new Error('not asked'))),
    ])
      expect(await decode('SegmentChanged', segmentChanged)).toEqual(sampleSegmentChanged());
  });

  it('reads framed values with the writer schema of their id, fetched once per id', async () => {
    const asked: number[] = [];
    const decode = createDecisionDecoder(async (id) => {
      asked.push(id);
      return { schemaType: 'AVRO', schema: ownSchema(id === 7 ? 'SegmentChanged' : 'RetentionOfferIssued') };
    });
    const offer = codecFor('RetentionOfferIssued').encode(sampleRetentionOffer());
    expect(await decode('SegmentChanged', frameValue(7, segmentChanged))).toEqual(sampleSegmentChanged());
    expect(await decode('SegmentChanged', frameValue(7, segmentChanged))).toEqual(sampleSegmentChanged());
    expect(await decode('RetentionOfferIssued', frameValue(8, offer))).toEqual(sampleRetentionOffer());
    expect(asked).toEqual([7, 8]);
  });

  it('without a registry, checks and strips the frame and reads the body with our schema', async () => {
    expect(await createDecisionDecoder(null)('SegmentChanged', frameValue(123, segmentChanged))).toEqual(
      sampleSegmentChanged(),
    );
  });

  it('fails the value (not the console) on an unknown id, and asks again after an outage', async () => {
    let calls = 0;
    const decode = createDecisionDecoder(async (id) => {
      calls++;
      if (id === 9) throw new UnknownSchemaIdError(9);
      if (calls === 2) throw new RegistryUnavailableError('down');
      return { schemaType: 'AVRO', schema: ownSchema('SegmentChanged') };
    });
    await expect(decode('SegmentChanged', frameValue(9, segmentChanged))).rejects.toThrow(/unknown/);
    await expect(decode('SegmentChanged', frameValue(5, segmentChanged))).rejects.toThrow(/unavailable/);
    expect(await decode('SegmentChanged', frameValue(5, segmentChanged))).toEqual(sampleSegmentChanged());
  });
});
