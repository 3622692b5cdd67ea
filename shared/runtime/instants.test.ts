import { describe, expect, it } from 'vitest';
import { nextPopulationInstant } from './instants.js';

const day = 86_400_000;
const none = { snapshotBoundary: null, appliedBoundary: null };

describe('nextPopulationInstant', () => {
  it('finds the snapshot at the first boundary after stream time', () => {
    expect(nextPopulationInstant(0.5 * day, 3 * day, day, day, none)).toEqual({
      kind: 'snapshot',
      time: day,
      boundary: day,
    });
  });

  it('puts the snapshot before the application at the same time', () => {
    const done = { snapshotBoundary: 2 * day, appliedBoundary: null };
    expect(nextPopulationInstant(1.5 * day, 3 * day, day, day, done)).toEqual({
      kind: 'apply-view',
      time: 2 * day,
      boundary: day,
    });
  });

  it('skips instants already done and stops at upTo', () => {
    const done = { snapshotBoundary: 2 * day, appliedBoundary: day };
    expect(nextPopulationInstant(1.5 * day, 2.5 * day, day, day, done)).toBeNull();
    expect(nextPopulationInstant(1.5 * day, 3 * day, day, day, done)).toEqual({
      kind: 'snapshot',
      time: 3 * day,
      boundary: 3 * day,
    });
  });

  it('includes an instant exactly at upTo and excludes one exactly at after', () => {
    expect(nextPopulationInstant(day, 2 * day, day, 0.5 * day, none)).toEqual({
      kind: 'apply-view',
      time: 1.5 * day,
      boundary: day,
    });
    expect(nextPopulationInstant(day - 1, day, day, 7 * day, none)).toEqual({
      kind: 'snapshot',
      time: day,
      boundary: day,
    });
  });
});
