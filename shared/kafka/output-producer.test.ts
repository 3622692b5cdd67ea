import { describe, expect, it } from 'vitest';
import type { OutboxEntry } from '../runtime/state-store.js';
import { chunksOfBytes, producerSequenceLost } from './output-producer.js';

const entry = (bytes: number): OutboxEntry => ({
  topic: 't',
  key: null,
  value: Buffer.alloc(bytes).toString('base64'),
  headers: {},
  decisionKind: 'k',
});

describe('chunksOfBytes', () => {
  it('keeps order and bounds every chunk, an oversized entry going alone', () => {
    const entries = [entry(400), entry(400), entry(400), entry(5000), entry(10)];
    const chunks = chunksOfBytes(entries, 1000);
    expect(chunks.flat()).toEqual(entries);
    expect(chunks.map((c) => c.length)).toEqual([2, 1, 1, 1]);
  });

  it('sends a small outbox in one chunk', () => {
    expect(chunksOfBytes([entry(10), entry(10)], 1000)).toHaveLength(1);
    expect(chunksOfBytes([], 1000)).toEqual([]);
  });
});

describe('producerSequenceLost', () => {
  /** As kafkajs reports it: a protocol error with a type, wrapped by the retrier. */
  const protocolError = (type: string) => Object.assign(new Error(`broker said ${type}`), { type });

  it('finds a lost idempotence sequence however deep kafkajs wrapped it', () => {
    const retried = Object.assign(new Error('Number of retries exceeded'), {
      cause: protocolError('OUT_OF_ORDER_SEQUENCE_NUMBER'),
    });
    expect(producerSequenceLost(retried)).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(producerSequenceLost(protocolError('UNKNOWN_PRODUCER_ID'))).toBe('UNKNOWN_PRODUCER_ID');
    expect(
      producerSequenceLost(
        Object.assign(new Error('x'), { originalError: protocolError('INVALID_PRODUCER_EPOCH') }),
      ),
    ).toBe('INVALID_PRODUCER_EPOCH');
  });

  it('leaves every other error to the step retry (a leader election, a closed connection)', () => {
    expect(producerSequenceLost(protocolError('LEADER_NOT_AVAILABLE'))).toBeNull();
    expect(producerSequenceLost(new Error('Closed connection'))).toBeNull();
    expect(producerSequenceLost('OUT_OF_ORDER_SEQUENCE_NUMBER')).toBeNull();
  });
});
