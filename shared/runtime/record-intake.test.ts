import { describe, expect, it } from 'vitest';
import { type RawRecord, UNDECODABLE_BATCH_HEADER } from './raw-record.js';
import { prepareRecord } from './record-intake.js';
import type { InputDefinition } from './worker-definition.js';

interface Sale {
  customerId: string;
  at: number;
  amount: number;
}

const input: InputDefinition<Sale> = {
  topic: 'purchases',
  schema: 'Purchase',
  validate: (sale) => (sale.amount < 0 ? { reasonCode: 'NEGATIVE_QUANTITY', message: 'negative' } : null),
  customerIdOf: (sale) => sale.customerId,
  eventTimeOf: (sale) => sale.at,
};
const decode = (value: Buffer): unknown => {
  const parsed = JSON.parse(value.toString()) as Sale;
  if (typeof parsed.amount !== 'number') throw new Error('missing amount');
  return parsed;
};
const limits = { maxRecordBytes: 200, futureToleranceMs: 1000 };

function record(key: string | null, value: string | Buffer | null, timestamp = 10_000): RawRecord {
  return {
    topic: 'x.purchases',
    logicalTopic: 'purchases',
    partition: 1,
    offset: '7',
    key: key === null ? null : Buffer.from(key),
    value: value === null ? null : Buffer.from(value),
    headers: {},
    timestamp: String(timestamp),
  };
}

const reason = (r: RawRecord) => {
  const prepared = prepareRecord(r, input, decode, limits);
  return prepared.kind === 'rejected' ? prepared.reasonCode : 'ok';
};

describe('record intake', () => {
  it('accepts a good record with its logical source position', () => {
    const prepared = prepareRecord(
      record('c-1', '{"customerId":"c-1","at":9000,"amount":5}'),
      input,
      decode,
      limits,
    );
    expect(prepared.kind).toBe('event');
    if (prepared.kind === 'event') {
      expect(prepared.input.source).toEqual({ topic: 'purchases', partition: 1, offset: '7' });
      expect(prepared.input.eventTime).toBe(9000);
    }
  });

  it('dead-letters a stand-in for a record of an unreadable batch first, with the why, however large', () => {
    const standIn = {
      ...record(null, Buffer.alloc(5000)),
      headers: { [UNDECODABLE_BATCH_HEADER]: Buffer.from('lz4 batch does not decompress') },
    };
    expect(prepareRecord(standIn, input, decode, limits)).toMatchObject({
      kind: 'rejected',
      reasonCode: 'UNDECODABLE_BATCH',
      message: 'lz4 batch does not decompress',
    });
  });

  it.each([
    ['OVERSIZED_RECORD', record('c-1', 'x'.repeat(300))],
    ['AVRO_DECODE', record('c-1', null)],
    ['AVRO_DECODE', record('c-1', Buffer.from([0xff, 0x00, 0x13]))],
    ['AVRO_DECODE', record('c-1', '{"customerId":"c-1","at":1}')],
    ['MISSING_KEY', record(null, '{"customerId":"c-1","at":1,"amount":1}')],
    ['MISSING_KEY', record('', '{"customerId":"c-1","at":1,"amount":1}')],
    ['NEGATIVE_QUANTITY', record('c-1', '{"customerId":"c-1","at":1,"amount":-1}')],
    ['KEY_MISMATCH', record('c-2', '{"customerId":"c-1","at":1,"amount":1}')],
    ['FUTURE_EVENT', record('c-1', '{"customerId":"c-1","at":11001,"amount":1}', 10_000)],
  ])('rejects with %s', (code, r) => {
    expect(reason(r)).toBe(code);
  });

  it('allows event times up to the tolerance past the record timestamp', () => {
    expect(reason(record('c-1', '{"customerId":"c-1","at":11000,"amount":1}', 10_000))).toBe('ok');
  });
});
