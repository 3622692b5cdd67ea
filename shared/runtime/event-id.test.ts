import { describe, expect, it } from 'vitest';
import { causation, deterministicEventId } from './event-id.js';

describe('deterministic event ids', () => {
  it('depend only on worker, cause, kind and ordinal', () => {
    const cause = causation.record('purchases', 3, '42');
    expect(cause).toBe('purchases/3/42');
    const id = deterministicEventId('value-segmentation', cause, 'segment-changed');
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(deterministicEventId('value-segmentation', cause, 'segment-changed', 0)).toBe(id);
    expect(deterministicEventId('value-segmentation', cause, 'segment-changed', 1)).not.toBe(id);
    expect(
      deterministicEventId('value-segmentation', causation.record('purchases', 3, '43'), 'segment-changed'),
    ).not.toBe(id);
    expect(deterministicEventId('retention', cause, 'segment-changed')).not.toBe(id);
  });

  it('name timers and population changes by partition, customer and time', () => {
    expect(causation.timer(2, 'age-out', 'c-1', 1000)).toBe('timer/2/age-out/c-1/1000');
    expect(causation.population(2, 86_400_000, 'c-1')).toBe('population/2/86400000/c-1');
  });
});
