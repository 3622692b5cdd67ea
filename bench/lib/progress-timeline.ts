// Where a run stood still: from the applied-record totals the bench polls (every 50 ms), the
// time to the first record applied and the longest stretch in which no process applied any
// record (a rebalance, a wait for a population view, a restart). Pure, unit-tested.

export interface ProgressPauses {
  /** From the worker's start to the first record applied, ms (null: none applied). */
  readonly firstAppliedMs: number | null;
  /** The longest time between two polls that saw the total grow, after the first, ms. */
  readonly longestPauseMs: number;
  /** When that pause began, ms after the start (null: no pause after the first record). */
  readonly longestPauseAtMs: number | null;
}

export class ProgressTimeline {
  private first: number | null = null;
  private lastGrowth: number | null = null;
  private lastTotal = 0;
  private longest = 0;
  private longestAt: number | null = null;

  constructor(private readonly startedAt: number) {}

  /** A poll at `now` saw `total` records applied in all. */
  note(now: number, total: number): void {
    if (total <= this.lastTotal) return;
    this.lastTotal = total;
    if (this.first === null) this.first = now;
    else if (this.lastGrowth !== null && now - this.lastGrowth > this.longest) {
      this.longest = now - this.lastGrowth;
      this.longestAt = this.lastGrowth - this.startedAt;
    }
    this.lastGrowth = now;
  }

  pauses(): ProgressPauses {
    return {
      firstAppliedMs: this.first === null ? null : this.first - this.startedAt,
      longestPauseMs: this.longest,
      longestPauseAtMs: this.longestAt,
    };
  }
}
