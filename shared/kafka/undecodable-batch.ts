import { createRequire } from 'node:module';
import { UNDECODABLE_BATCH_HEADER } from '../runtime/raw-record.js';

// A compressed batch that will not decompress (corrupt bytes, a codec we lack, a frame feature
// our decompressor does not know) made kafkajs throw while decoding the whole fetch response: the
// consumer crashed, again after every restart, and every partition of the group stalled. kafkajs
// hands a codec only the compressed bytes, which are a slice of the fetch response; the batch's
// header sits just before them in the same memory. From it we build stand-in records, one per
// record of the batch at its offsets, each carrying UNDECODABLE_BATCH_HEADER (raw-record.ts), the
// first one the batch's bytes whole: the runtime dead-letters them (reason UNDECODABLE_BATCH) and
// the partition goes on. Nothing is lost: the batch is in the dead-letter topic as Kafka stored it.

const require = createRequire(import.meta.url);

interface KafkaDecoder {
  offset: number;
  readVarInt(): number;
  canReadBytes(length: number): boolean;
  forward(length: number): void;
}
// kafkajs's own record encoder and decoder (its public API has neither).
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (record: {
  offsetDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}) => { buffer: Buffer };
const Decoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => KafkaDecoder;

/** Bytes of a v2 record batch before its records (Kafka's DefaultRecordBatch.RECORDS_OFFSET). */
const RECORDS_OFFSET = 61;
const LENGTH_OFFSET = 8;
const MAGIC_OFFSET = 16;
const LAST_OFFSET_DELTA_OFFSET = 23;
const RECORDS_COUNT_OFFSET = 57;
/** The length field counts the bytes after itself. */
const LOG_OVERHEAD = 12;

export interface BatchHeader {
  /** The whole batch, header and compressed records, as the broker sent it (a view, not a copy). */
  readonly bytes: Buffer;
  readonly firstOffset: bigint;
  readonly lastOffsetDelta: number;
  readonly count: number;
}

/**
 * The header of the v2 batch whose compressed records `compressed` is, read from the memory just
 * before it; null when that memory is not such a header (its length field must account exactly for
 * the compressed bytes and its magic byte be 2).
 */
export function batchHeaderOf(compressed: Buffer): BatchHeader | null {
  if (compressed.byteOffset < RECORDS_OFFSET) return null;
  const bytes = Buffer.from(
    compressed.buffer,
    compressed.byteOffset - RECORDS_OFFSET,
    RECORDS_OFFSET + compressed.length,
  );
  if (bytes.readInt8(MAGIC_OFFSET) !== 2) return null;
  if (bytes.readInt32BE(LENGTH_OFFSET) !== bytes.length - LOG_OVERHEAD) return null;
  const count = bytes.readInt32BE(RECORDS_COUNT_OFFSET);
  const lastOffsetDelta = bytes.readInt32BE(LAST_OFFSET_DELTA_OFFSET);
  if (count <= 0 || lastOffsetDelta < count - 1) return null;
  return { bytes, firstOffset: bytes.readBigInt64BE(0), lastOffsetDelta, count };
}

/**
 * Why `records` is not `count` length-prefixed records filling it exactly, or null when it is:
 * bytes that decompressed but are not what the codec was given.
 */
export function recordsFault(records: Buffer, count: number): string | null {
  const decoder = new Decoder(records);
  try {
    for (let i = 0; i < count; i++) {
      const length = decoder.readVarInt();
      if (length < 0 || !decoder.canReadBytes(length)) return `record ${i} of ${count} runs past the end`;
      decoder.forward(length);
    }
  } catch {
    return `record ${count} of ${count} runs past the end`;
  }
  const left = records.length - decoder.offset;
  return left === 0 ? null : `${left} bytes left after ${count} records`;
}

/**
 * The stand-ins for an unreadable batch, as the uncompressed records kafkajs decodes: one per
 * record, at the batch's offsets (a batch compaction thinned keeps its first and last offset: the
 * stand-ins between take the offsets after the first, which commit where the batch would).
 */
export function standInRecords(header: BatchHeader, why: string): Buffer {
  const last = header.firstOffset + BigInt(header.lastOffsetDelta);
  const reason = `${why}; batch of ${header.count} records, offsets ${header.firstOffset}..${last}, its bytes in the dead letter of offset ${header.firstOffset}`;
  const records: Buffer[] = [];
  for (let i = 0; i < header.count; i++) {
    records.push(
      encodeRecord({
        offsetDelta: i === header.count - 1 ? header.lastOffsetDelta : i,
        key: null,
        value: i === 0 ? Buffer.from(header.bytes) : null,
        headers: { [UNDECODABLE_BATCH_HEADER]: reason },
      }).buffer,
    );
  }
  return Buffer.concat(records);
}

interface Codec {
  compress(encoder: unknown): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

/**
 * `factory`'s codec, reading a batch it cannot decompress, or that decompresses to something
 * other than the batch's records, as stand-ins. Without a batch header before the bytes (not
 * kafkajs's fetch decoding) the failure is thrown as before.
 */
export function tolerantCodec(name: string, factory: () => Codec): () => Codec {
  return () => {
    const codec = factory();
    return {
      compress: (encoder) => codec.compress(encoder),
      async decompress(buffer: Buffer): Promise<Buffer> {
        let records: Buffer;
        try {
          records = await codec.decompress(buffer);
        } catch (error) {
          const header = batchHeaderOf(buffer);
          if (header === null) throw error;
          return standInRecords(header, `${name} batch does not decompress (${(error as Error).message})`);
        }
        const header = batchHeaderOf(buffer);
        const fault = header === null ? null : recordsFault(records, header.count);
        return fault === null
          ? records
          : standInRecords(header!, `${name} batch decompresses to garbage (${fault})`);
      },
    };
  };
}

/** A codec for attribute values Kafka has not assigned: every batch is read as stand-ins. */
export function unknownCodec(type: number): () => Codec {
  return tolerantCodec(`compression type ${type}`, () => ({
    compress: async () => {
      throw new Error(`compression type ${type} does not exist`);
    },
    decompress: async () => {
      throw new Error(`no codec has compression type ${type}`);
    },
  }));
}
