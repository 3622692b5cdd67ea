// Purchases written by registry-aware producers, seen the way the oracle needs them: the oracle
// reads plain v1 Avro, so each framed record is traced back (by eventId) to the purchase it was
// made from, and each framed output has its frame checked and taken off.
import avro from 'avsc';
import { expect } from 'vitest';
import { codecFor } from '../../shared/avro/index.js';
import type { Purchase } from '../../shared/contracts/generated.js';
import { readFrame } from '../../shared/schema-registry/wire-format.js';
import type { TopicRecord } from './kafka-test-client.js';

/** What the oracle sees for a record the worker must dead-letter (not Avro of a Purchase). */
const UNREADABLE = Buffer.from([0xff]);

/** A purchase as JSON for the foreign producer (the project's JSON: epoch ms, unions unwrapped). */
export function purchaseJson(event: Purchase, extra: Record<string, unknown> = {}): unknown {
  return { ...JSON.parse(JSON.stringify(event)), ...extra };
}

/**
 * The purchases topic as plain v1 Avro: a framed value whose id is in `writers` is decoded with
 * that writer schema and replaced by the plain v1 bytes of the purchase with its eventId; a framed
 * value of any other id becomes unreadable (to be dead-lettered); a plain value stays as it is.
 */
export function plainEquivalents(
  purchases: TopicRecord[][],
  writers: ReadonlyMap<number, object>,
  purchasesByEventId: ReadonlyMap<string, Purchase>,
): TopicRecord[][] {
  const plainCodec = codecFor('Purchase');
  // avsc directly, not the Avro module: a check of what the foreign producer wrote that does not
  // share the runtime's decoding.
  const types = new Map([...writers].map(([id, schema]) => [id, avro.Type.forSchema(schema as avro.Schema)]));
  return purchases.map((records) =>
    records.map((r): TopicRecord => {
      const value = r.value!;
      const frame = readFrame(value);
      if (frame === null) return r;
      const type = types.get(frame.schemaId);
      if (!type) return { ...r, value: UNREADABLE };
      const { eventId } = type.fromBuffer(Buffer.from(frame.body)) as { eventId: string };
      const purchase = purchasesByEventId.get(eventId);
      expect(purchase, `the purchase of framed record ${r.partition}/${r.offset}`).toBeDefined();
      return { ...r, value: plainCodec.encode(purchase!) };
    }),
  );
}

/** The outputs without their frames, after checking that each carries `schemaId`. */
export function unframed(records: TopicRecord[][], schemaId: number): TopicRecord[][] {
  return records.map((partition) =>
    partition.map((r): TopicRecord => {
      const frame = readFrame(r.value!);
      expect(frame?.schemaId, `frame of output ${r.partition}/${r.offset}`).toBe(schemaId);
      return { ...r, value: Buffer.from(frame!.body) };
    }),
  );
}
