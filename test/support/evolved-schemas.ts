import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AvroSchemaObject, defaultSchemas, loadSchemas } from '../../shared/avro/index.js';

// Other versions of our schemas, as a producer on a newer (or broken) contract would write them:
// for tests of schema resolution. Each is encoded through the Avro module (the only one that
// imports avsc) by loading it from a folder of its own.

const ours = (name: string): AvroSchemaObject => defaultSchemas().schema(name).schema;

/** Purchase v2: v1 plus an optional `loyaltyCardId` (null by default) after `currency`. Compatible. */
export function purchaseV2(): AvroSchemaObject {
  const v1 = ours('Purchase');
  const fields = [...v1.fields!];
  const at = fields.findIndex((f) => f.name === 'currency') + 1;
  fields.splice(at, 0, {
    name: 'loyaltyCardId',
    type: ['null', 'string'],
    default: null,
    doc: 'Loyalty card shown at the till (v2).',
  });
  return { ...v1, fields };
}

/** Purchase v3: `currency` removed and no default for a new required field. Incompatible with v1 readers. */
export function purchaseIncompatible(): AvroSchemaObject {
  const v1 = ours('Purchase');
  const fields = v1.fields!.filter((f) => f.name !== 'currency');
  return { ...v1, fields: [...fields, { name: 'store', type: 'string' }] };
}

/** An encoder of values in `schema` (a record named like one of ours). */
export function encoderOf(schema: AvroSchemaObject): (value: unknown) => Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'vs-evolved-'));
  writeFileSync(join(dir, `${schema.name}.avsc`), JSON.stringify(schema));
  const codec = loadSchemas(dir).codec<unknown>(schema.name!);
  return (value) => codec.encode(value);
}
