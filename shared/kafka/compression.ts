import { decompress as zstdDecompress } from 'fzstd';
import kafkajs from 'kafkajs';
import snappyCodec from 'kafkajs-snappy';
import * as lz4 from 'lz4js';
import { tolerantCodec, unknownCodec } from './undecodable-batch.js';

// kafkajs reads only uncompressed and gzip batches by itself: a batch a Java or librdkafka producer
// compressed with snappy, lz4 or zstd (their common defaults) made the consumer crash, again on
// every restart, and the whole group stall. kafkajs takes other codecs through CompressionCodecs;
// these are pure JavaScript (no native build): snappy with Kafka's xerial framing
// (kafkajs-snappy, by kafkajs's author), LZ4 frames (lz4js), Zstandard (fzstd, decompression
// only). Our producer writes none, gzip or snappy (OUTPUT_COMPRESSION). A batch that none of them
// can read is read as stand-in records the runtime dead-letters (./undecodable-batch.ts).

function lz4Codec() {
  return {
    async compress(): Promise<Buffer> {
      // lz4js writes frames without the block-independence flag, which Kafka's brokers refuse.
      throw new Error('lz4 compression is not supported for produced records; use gzip or snappy');
    },
    async decompress(buffer: Buffer): Promise<Buffer> {
      return Buffer.from(lz4.decompress(buffer));
    },
  };
}

function zstdCodec() {
  return {
    async compress(): Promise<Buffer> {
      throw new Error('zstd compression is not supported for produced records; use gzip or snappy');
    },
    async decompress(buffer: Buffer): Promise<Buffer> {
      const out = zstdDecompress(buffer);
      return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    },
  };
}

// kafkajs is CommonJS: Node's ESM loader does not see these two as named exports.
const { CompressionCodecs, CompressionTypes } = kafkajs;

let registered = false;

/** Registers the snappy, LZ4 and zstd codecs with kafkajs (once per process). */
export function registerCompressionCodecs(): void {
  if (registered) return;
  registered = true;
  const codecs = CompressionCodecs as unknown as Record<number, Parameters<typeof tolerantCodec>[1]>;
  codecs[CompressionTypes.GZIP] = tolerantCodec('gzip', codecs[CompressionTypes.GZIP]!);
  codecs[CompressionTypes.Snappy] = tolerantCodec('snappy', snappyCodec);
  codecs[CompressionTypes.LZ4] = tolerantCodec('lz4', lz4Codec);
  codecs[CompressionTypes.ZSTD] = tolerantCodec('zstd', zstdCodec);
  // The three values of the attributes' codec bits Kafka has not assigned.
  for (const type of [5, 6, 7]) codecs[type] = unknownCodec(type);
}
