import { describe, expect, it } from 'vitest';
import { causation, causationIds, deterministicEventId } from './event-id.js';

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

  it('carry the topic set: its prefix in every causation id, none without one', () => {
    const acme = causationIds('acme.');
    expect(acme.record('purchases', 3, '42')).toBe('acme.purchases/3/42');
    expect(acme.timer(2, 'age-out', 'c-1', 1000)).toBe('acme.timer/2/age-out/c-1/1000');
    expect(acme.population(2, 1000, 'c-1')).toBe('acme.population/2/1000/c-1');
    expect(causationIds('').record('purchases', 3, '42')).toBe(causation.record('purchases', 3, '42'));
    const id = (ids: typeof acme) =>
      deterministicEventId('retention', ids.timer(2, 'silence', 'c-1', 9), 'offer');
    expect(id(acme)).not.toBe(id(causationIds('replay.')));
  });
});
