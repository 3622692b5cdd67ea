import { describe, expect, it } from 'vitest';
import { deadLetterEntry } from './dead-letter.js';

describe('dead letters', () => {
  it('keep key, value and headers byte for byte and add the reason headers', () => {
    const value = Buffer.from([0, 255, 7, 1]);
    const entry = deadLetterEntry({
      record: {
        topic: 't-purchases',
        logicalTopic: 'purchases',
        partition: 4,
        offset: '99',
        key: Buffer.from('c-000001'),
        value,
        headers: { trace: Buffer.from([1, 2, 3]) },
        timestamp: '1700000000000',
      },
      deadLetterTopic: 't-purchases.dlq',
      reasonCode: 'AVRO_DECODE',
      message: 'not a valid Purchase record',
      worker: 'value-segmentation',
      consumerGroup: 'valuestream.value-segmentation',
      failedAt: 1700000000500,
    });
    const header = (name: string) => Buffer.from(entry.headers[name]!, 'base64').toString();
    expect(entry.topic).toBe('t-purchases.dlq');
    expect(Buffer.from(entry.value!, 'base64')).toEqual(value);
    expect(Buffer.from(entry.key!, 'base64').toString()).toBe('c-000001');
    expect(Buffer.from(entry.headers.trace!, 'base64')).toEqual(Buffer.from([1, 2, 3]));
    expect(header('vs.dlt.reason')).toBe('AVRO_DECODE');
    expect(header('vs.dlt.original.topic')).toBe('t-purchases');
    expect(header('vs.dlt.original.partition')).toBe('4');
    expect(header('vs.dlt.original.offset')).toBe('99');
    expect(header('vs.dlt.original.timestamp')).toBe('1700000000000');
    expect(header('vs.dlt.worker')).toBe('value-segmentation');
    expect(header('vs.dlt.consumer.group')).toBe('valuestream.value-segmentation');
    expect(header('vs.dlt.failed.at')).toBe('1700000000500');
    expect(entry.decisionLabel).toBe('AVRO_DECODE');
  });
});
