import { parsePromText, promSeries, promSum } from './prom-text.js';

// Whether a worker keeps up with its input, read from its /metrics alone: the records it has not
// applied yet (vs_consumer_lag, summed over its partitions) and its read amplification, records
// fetched ÷ records settled (applied, dead-lettered or skipped as already applied).

export interface KeepUpFigures {
  readonly worker: string;
  /** Series of vs_consumer_lag (one per owned topic and partition fetched). */
  readonly lagSeries: number;
  readonly lag: number;
  readonly consumed: number;
  readonly applied: number;
  readonly deadLettered: number;
  readonly skipped: number;
  /** consumed ÷ (applied + deadLettered + skipped); null while nothing is settled. */
  readonly ratio: number | null;
  /** Why /metrics could not be read, if it could not. */
  readonly unreachable?: string;
}

export interface KeepUpBounds {
  readonly maxLag: number;
  readonly maxRatio: number;
}

export function keepUpFigures(worker: string, metricsText: string): KeepUpFigures {
  const samples = parsePromText(metricsText);
  const consumed = promSum(samples, 'vs_records_consumed_total');
  const applied = promSum(samples, 'vs_records_applied_total');
  const deadLettered = promSum(samples, 'vs_records_dead_lettered_total');
  const skipped = promSum(samples, 'vs_records_skipped_total');
  // Re-sent events skipped by eventId are settled too.
  const settled = applied + deadLettered + skipped + promSum(samples, 'vs_duplicate_events_total');
  return {
    worker,
    lagSeries: promSeries(samples, 'vs_consumer_lag').length,
    lag: promSum(samples, 'vs_consumer_lag'),
    consumed,
    applied,
    deadLettered,
    skipped,
    ratio: settled > 0 ? consumed / settled : null,
  };
}

export function unreachableFigures(worker: string, why: string): KeepUpFigures {
  return {
    worker,
    lagSeries: 0,
    lag: 0,
    consumed: 0,
    applied: 0,
    deadLettered: 0,
    skipped: 0,
    ratio: null,
    unreachable: why,
  };
}

/** Why the worker does not keep up within the bounds; empty when it does. */
export function keepUpProblems(f: KeepUpFigures, bounds: KeepUpBounds): string[] {
  if (f.unreachable) return [`/metrics unreachable: ${f.unreachable}`];
  const problems: string[] = [];
  if (f.lagSeries === 0)
    problems.push(
      'no vs_consumer_lag series: the runtime reported no end offset (partitionEndOffset) for any partition',
    );
  else if (f.lag > bounds.maxLag) problems.push(`lag ${f.lag} > ${bounds.maxLag}: records wait unapplied`);
  if (f.consumed === 0)
    problems.push('vs_records_consumed_total is 0: the runtime reported no records fetched (recordsFetched)');
  if (f.ratio === null) problems.push('nothing applied, dead-lettered or skipped yet');
  else if (f.ratio > bounds.maxRatio)
    problems.push(
      `read amplification ${f.ratio.toFixed(2)} > ${bounds.maxRatio}: records fetched again and again`,
    );
  return problems;
}

export function describeFigures(f: KeepUpFigures): string {
  if (f.unreachable) return `${f.worker}: /metrics unreachable (${f.unreachable})`;
  const ratio = f.ratio === null ? 'n/a' : f.ratio.toFixed(3);
  return (
    `${f.worker}: lag ${f.lag} over ${f.lagSeries} series, consumed ${f.consumed} ÷ (applied ${f.applied}` +
    ` + dead-lettered ${f.deadLettered} + skipped ${f.skipped}) = ${ratio}`
  );
}
