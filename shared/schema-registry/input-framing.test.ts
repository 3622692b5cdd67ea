import { describe, expect, it } from 'vitest';
import { encoderOf, purchaseIncompatible, purchaseV2 } from '../../test/support/evolved-schemas.js';
import { codecFor, defaultSchemas } from '../avro/index.js';
import { purchasesInput } from '../contracts/inputs.js';
import { samplePurchase } from '../contracts/samples.js';
import type { RawRecord } from '../runtime/raw-record.js';
import { type PreparedRecord, prepareRecord } from '../runtime/record-intake.js';
import { SCHEMA_HEADER } from '../runtime/undecodable.js';
import { RegistryUnavailableError, UnknownSchemaIdError } from './errors.js';
import { FramedInputs, type InputFraming, SchemaNotResolvedError } from './input-framing.js';
import type { WriterSchema } from './registry-client.js';
import { frameValue } from './wire-format.js';
import { WriterSchemaCache } from './writer-schemas.js';

// Framed intake end to end, short of Kafka: a record's writer schema is fetched (pinned in the
// cache), then prepareRecord decodes it synchronously with the topic's framing.

const V1 = 1;
const V2 = 2;
const INCOMPATIBLE = 3;
const PROTOBUF = 4;
const UNKNOWN = 404;

const registry = new Map<number, WriterSchema>([
  [V1, { schemaType: 'AVRO', schema: JSON.stringify(defaultSchemas().schema('Purchase').schema) }],
  [V2, { schemaType: 'AVRO', schema: JSON.stringify(purchaseV2()) }],
  [INCOMPATIBLE, { schemaType: 'AVRO', schema: JSON.stringify(purchaseIncompatible()) }],
  [PROTOBUF, { schemaType: 'PROTOBUF', schema: 'syntax = "proto3";' }],
]);
let registryDown = false;
const fetchSchema = async (id: number): Promise<WriterSchema> => {
  if (registryDown) throw new RegistryUnavailableError('stand-in down');
  const schema = registry.get(id);
  if (!schema) throw new UnknownSchemaIdError(id);
  return schema;
};

const input = purchasesInput('EUR');
const limits = { maxRecordBytes: 1_000_000, futureToleranceMs: 86_400_000 };
const v1 = codecFor('Purchase');
const encodeV2 = encoderOf(purchaseV2());
const encodeIncompatible = encoderOf(purchaseIncompatible());

function record(value: Buffer, headers: RawRecord['headers'] = {}): RawRecord {
  return {
    topic: 't.purchases',
    logicalTopic: 'purchases',
    partition: 0,
    offset: '1',
    key: Buffer.from(samplePurchase().customerId),
    value,
    headers,
    timestamp: String(samplePurchase().occurredAt),
  };
}

function framedInputs(framing: InputFraming, cacheSize = 100): FramedInputs {
  return new FramedInputs(
    new Map([['t.purchases', framing]]),
    new WriterSchemaCache(fetchSchema, { maxEntries: cacheSize }),
  );
}

/** What the consumer does: resolve the writer schemas, then prepare synchronously. */
async function intake(framing: InputFraming, value: Buffer, headers: RawRecord['headers'] = {}) {
  const inputs = framedInputs(framing);
  const r = record(value, headers);
  const release = await inputs.resolve([r]);
  try {
    return prepareRecord(r, input, inputs.decoder('t.purchases', 'Purchase'), limits);
  } finally {
    release();
  }
}

const outcome = (p: PreparedRecord<unknown>) =>
  p.kind === 'event' ? 'event' : `${p.reasonCode}: ${p.message}`;

