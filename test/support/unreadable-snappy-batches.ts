import kafkajs from 'kafkajs';
import snappy from 'kafkajs-snappy';
import { registerCompressionCodecs } from '../../shared/kafka/compression.js';
import { tolerantCodec } from '../../shared/kafka/undecodable-batch.js';
import { UNREADABLE_MARKER } from './unreadable-marker.js';

// Preloaded into a worker process under test: its snappy decompressor fails on every batch holding
// UNREADABLE_MARKER, as a decompressor fails on a batch it cannot read, behind the same tolerance
// the worker registers. Brokers check what they store, so a batch a consumer cannot read is not one
// a test can produce; this stands for the corrupt or unsupported frame a consumer meets in the field.
// Never import it into a test's own process: it would not read those batches either.

type Codec = Parameters<typeof tolerantCodec>[1] extends () => infer C ? C : never;

registerCompressionCodecs();
(kafkajs.CompressionCodecs as unknown as Record<number, () => Codec>)[kafkajs.CompressionTypes.Snappy] =
  tolerantCodec('snappy', () => {
    const codec = (snappy as () => Codec)();
    return {
      compress: (encoder) => codec.compress(encoder),
      async decompress(buffer) {
        const records = await codec.decompress(buffer);
        if (records.includes(UNREADABLE_MARKER)) throw new Error('injected: snappy stream unreadable');
        return records;
      },
    };
  });
