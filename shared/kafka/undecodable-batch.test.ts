import { createRequire } from 'node:module';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { UNDECODABLE_BATCH_HEADER } from '../runtime/raw-record.js';
import { registerCompressionCodecs } from './compression.js';
import { batchHeaderOf } from './undecodable-batch.js';

// Batches built and read with kafkajs's own protocol code, as a fetch response holds them.
const require = createRequire(import.meta.url);
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch: (batch: Record<string, unknown>) => Promise<{ buffer: Buffer }>;
};
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (r: object) => unknown;
const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (
  decoder: unknown,
) => Promise<{ records: DecodedRecord[] }>;
const Decoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => unknown;
const Long = require('kafkajs/src/utils/long') as { fromValue(v: number): unknown };

interface DecodedRecord {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
}

registerCompressionCodecs();
const { CompressionTypes } = kafkajs;

const ATTRIBUTES_OFFSET = 21;
const RECORDS_OFFSET = 61;

async function batch(
  firstOffset: number,
  values: string[],
  compression = CompressionTypes.GZIP,
): Promise<Buffer> {
  const encoded = await RecordBatch({
    compression,
    firstOffset: Long.fromValue(firstOffset),
    lastOffsetDelta: values.length - 1,
    records: values.map((value, i) =>
      encodeRecord({ offsetDelta: i, key: Buffer.from(`key-${i}`), value: Buffer.from(value) }),
    ),
  });
  return Buffer.from(encoded.buffer);
}

/** The records kafkajs decodes from batches laid one after the other, as in a fetch response. */
async function decodeAll(...batches: Buffer[]): Promise<DecodedRecord[][]> {
  const decoder = new Decoder(Buffer.concat(batches));
  const out: DecodedRecord[][] = [];
  for (let i = 0; i < batches.length; i++) out.push((await decodeBatch(decoder)).records);
  return out;
}

describe('batches the consumer cannot decompress', () => {
  const values = ['first purchase', 'second purchase', 'third purchase'];

  it('read as before when they decompress, with every codec we read', async () => {
    for (const type of [CompressionTypes.None, CompressionTypes.GZIP, CompressionTypes.Snappy]) {
      const [records] = await decodeAll(await batch(40, values, type));
      expect(records!.map((r) => [r.offset, r.value?.toString()])).toEqual([
        ['40', 'first purchase'],
        ['41', 'second purchase'],
        ['42', 'third purchase'],
      ]);
      expect(records!.every((r) => r.headers[UNDECODABLE_BATCH_HEADER] === undefined)).toBe(true);
    }
  });

  it('become stand-ins at their offsets, the first holding the batch, and the next batch reads', async () => {
    const corrupt = await batch(1000, values);
    const stored = Buffer.from(corrupt);
    // Inside the deflate stream, past the gzip header: inflate fails or the CRC does not match.
    for (let i = RECORDS_OFFSET + 14; i < corrupt.length - 8; i += 3)
      corrupt.writeUInt8(corrupt.readUInt8(i) ^ 0x5a, i);
    const [standIns, next] = await decodeAll(corrupt, await batch(1003, ['fourth purchase']));
    expect(standIns!.map((r) => r.offset)).toEqual(['1000', '1001', '1002']);
    expect(standIns!.map((r) => r.key)).toEqual([null, null, null]);
    expect(standIns![0]!.value).toEqual(corrupt);
    expect(standIns![0]!.value).not.toEqual(stored);
    expect(standIns![1]!.value).toBeNull();
    const why = standIns![0]!.headers[UNDECODABLE_BATCH_HEADER]!.toString();
    expect(why).toMatch(/^gzip batch does not decompress \(.+\); batch of 3 records, offsets 1000\.\.1002/);
    expect(next!.map((r) => [r.offset, r.value?.toString()])).toEqual([['1003', 'fourth purchase']]);
  });

  it('read as stand-ins when the codec bits name no codec Kafka has', async () => {
    const unknown = await batch(7, values);
    unknown.writeInt16BE((unknown.readInt16BE(ATTRIBUTES_OFFSET) & ~0x07) | 6, ATTRIBUTES_OFFSET);
    const [standIns] = await decodeAll(unknown);
    expect(standIns!.map((r) => r.offset)).toEqual(['7', '8', '9']);
    expect(standIns![0]!.headers[UNDECODABLE_BATCH_HEADER]!.toString()).toMatch(
      /^compression type 6 batch does not decompress \(no codec has compression type 6\)/,
    );
  });

  it('read as stand-ins when they decompress to other than their records', async () => {
    const fewer = await batch(20, values);
    fewer.writeInt32BE(2, RECORDS_OFFSET - 4);
    const [standIns] = await decodeAll(fewer);
    // Two stand-ins: the count the batch claims, the last at its last offset.
    expect(standIns!.map((r) => r.offset)).toEqual(['20', '22']);
    expect(standIns![0]!.headers[UNDECODABLE_BATCH_HEADER]!.toString()).toMatch(
      /^gzip batch decompresses to garbage \(\d+ bytes left after 2 records\)/,
    );
  });

  it('finds no batch header before bytes that are not in a batch, and then fails as the codec does', async () => {
    const alone = Buffer.alloc(100, 7);
    expect(batchHeaderOf(alone)).toBeNull();
    expect(batchHeaderOf(Buffer.from(alone.buffer, alone.byteOffset + 70, 30))).toBeNull();
    const gzip = (
      kafkajs.CompressionCodecs as Record<number, () => { decompress(b: Buffer): Promise<Buffer> }>
    )[CompressionTypes.GZIP]!();
    await expect(gzip.decompress(Buffer.alloc(30, 7))).rejects.toThrow();
  });
});
