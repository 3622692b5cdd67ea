import type { SimulatedRecord } from '../../services/pos-simulator/generate.js';
import type { RawRecord } from '../../shared/runtime/raw-record.js';

/** A simulated purchase as the consumer hands it to a partition processor (tests driving one by hand). */
export function rawPurchase(record: SimulatedRecord, partition: number, offset: number | string): RawRecord {
  return {
    topic: 'purchases',
    logicalTopic: 'purchases',
    partition,
    offset: String(offset),
    key: Buffer.from(record.key),
    value: record.value,
    headers: {},
    timestamp: String(record.emitAt),
  };
}
