import { describe, expect, it } from 'vitest';
import { ProgressTimeline } from './progress-timeline.js';

describe('ProgressTimeline', () => {
  it('finds the first record applied and the longest stretch without growth after it', () => {
    const t = new ProgressTimeline(1000);
    for (const [now, total] of [
      [1050, 0],
      [1300, 10],
      [1350, 20],
      [1400, 20],
      [1900, 20],
      [2000, 35],
      [2050, 40],
      [2600, 41],
    ] as const)
      t.note(now, total);
    expect(t.pauses()).toEqual({ firstAppliedMs: 300, longestPauseMs: 650, longestPauseAtMs: 350 });
  });

  it('reports no pause for a run that never stood still, and none applied for an empty one', () => {
    const steady = new ProgressTimeline(0);
    for (let i = 1; i <= 10; i++) steady.note(i * 50, i * 100);
    expect(steady.pauses()).toEqual({ firstAppliedMs: 50, longestPauseMs: 50, longestPauseAtMs: 50 });
    expect(new ProgressTimeline(0).pauses()).toEqual({
      firstAppliedMs: null,
      longestPauseMs: 0,
      longestPauseAtMs: null,
    });
  });
});
