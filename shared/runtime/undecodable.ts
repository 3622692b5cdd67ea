// Why an input value that failed strict Avro decoding failed: truncated Avro, Avro of another
// schema, or not Avro at all. Avro binary carries no type tag, so this is evidence, not proof;
// the rules and their limits are in schemas/dead-letter-headers.md ("Telling undecodable
// values apart"). Pure and deterministic, so a replay gives every record the same reason.

import { defaultSchemas, type SchemaRegistry } from '../avro/index.js';
import { type AvroWalk, walkAvro } from '../avro/prefix-walk.js';
import type { SchemaFile } from '../avro/schema-files.js';
import { ReasonCode } from '../contracts/reason-codes.js';

export interface UndecodableDiagnosis {
  readonly reasonCode: ReasonCode;
  readonly message: string;
}

/** Header a producer may set to name the schema of a value (our workers set it on every output). */
export const SCHEMA_HEADER = 'vs.schema';

/** Bytes of the schema-registry wire format before the Avro body: magic byte 0, 4-byte schema id. */
const REGISTRY_FRAME_BYTES = 5;

/**
 * Every catalogue record starts with two ids (eventId, customerId). A walk is evidence of Avro
 * only when it read both as non-empty text: random bytes almost never do, real records always.
 */
function plausible(walk: AvroWalk): boolean {
  return walk.leadingTexts >= 2;
}

function wholeRecord(walk: AvroWalk, length: number): boolean {
  return walk.outcome === 'complete' && walk.end === length && plausible(walk);
}

/**
 * `other`'s fields are the first fields of `own`, type for type (an erasure request is the
 * envelope every record starts with): a cut `own` can read as a whole `other`, so a whole
 * `other` is no evidence of a wrong schema.
 */
function isPrefixOf(other: SchemaFile, own: SchemaFile): boolean {
  type Fields = ReadonlyArray<{ readonly type: unknown }>;
  const mine = (own.schema as unknown as { fields: Fields }).fields;
  const theirs = (other.schema as unknown as { fields: Fields }).fields;
  return (
    theirs.length <= mine.length &&
    theirs.every((f, i) => JSON.stringify(f.type) === JSON.stringify(mine[i]!.type))
  );
}

/** The catalogue schema (other than `except`) `value` is one whole record of, from `start`. */
function wholeRecordOf(
  value: Buffer,
  start: number,
  schemas: SchemaRegistry,
  except: string | null,
): string | null {
  for (const name of schemas.names) {
    if (name === except) continue;
    if (except !== null && isPrefixOf(schemas.schema(name), schemas.schema(except))) continue;
    if (wholeRecord(walkAvro(schemas.schema(name), value, start), value.length)) return name;
  }
  return null;
}

/** Classifies a value that `schemaName`'s strict decoder rejected with `decodeFailure`. */
export function diagnoseUndecodable(
  value: Buffer,
  schemaName: string,
  decodeFailure: string,
  schemas: SchemaRegistry = defaultSchemas(),
): UndecodableDiagnosis {
  const other = wholeRecordOf(value, 0, schemas, schemaName);
  if (other !== null) {
    return {
      reasonCode: ReasonCode.WRONG_SCHEMA,
      message: `value is a whole ${other} record, not a ${schemaName}`,
    };
  }
  if (value.length > REGISTRY_FRAME_BYTES && value[0] === 0) {
    const framed = wholeRecordOf(value, REGISTRY_FRAME_BYTES, schemas, null);
    if (framed !== null) {
      return {
        reasonCode: ReasonCode.WRONG_SCHEMA,
        message: `value is a ${framed} record in schema-registry framing (magic byte and schema id), not plain Avro: read the topic with INPUT_FRAMING registry or detect`,
      };
    }
  }
  const walk = walkAvro(schemas.schema(schemaName), value);
  if (walk.outcome === 'complete' && walk.end < value.length && plausible(walk)) {
    return {
      reasonCode: ReasonCode.WRONG_SCHEMA,
      message: `${value.length - walk.end} bytes left after a whole ${schemaName}: written with another (e.g. newer) schema`,
    };
  }
  if (walk.outcome === 'ran-out' && plausible(walk)) {
    return {
      reasonCode: ReasonCode.TRUNCATED_AVRO,
      message: `${schemaName} cut short: the value ends inside field ${walk.stoppedIn}`,
    };
  }
  return {
    reasonCode: ReasonCode.AVRO_DECODE,
    message: `not a valid ${schemaName} record: ${decodeFailure}`,
  };
}

/**
 * WRONG_SCHEMA when the record's `vs.schema` header names a schema other than `schemaName`
 * (short or full name); null without the header. The header's value is named in the message
 * only when it is a catalogue schema: anything else could be data.
 */
export function declaredSchemaMismatch(
  header: Buffer | string | undefined,
  schemaName: string,
  schemas: SchemaRegistry = defaultSchemas(),
): UndecodableDiagnosis | null {
  if (header === undefined) return null;
  const declared = header.toString();
  const own = schemas.schema(schemaName);
  if (declared === own.name || declared === own.fullName) return null;
  const known = schemas.names.find((n) => n === declared || schemas.schema(n).fullName === declared);
  return {
    reasonCode: ReasonCode.WRONG_SCHEMA,
    message: `header ${SCHEMA_HEADER} declares ${known ?? 'an unknown schema'}, not ${schemaName}`,
  };
}
