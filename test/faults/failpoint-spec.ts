import type { StepBoundary } from '../../shared/runtime/step-channel.js';

export interface Failpoint {
  readonly boundary: StepBoundary;
  /** Fires at this occurrence of the boundary (1 = the first) in the process's life. */
  readonly occurrence: number;
  readonly signal: 'SIGKILL' | 'SIGSTOP' | 'SIGTERM';
}

const BOUNDARIES: readonly StepBoundary[] = ['before-apply', 'after-apply', 'after-produce', 'after-commit'];

/** Parses `<boundary>@<occurrence>:<signal>`; throws on anything else (a typo must not pass silently). */
export function parseFailpoint(text: string): Failpoint {
  const match = /^([a-z-]+)@(\d+):(SIGKILL|SIGSTOP|SIGTERM)$/.exec(text.trim());
  if (!match || !BOUNDARIES.includes(match[1] as StepBoundary) || Number(match[2]) < 1)
    throw new Error(
      `VS_FAILPOINT=${JSON.stringify(text)}: expected <${BOUNDARIES.join('|')}>@<n ≥ 1>:<SIGKILL|SIGSTOP|SIGTERM>`,
    );
  return {
    boundary: match[1] as StepBoundary,
    occurrence: Number(match[2]),
    signal: match[3] as Failpoint['signal'],
  };
}

export function formatFailpoint(failpoint: Failpoint): string {
  return `${failpoint.boundary}@${failpoint.occurrence}:${failpoint.signal}`;
}
