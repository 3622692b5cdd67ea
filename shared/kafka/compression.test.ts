import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { registerCompressionCodecs } from './compression.js';

registerCompressionCodecs();
const { CompressionCodecs, CompressionTypes } = kafkajs;

const codec = (type: kafkajs.CompressionTypes) =>
  (
    CompressionCodecs as Record<
      number,
      () => { compress(e: { buffer: Buffer }): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> }
    >
  )[type]!();

const text = Buffer.from('valuestream compressed batch test '.repeat(5));
// The same text compressed by Debian's lz4 1.9.4 and zstd 1.5.4 command-line tools (frame format, as
// Kafka's Java client and librdkafka write them).
const LZ4_FRAME = 'BCJNGGRApy0AAAD/E3ZhbHVlc3RyZWFtIGNvbXByZXNzZWQgYmF0Y2ggdGVzdCAiAHBQdGVzdCAAAAAAiU8+fg==';
const ZSTD_FRAME = 'KLUv/SSqXQEAJAJ2YWx1ZXN0cmVhbSBjb21wcmVzc2VkIGJhdGNoIHRlc3QgAQAqFEo9AdB51Qo=';

describe('compression codecs for kafkajs', () => {
  it('reads LZ4 and zstd frames written by the reference tools', async () => {
    expect(await codec(CompressionTypes.LZ4).decompress(Buffer.from(LZ4_FRAME, 'base64'))).toEqual(text);
    expect(await codec(CompressionTypes.ZSTD).decompress(Buffer.from(ZSTD_FRAME, 'base64'))).toEqual(text);
  });

  it('round-trips snappy, which our producer may write', async () => {
    for (const type of [CompressionTypes.Snappy]) {
      const compressed = await codec(type).compress({ buffer: text });
      expect(compressed.length).toBeLessThan(text.length);
      expect(await codec(type).decompress(compressed)).toEqual(text);
    }
  });

  it('refuses to write lz4 and zstd, saying what to use', async () => {
    for (const type of [CompressionTypes.LZ4, CompressionTypes.ZSTD])
      await expect(codec(type).compress({ buffer: text })).rejects.toThrow(/gzip or snappy/);
  });
});
