import { readFileSync } from 'node:fs';
import avro from 'avsc';
import { describe, expect, it, type TestContext } from 'vitest';
import { testEndpoints, testSchemaRegistryUrl, uniqueName } from '../support/endpoints.js';
import { consumeFramed, produceFramed } from '../support/foreign-registry-client.js';
import { createTestTopics, readWholeTopic } from '../support/kafka-test-client.js';
import {
  checkCompatibility,
  globalCompatibility,
  latestSchema,
  registerSchema,
} from '../support/schema-registry-http.js';

// The registry that deploy/stack.sh starts (Apicurio Registry, in memory) against its own
// Confluent-compatible API and a client outside Node (python3-confluent-kafka), so that the
// runtime's registry support is tested against a real registry's answers, not our reading of them.

type Field = { name: string; type: unknown; default?: unknown };
type RecordSchema = { type: 'record'; name: string; namespace: string; fields: Field[] };

const purchaseV1 = JSON.parse(
  readFileSync(new URL('../../schemas/Purchase.avsc', import.meta.url), 'utf8'),
) as RecordSchema;

/** v2: one new optional field with a default, the evolution BACKWARD allows. */
const purchaseV2: RecordSchema = {
  ...purchaseV1,
  fields: [...purchaseV1.fields, { name: 'loyaltyCardId', type: ['null', 'string'], default: null }],
};

/** v3: a new required field without a default: v3 readers cannot read v2 data. */
const purchaseV3Required: RecordSchema = {
  ...purchaseV2,
  fields: [...purchaseV2.fields, { name: 'basketId', type: 'string' }],
};

/** v3': a field's type changed (string to long): incompatible as well. */
const purchaseV3TypeChange: RecordSchema = {
  ...purchaseV2,
  fields: purchaseV2.fields.map((f) => (f.name === 'channel' ? { name: 'channel', type: 'long' } : f)),
};

function registryOrSkip(ctx: TestContext): string {
  const url = testSchemaRegistryUrl();
  if (!url) ctx.skip('no schema registry in this run (STACK_SCHEMA_REGISTRY=off)');
  return url;
}

function purchase(i: number, loyaltyCardId: string | null): Record<string, unknown> {
  return {
    eventId: `e-${i}`,
    customerId: `c-${i % 3}`,
    occurredAt: 1_764_000_000_000 + i,
    kind: i % 4 === 3 ? 'RETURN' : 'SALE',
    currency: 'EUR',
    lines: [
      {
        sku: `sku-${i}`,
        category: 'groceries/dairy',
        quantity: 1 + i,
        unitPriceMinor: 199 + i,
        marginMinor: i % 2 === 0 ? 40 : null,
        kcalPerUnit: null,
        usage: i % 5 === 0 ? { unit: 'GB', amountPerUnit: 10.5 } : null,
      },
    ],
    channel: 'store',
    storeId: i % 2 === 0 ? 'store-7' : null,
    returnOfEventId: null,
    loyaltyCardId,
  };
}

describe('the schema registry of the local stack', () => {
  it('runs with BACKWARD compatibility for every subject', async (ctx) => {
    const url = registryOrSkip(ctx);
    expect((await globalCompatibility(url)).body).toEqual({ compatibilityLevel: 'BACKWARD' });
  });

  it('takes Purchase v1 and a v2 with an added optional field under purchases-value, and refuses an incompatible v3 with 409', async (ctx) => {
    const url = registryOrSkip(ctx);
    const subject = 'purchases-value';

    const v1 = await registerSchema(url, subject, purchaseV1);
    expect(v1.status).toBe(200);
    expect(v1.body.id).toEqual(expect.any(Number));
    const v2 = await registerSchema(url, subject, purchaseV2);
    expect(v2.status).toBe(200);
    expect(v2.body.id).not.toBe(v1.body.id);
    // Registering the same text again is idempotent: same id (the stack may be reused across runs).
    expect((await registerSchema(url, subject, purchaseV2)).body.id).toBe(v2.body.id);

    const latest = await latestSchema(url, subject);
    expect(latest.body.id).toBe(v2.body.id);
    expect(JSON.parse(String(latest.body.schema))).toEqual(purchaseV2);

    for (const incompatible of [purchaseV3Required, purchaseV3TypeChange]) {
      expect((await checkCompatibility(url, subject, incompatible)).body).toMatchObject({
        is_compatible: false,
      });
      const refused = await registerSchema(url, subject, incompatible);
      expect(refused.status).toBe(409);
    }
    expect((await latestSchema(url, subject)).body.id).toBe(v2.body.id);
  });

  it('carries records from a foreign registry-aware producer to a foreign consumer (python3-confluent-kafka)', async (ctx) => {
    const registryUrl = registryOrSkip(ctx);
    const { kafkaBrokers } = testEndpoints();
    const topic = uniqueName('foreign-purchases');
    await createTestTopics(kafkaBrokers, [topic], 3);
    const target = { brokers: kafkaBrokers, registryUrl, topic };
    const records = Array.from({ length: 12 }, (_, i) => ({
      key: `c-${i % 3}`,
      value: purchase(i, i % 2 === 0 ? `card-${i}` : null),
    }));

    const { sent, schemaId } = await produceFramed(target, purchaseV2, records);
    expect(sent).toBe(12);
    expect((await latestSchema(registryUrl, `${topic}-value`)).body.id).toBe(schemaId);

    // On the wire: the Confluent frame (magic 0, big-endian schema id) around plain Avro of v2
    // (read here without logical types: timestamps as epoch milliseconds).
    const v2Type = avro.Type.forSchema(purchaseV2 as avro.Schema);
    const onTheWire = (await readWholeTopic(kafkaBrokers, topic)).flat();
    expect(onTheWire).toHaveLength(12);
    for (const record of onTheWire) {
      const value = record.value!;
      expect(value[0]).toBe(0);
      expect(value.readInt32BE(1)).toBe(schemaId);
      const decoded = v2Type.fromBuffer(value.subarray(5)) as { eventId: string; occurredAt: number };
      const sentValue = records.find((r) => r.value.eventId === decoded.eventId)!;
      expect(record.key!.toString()).toBe(sentValue.key);
      expect(decoded.occurredAt).toBe(sentValue.value.occurredAt);
    }

    const consumed = await consumeFramed(target, 12);
    const byEventId = (a: { value: unknown }, b: { value: unknown }) =>
      String((a.value as { eventId: string }).eventId).localeCompare(
        (b.value as { eventId: string }).eventId,
      );
    expect(consumed.map(({ key, value }) => ({ key, value })).sort(byEventId)).toEqual(
      [...records].sort(byEventId),
    );

    // A consumer still on v1 resolves the v2 frames to its own schema: the new field is dropped.
    const asV1 = await consumeFramed(target, 12, { readerSchema: purchaseV1 });
    expect(asV1.map((r) => Object.keys(r.value as object))).toEqual(
      asV1.map(() => purchaseV1.fields.map((f) => f.name)),
    );
  });
});
