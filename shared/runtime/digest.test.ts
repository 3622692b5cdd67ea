import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { digestOf } from './digest.js';
import { deterministicEventId } from './event-id.js';
import { eventKey } from './recent-events.js';

// Event keys are stored (idempotent intake) and event ids are published: a faster digest must
// give the very bytes of the releases before it.
describe('digestOf', () => {
  const texts = ['', 'evt-1', 'ünïcødé ✓', 'x'.repeat(10_000)];

  it('gives the bytes of createHash for sha1 and sha256', () => {
    for (const text of texts)
      for (const algorithm of ['sha1', 'sha256'] as const)
        expect(digestOf(algorithm, text).equals(createHash(algorithm).update(text, 'utf8').digest())).toBe(
          true,
        );
  });

  it('keeps event keys and event ids as earlier releases computed them', () => {
    expect(eventKey('evt-1')).toBe(
      createHash('sha1').update('evt-1').digest().subarray(0, 8).toString('base64url'),
    );
    expect(deterministicEventId('w', 'purchases/1/2', 'segment-changed', 3)).toBe(
      createHash('sha256').update('w|purchases/1/2|segment-changed|3').digest('hex').slice(0, 32),
    );
  });
});
