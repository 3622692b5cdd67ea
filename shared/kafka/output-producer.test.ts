import { describe, expect, it } from 'vitest';
import type { OutboxEntry } from '../runtime/state-store.js';
import { chunksOfBytes } from './output-producer.js';

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
