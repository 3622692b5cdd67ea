/**
 * Population instants in stream time: the snapshot at every boundary b (a multiple of the
 * period) and the application of view(b') at b' + publishDelay. At one time a snapshot comes
 * before an application; customer timers at that time come before both (processor).
 */
export type PopulationInstant =
  | { readonly kind: 'snapshot'; readonly time: number; readonly boundary: number }
  | { readonly kind: 'apply-view'; readonly time: number; readonly boundary: number };

export interface InstantProgress {
  readonly snapshotBoundary: number | null;
  readonly appliedBoundary: number | null;
}

/** The first population instant in (after, upTo] not yet done, if any. */
export function nextPopulationInstant(
  after: number,
  upTo: number,
  periodMs: number,
  publishDelayMs: number,
  done: InstantProgress,
): PopulationInstant | null {
  let snapshot = Math.floor(after / periodMs) * periodMs + periodMs;
  while (done.snapshotBoundary !== null && snapshot <= done.snapshotBoundary) snapshot += periodMs;
  let applyBoundary = Math.floor((after - publishDelayMs) / periodMs) * periodMs + periodMs;
  while (done.appliedBoundary !== null && applyBoundary <= done.appliedBoundary) applyBoundary += periodMs;
  const applyTime = applyBoundary + publishDelayMs;
  const next: PopulationInstant =
    snapshot <= applyTime
      ? { kind: 'snapshot', time: snapshot, boundary: snapshot }
      : { kind: 'apply-view', time: applyTime, boundary: applyBoundary };
  return next.time <= upTo ? next : null;
}