describe('registry framing', () => {
  it('decodes a value framed with our own schema', async () => {
    const p = await intake('registry', frameValue(V1, v1.encode(samplePurchase())));
    expect(p.kind).toBe('event');
    expect(p.kind === 'event' && p.input.event).toEqual(samplePurchase());
  });

  it('reads a v2 writer (an added optional field) as the v1 reader expects', async () => {
    const v2Value = { ...samplePurchase(), loyaltyCardId: 'card-7' };
    const p = await intake('registry', frameValue(V2, encodeV2(v2Value)));
    expect(outcome(p)).toBe('event');
    expect(p.kind === 'event' && p.input.event).toEqual(samplePurchase());
  });

  it('dead-letters an id the registry does not know as UNKNOWN_SCHEMA_ID', async () => {
    const p = await intake('registry', frameValue(UNKNOWN, v1.encode(samplePurchase())));
    expect(outcome(p)).toBe('UNKNOWN_SCHEMA_ID: schema id 404 is unknown to the schema registry');
  });

  it('dead-letters a writer schema our reader cannot resolve as INCOMPATIBLE_WRITER_SCHEMA', async () => {
    const { currency: _, ...rest } = samplePurchase();
    const p = await intake(
      'registry',
      frameValue(INCOMPATIBLE, encodeIncompatible({ ...rest, store: 's-1' })),
    );
    expect(p.kind === 'rejected' && p.reasonCode).toBe('INCOMPATIBLE_WRITER_SCHEMA');
    expect(p.kind === 'rejected' && p.message).toMatch(
      /^writer schema id 3: writer schema cannot be read as Purchase/,
    );
    const proto = await intake('registry', frameValue(PROTOBUF, Buffer.from([1, 2, 3])));
    expect(outcome(proto)).toBe('INCOMPATIBLE_WRITER_SCHEMA: writer schema id 4 is PROTOBUF, not Avro');
  });

  it('dead-letters plain Avro on a registry topic as NOT_REGISTRY_FRAMED', async () => {
    const p = await intake('registry', v1.encode(samplePurchase()));
    expect(p.kind === 'rejected' && p.reasonCode).toBe('NOT_REGISTRY_FRAMED');
  });

  it('diagnoses a framed body that does not decode under its writer (cut short)', async () => {
    const body = v1.encode(samplePurchase());
    const p = await intake('registry', frameValue(V1, body.subarray(0, body.length - 3)));
    expect(p.kind === 'rejected' && p.reasonCode).toBe('TRUNCATED_AVRO');
    expect(p.kind === 'rejected' && p.message).toMatch(/^body of schema id 1: Purchase cut short/);
  });

  it('believes a vs.schema header naming another schema before looking at the frame', async () => {
    const p = await intake('registry', frameValue(V1, v1.encode(samplePurchase())), {
      [SCHEMA_HEADER]: Buffer.from('Interaction'),
    });
    expect(p.kind === 'rejected' && p.reasonCode).toBe('WRONG_SCHEMA');
  });

  it('never dead-letters a record whose writer schema was not fetched: the step is retried', () => {
    const inputs = framedInputs('registry');
    const decode = inputs.decoder('t.purchases', 'Purchase');
    expect(() =>
      prepareRecord(record(frameValue(V1, v1.encode(samplePurchase()))), input, decode, limits),
    ).toThrow(SchemaNotResolvedError);
  });

  it('lets an unreachable registry fail the resolution, not the records', async () => {
    const inputs = framedInputs('registry');
    registryDown = true;
    try {
      await expect(inputs.resolve([record(frameValue(V2, Buffer.alloc(1)))])).rejects.toBeInstanceOf(
        RegistryUnavailableError,
      );
    } finally {
      registryDown = false;
    }
    const release = await inputs.resolve([record(frameValue(V2, Buffer.alloc(1)))]);
    release();
  });

  it('looks up only framed values of framed topics', () => {
    const inputs = new FramedInputs(
      new Map<string, InputFraming>([
        ['t.purchases', 'registry'],
        ['t.customer-profiles', 'plain'],
      ]),
      new WriterSchemaCache(fetchSchema, { maxEntries: 10 }),
    );
    const framed = record(frameValue(9, Buffer.alloc(3)));
    const plainTopic = { ...framed, topic: 't.customer-profiles' };
    const unframed = record(v1.encode(samplePurchase()));
    expect(inputs.schemaIds([framed, plainTopic, unframed, { ...framed, value: null }])).toEqual([9]);
    expect(inputs.needsRegistry).toBe(true);
  });
});

describe('plain framing (the default)', () => {
  it('decodes plain Avro without any registry', () => {
    const inputs = new FramedInputs(new Map([['t.purchases', 'plain']]), null);
    expect(inputs.needsRegistry).toBe(false);
    const p = prepareRecord(
      record(v1.encode(samplePurchase())),
      input,
      inputs.decoder('t.purchases', 'Purchase'),
      limits,
    );
    expect(p.kind).toBe('event');
  });

  it('still calls a framed value WRONG_SCHEMA (schema-registry framing, not plain Avro)', async () => {
    const p = await intake('plain', frameValue(V1, v1.encode(samplePurchase())));
    expect(p.kind === 'rejected' && p.reasonCode).toBe('WRONG_SCHEMA');
    expect(p.kind === 'rejected' && p.message).toContain('schema-registry framing');
  });

  it('refuses a framed topic without a registry', () => {
    expect(() => new FramedInputs(new Map([['t.purchases', 'detect']]), null)).toThrow(/no schema registry/);
  });
});

describe('detect framing', () => {
  it('reads plain Avro and framed values on one topic', async () => {
    expect(outcome(await intake('detect', v1.encode(samplePurchase())))).toBe('event');
    expect(outcome(await intake('detect', frameValue(V1, v1.encode(samplePurchase()))))).toBe('event');
    const v2 = await intake('detect', frameValue(V2, encodeV2({ ...samplePurchase(), loyaltyCardId: null })));
    expect(v2.kind === 'event' && v2.input.event).toEqual(samplePurchase());
  });

  it('reads a plain value that starts with byte 0 as plain when its "id" is unknown (the ambiguous case)', async () => {
    // An empty eventId is encoded as length 0: plain Avro of our schema starting with the magic
    // byte. Its next four bytes read as an id (here the customerId's length and first bytes).
    const value = v1.encode({ ...samplePurchase(), eventId: '' });
    expect(value[0]).toBe(0);
    const p = await intake('detect', value);
    // Decoded as plain, then refused by the contract (an empty eventId), not as an unknown id.
    expect(p.kind === 'rejected' && p.reasonCode).toBe('INVALID_FIELD');
  });

  it('reads it as plain too when its "id" exists but the rest is no record of that writer', async () => {
    const value = v1.encode({ ...samplePurchase(), eventId: '' });
    const id = value.readUInt32BE(1);
    registry.set(id, registry.get(V1)!);
    try {
      const p = await intake('detect', value);
      expect(p.kind === 'rejected' && p.reasonCode).toBe('INVALID_FIELD');
    } finally {
      registry.delete(id);
    }
  });

  it('gives a 0-led value that is neither framed with a known id nor plain Avro UNKNOWN_SCHEMA_ID', async () => {
    const p = await intake('detect', frameValue(UNKNOWN, Buffer.from([0xff, 0xff, 0xff])));
    expect(p.kind === 'rejected' && p.reasonCode).toBe('UNKNOWN_SCHEMA_ID');
  });

  it('keeps the framed verdict when a known writer cannot be resolved and the value is no plain record', async () => {
    const p = await intake('detect', frameValue(PROTOBUF, Buffer.from([1, 2, 3])));
    expect(p.kind === 'rejected' && p.reasonCode).toBe('INCOMPATIBLE_WRITER_SCHEMA');
  });
});
