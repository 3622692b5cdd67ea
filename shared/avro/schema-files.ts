// Reads the Avro schema files (schemas/*.avsc) as JSON. No avsc here: the type generator and the
// docs tooling use this too. Each file holds one top-level named record, its file name is
// `<RecordName>.avsc`, and the record is self-contained (it defines every named type it uses).

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's schemas/ folder. */
export const DEFAULT_SCHEMA_DIR: string = fileURLToPath(new URL('../../schemas/', import.meta.url));

/** JSON form of an Avro schema, as parsed from an .avsc file. */
export type AvroSchemaJson = string | AvroSchemaObject | AvroSchemaJson[];

export interface AvroSchemaObject {
  readonly type: AvroSchemaJson;
  readonly name?: string;
  readonly namespace?: string;
  readonly doc?: string;
  readonly fields?: readonly AvroFieldJson[];
  readonly symbols?: readonly string[];
  readonly items?: AvroSchemaJson;
  readonly values?: AvroSchemaJson;
  readonly logicalType?: string;
  readonly size?: number;
  readonly default?: unknown;
}

export interface AvroFieldJson {
  readonly name: string;
  readonly type: AvroSchemaJson;
  readonly doc?: string;
  readonly default?: unknown;
}

export interface SchemaFile {
  /** Short name of the top-level record, e.g. "Purchase" (also the file's base name). */
  readonly name: string;
  /** Full name, e.g. "valuestream.Purchase". */
  readonly fullName: string;
  readonly fileName: string;
  readonly schema: AvroSchemaObject;
}

/** Reads every `*.avsc` in `dir`, sorted by file name. Throws on a malformed file. */
export function readSchemaFiles(dir: string = DEFAULT_SCHEMA_DIR): SchemaFile[] {
  const fileNames = readdirSync(dir)
    .filter((f) => f.endsWith('.avsc'))
    .sort();
  return fileNames.map((fileName) => {
    const text = readFileSync(join(dir, fileName), 'utf8');
    let schema: AvroSchemaObject;
    try {
      schema = JSON.parse(text) as AvroSchemaObject;
    } catch (err) {
      throw new Error(`schemas/${fileName}: not valid JSON (${(err as Error).message})`);
    }
    const base = fileName.slice(0, -'.avsc'.length);
    if (schema.type !== 'record' || schema.name !== base) {
      throw new Error(`schemas/${fileName}: must hold one record named ${base}`);
    }
    const namespace = schema.namespace ?? '';
    return { name: base, fullName: namespace ? `${namespace}.${base}` : base, fileName, schema };
  });
}
