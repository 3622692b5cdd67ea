import { describe, expect, it } from 'vitest';
import { codecFor, defaultSchemas } from '../../shared/avro/index.js';
import { ConfigError, RejectedRecordError } from '../../shared/errors.js';
import { FramedInputs } from '../../shared/schema-registry/input-framing.js';
import { readFrame } from '../../shared/schema-registry/wire-format.js';
import { WriterSchemaCache } from '../../shared/schema-registry/writer-schemas.js';
import { SimulatorStream } from './cli.js';
import { RecordFramer, registrySettingsFromEnv } from './framing.js';
import { PurchaseSimulation } from './generate.js';

describe('registry settings of the simulator', () => {
  it('needs SCHEMA_REGISTRY_URL, named in the error', () => {
    expect(() => registrySettingsFromEnv({})).toThrow(ConfigError);
    expect(() => registrySettingsFromEnv({})).toThrow(
      /^SCHEMA_REGISTRY_URL: is required with --framing registry/,
    );
  });

  it('reads the workers’ connection variables and ignores their framing variables', () => {
    const settings = registrySettingsFromEnv({
      SCHEMA_REGISTRY_URL: 'http://127.0.0.1:38081/apis/ccompat/v7',
      SCHEMA_REGISTRY_USERNAME: 'pos',
      SCHEMA_REGISTRY_PASSWORD: 's3cret',
      SCHEMA_REGISTRY_TIMEOUT_MS: '2000',
      INPUT_FRAMING: 'registry',
      OUTPUT_FRAMING: 'registry',
    });
    expect(settings).toMatchObject({
      url: 'http://127.0.0.1:38081/apis/ccompat/v7',
      username: 'pos',
      password: 's3cret',
      timeoutMs: 2000,
    });
    expect(JSON.stringify(settings)).not.toContain('s3cret');
  });

  it('stops on connection variables that do not fit together, naming them', () => {
    expect(() =>
      registrySettingsFromEnv({ SCHEMA_REGISTRY_URL: 'http://r:8081', SCHEMA_REGISTRY_USERNAME: 'pos' }),
    ).toThrow(/^SCHEMA_REGISTRY_PASSWORD:/);
    expect(() => registrySettingsFromEnv({ SCHEMA_REGISTRY_URL: 'http://user:pw@r:8081' })).toThrow(
      /^SCHEMA_REGISTRY_URL:/,
    );
  });
});

describe('framing of produced values', () => {
  const ids = new Map([
    ['t.purchases', 41],
    ['t.customer-profiles', 42],
  ]);
  const framer = new RecordFramer(ids);

  it('frames each value with the id of its topic, body unchanged', () => {
    const body = Buffer.from([2, 0x61, 7, 0, 8]);
    const framed = framer.frame({ topic: 't.purchases', key: 'c-000001', value: body });
    expect(framed.value[0]).toBe(0);
    expect(readFrame(framed.value)).toEqual({ schemaId: 41, body });
    expect(framer.frame({ topic: 't.customer-profiles', key: 'k', value: body }).value.readUInt32BE(1)).toBe(
      42,
    );
    expect(framer.subjects()).toEqual({ 't.purchases-value': 41, 't.customer-profiles-value': 42 });
    expect(() => framer.frame({ topic: 'elsewhere', key: 'k', value: body })).toThrow(/elsewhere/);
  });

  it('reads back through registry framing: records as generated, malformed ones dead-lettered with their reason', async () => {
    const sim = new PurchaseSimulation({
      seed: 11,
      customers: 200,
      events: 3000,
      startTime: Date.UTC(2025, 0, 1),
      spanMs: 30 * 86_400_000,
      malformedShare: 0.05,
    });
    const stream = new SimulatorStream(
      sim,
      null,
      { purchases: 't.purchases', profiles: 't.customer-profiles' },
      true,
    );
    const schemaOfId = new Map([
      [41, 'Purchase'],
      [42, 'CustomerProfile'],
    ]);
    const cache = new WriterSchemaCache(
      async (id) => ({
        schemaType: 'AVRO',
        schema: JSON.stringify(defaultSchemas().schema(schemaOfId.get(id)!).schema),
      }),
      { maxEntries: 10 },
    );
    await cache.pin([41, 42]);
    const inputs = new FramedInputs(
      new Map([
        ['t.purchases', 'registry'],
        ['t.customer-profiles', 'registry'],
      ]),
      cache,
    );
    const decodePurchase = inputs.decoder('t.purchases', 'Purchase');
    const decodeProfile = inputs.decoder('t.customer-profiles', 'CustomerProfile');
    const seen = { purchases: 0, profiles: 0, malformed: 0, undecodable: 0 };
    for (let record = stream.next(); record; record = stream.next()) {
      const framed = framer.frame(record);
      expect(readFrame(framed.value)?.body).toEqual(record.value);
      if (record.source === 'profile') {
        seen.profiles++;
        expect(decodeProfile(framed.value)).toEqual(codecFor('CustomerProfile').decode(record.value));
        continue;
      }
      const purchase = record.purchase!;
      if (purchase.malformed) seen.malformed++;
      if (purchase.event) {
        // Well-formed, and malformed in meaning only: decodes; validation rejects the latter.
        seen.purchases++;
        expect(decodePurchase(framed.value)).toEqual(purchase.event);
      } else {
        seen.undecodable++;
        let thrown: unknown;
        try {
          decodePurchase(framed.value);
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeInstanceOf(RejectedRecordError);
        expect((thrown as RejectedRecordError).reasonCode).toBe(purchase.expectedReason);
      }
    }
    expect(seen.profiles).toBeGreaterThan(100);
    expect(seen.malformed).toBeGreaterThan(50);
    expect(seen.undecodable).toBeGreaterThan(20);
  });
});
