import { AvroResolveError, defaultSchemas, type SchemaRegistry } from '../avro/index.js';
import { ReasonCode } from '../contracts/reason-codes.js';
import { RejectedRecordError, ValuestreamError } from '../errors.js';
import type { RawRecord } from '../runtime/raw-record.js';
import type { ValueDecoder } from '../runtime/record-intake.js';
import { diagnoseUndecodable } from '../runtime/undecodable.js';
import { type Frame, readFrame } from './wire-format.js';
import type { Release, WriterEntry, WriterSchemaCache } from './writer-schemas.js';

// How an input topic's values are framed, and their decoders. `plain`: Avro of our schema, no
// frame (the contract before the registry). `registry`: every value in the Confluent wire format;
// its writer schema comes from the registry by id and is resolved against our reader schema.
// `detect`: both on one topic. Plain Avro has no tag, so a plain value can start with byte 0: in
// our schemas only when its first field, the eventId, is empty, which the contract rejects
// anyway. Detect reads a value as framed when it starts with 0, is at least 5 bytes long, the
// registry knows its id and the body decodes whole under that writer schema; otherwise as plain
// (a 0-led value whose id the registry does not know and that is no plain record either is
// dead-lettered as UNKNOWN_SCHEMA_ID).

export const INPUT_FRAMINGS = ['plain', 'registry', 'detect'] as const;
export type InputFraming = (typeof INPUT_FRAMINGS)[number];

/** A framed value's schema id was not looked up before decoding: retry the step (never a dead letter). */
export class SchemaNotResolvedError extends ValuestreamError {
  constructor(id: number) {
    super('SCHEMA_NOT_RESOLVED', `schema id ${id} was not fetched before decoding`, { retriable: true });
  }
}

type ReaderDecoding = { readonly decode: (body: Buffer) => unknown } | { readonly refusal: string };

export class FramedInputs {
  constructor(
    /** Framing per input topic as named on the cluster. */
    private readonly framingOf: ReadonlyMap<string, InputFraming>,
    private readonly cache: WriterSchemaCache | null,
    private readonly schemas: SchemaRegistry = defaultSchemas(),
  ) {
    for (const [topic, framing] of framingOf)
      if (framing !== 'plain' && cache === null)
        throw new Error(
          `input ${topic} is read with framing ${framing} but no schema registry is configured`,
        );
  }

  /** Whether any input needs the registry (the consumer then resolves ids before decoding). */
  get needsRegistry(): boolean {
    return [...this.framingOf.values()].some((f) => f !== 'plain');
  }

  framing(clusterTopic: string): InputFraming {
    return this.framingOf.get(clusterTopic) ?? 'plain';
  }

  /** The schema ids the records name (framed topics only). */
  schemaIds(records: readonly RawRecord[]): number[] {
    const ids = new Set<number>();
    for (const record of records) {
      if (record.value === null || this.framing(record.topic) === 'plain') continue;
      const frame = readFrame(record.value);
      if (frame !== null) ids.add(frame.schemaId);
    }
    return [...ids];
  }

  /** Fetches the writer schemas `records` name and keeps them until release (see WriterSchemaCache). */
  async resolve(records: readonly RawRecord[]): Promise<Release> {
    const ids = this.schemaIds(records);
    if (ids.length === 0 || this.cache === null) return () => undefined;
    return this.cache.pin(ids);
  }

  /** The synchronous decoder of a topic's values as `readerName` (prepareRecord's ValueDecoder). */
  decoder(clusterTopic: string, readerName: string): ValueDecoder {
    const plain = this.schemas.codec(readerName);
    const framing = this.framing(clusterTopic);
    if (framing === 'plain') return (value) => plain.decode(value);
    if (framing === 'registry') {
      return (value) => {
        const frame = readFrame(value);
        if (frame === null)
          throw new RejectedRecordError(
            ReasonCode.NOT_REGISTRY_FRAMED,
            'value does not start with the schema-registry frame (magic byte 0, 4-byte schema id): plain Avro on a topic read with registry framing',
          );
        return this.decodeFramed(frame, this.entryOf(frame), readerName);
      };
    }
    return (value) => {
      const frame = readFrame(value);
      if (frame === null) return plain.decode(value);
      const entry = this.entryOf(frame);
      if (entry.kind === 'unknown') {
        try {
          return plain.decode(value);
        } catch {
          throw unknownId(frame.schemaId);
        }
      }
      try {
        return this.decodeFramed(frame, entry, readerName);
      } catch (framedError) {
        try {
          return plain.decode(value);
        } catch {
          throw framedError;
        }
      }
    };
  }

  private entryOf(frame: Frame): WriterEntry {
    const entry = this.cache?.get(frame.schemaId);
    if (entry === undefined) throw new SchemaNotResolvedError(frame.schemaId);
    return entry;
  }

  private decodeFramed(frame: Frame, entry: WriterEntry, readerName: string): unknown {
    if (entry.kind === 'unknown') throw unknownId(frame.schemaId);
    const decoding = this.readerDecoding(entry, readerName);
    if ('refusal' in decoding)
      throw new RejectedRecordError(ReasonCode.INCOMPATIBLE_WRITER_SCHEMA, decoding.refusal);
    try {
      return decoding.decode(frame.body);
    } catch (error) {
      const diagnosis = diagnoseUndecodable(frame.body, readerName, (error as Error).message, this.schemas);
      throw new RejectedRecordError(
        diagnosis.reasonCode,
        `body of schema id ${frame.schemaId}: ${diagnosis.message}`,
      );
    }
  }

  /** How values of this writer are read as `readerName`, built once per pair. */
  private readerDecoding(
    entry: Extract<WriterEntry, { kind: 'schema' }>,
    readerName: string,
  ): ReaderDecoding {
    const known = entry.readers.get(readerName) as ReaderDecoding | undefined;
    if (known) return known;
    let decoding: ReaderDecoding;
    const id = entry.schemaId;
    if (entry.writer.schemaType.toUpperCase() !== 'AVRO') {
      decoding = { refusal: `writer schema id ${id} is ${entry.writer.schemaType}, not Avro` };
    } else {
      try {
        const writerSchema: unknown = JSON.parse(entry.writer.schema);
        decoding = { decode: this.schemas.writerDecoder(readerName, writerSchema) };
      } catch (error) {
        decoding = {
          refusal:
            error instanceof AvroResolveError
              ? `writer schema id ${id}: ${error.message}`
              : `writer schema id ${id} is not JSON`,
        };
      }
    }
    entry.readers.set(readerName, decoding);
    return decoding;
  }
}

function unknownId(id: number): RejectedRecordError {
  return new RejectedRecordError(
    ReasonCode.UNKNOWN_SCHEMA_ID,
    `schema id ${id} is unknown to the schema registry`,
  );
}
