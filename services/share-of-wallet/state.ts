// A customer's share-of-wallet state (SEMANTICS.md, "Per-customer state"); stored by state-codec.ts.

import type { DayBucket } from './consumption.js';
import type { ProfileVersion } from './profile.js';

/** Alert state of one window and unit: armed again only after recovery (hysteresis). */
export interface AlertState {
  readonly armed: boolean;
  readonly lastAlertAt: number | null;
  /** First evaluation of the current run of evaluations below the threshold; null: not below. */
  readonly belowSince: number | null;
}

/** The peer counters a customer had added as of an evaluation (fields of +1). */
export interface PeerContribution {
  readonly at: number;
  readonly fields: readonly string[];
}

export interface ShareOfWalletState {
  /** Smallest occurredAt of every purchase applied and profile version received; null: none yet. */
  readonly historyStart: number | null;
  readonly buckets: readonly DayBucket[];
  readonly profiles: readonly ProfileVersion[];
  /** Keyed `<windowDays>:<unit>`. */
  readonly alerts: Readonly<Record<string, AlertState>>;
  /** Oldest first; the last is the customer's current contribution to the peer counters. */
  readonly contributions: readonly PeerContribution[];
  readonly valueTier: string | null;
}

export function emptyState(historyStart: number | null): ShareOfWalletState {
  return { historyStart, buckets: [], profiles: [], alerts: {}, contributions: [], valueTier: null };
}

export function alertKey(windowDays: number, unit: string): string {
  return `${windowDays}:${unit}`;
}
