import { ConfigError } from '../errors.js';
import { digestOf } from './digest.js';

// Idempotent intake: the event ids a customer had applied lately, so that a record sent again
// (a producer without idempotence retrying after a timeout: same bytes, same eventId) changes
// nothing. Kept per customer in the partition's recent-events hash, written in the same atomic
// step as the state, so it holds across restarts and rebalances. An entry is an event id's hash
// and the stream time it was applied at; entries older than the horizon go when the customer is
// next touched.
//
// Stored form: entries joined by ',', each `<stream time, base 36>:<hash>`, in the order applied.
// An entry is at most 9 + 1 + 11 + 1 = 22 bytes (times up to year 5188 in base 36), so a
// customer's list is at most 22 × DEDUPE_MAX_EVENTS_PER_CUSTOMER bytes.

/** 64 bits of SHA-1 of the event id, base64url: 11 characters, whatever the id's length. */
export function eventKey(eventId: string): string {
  return digestOf('sha1', eventId).subarray(0, 8).toString('base64url');
}

interface Entry {
  readonly time: number;
  readonly key: string;
}

export class RecentEvents {
  private constructor(private entries: Entry[]) {}

  static empty(): RecentEvents {
    return new RecentEvents([]);
  }

  static decode(encoded: string | null | undefined): RecentEvents {
    if (!encoded) return RecentEvents.empty();
    return new RecentEvents(
      encoded.split(',').map((item) => {
        const colon = item.indexOf(':');
        const time = Number.parseInt(item.slice(0, colon), 36);
        if (colon < 1 || !Number.isSafeInteger(time))
          throw new Error(`recent events entry is not <time>:<key>`);
        return { time, key: item.slice(colon + 1) };
      }),
    );
  }

  /** Whether an event with this key was applied at a stream time at or after `floor`. */
  has(key: string, floor: number): boolean {
    return this.entries.some((e) => e.key === key && e.time >= floor);
  }

  /**
   * Notes an event applied at stream time `time`: entries older than `floor` go, then, beyond
   * `max`, the oldest ones (a re-send of those would be applied again).
   */
  add(key: string, time: number, floor: number, max: number): void {
    const kept = this.entries.filter((e) => e.time >= floor);
    kept.push({ time, key });
    // Applied in stream-time order, so the oldest are first.
    this.entries = kept.length > max ? kept.slice(kept.length - max) : kept;
  }

  /** Drops the entries older than `floor`; true when any went. */
  prune(floor: number): boolean {
    const kept = this.entries.filter((e) => e.time >= floor);
    const changed = kept.length !== this.entries.length;
    this.entries = kept;
    return changed;
  }

  get size(): number {
    return this.entries.length;
  }

  /** The stored form; null when no entry is left (the field is deleted). */
  encode(): string | null {
    if (this.entries.length === 0) return null;
    return this.entries.map((e) => `${e.time.toString(36)}:${e.key}`).join(',');
  }
}

export interface DedupeSettings {
  /** Stream time an applied event id is remembered for. */
  readonly horizonMs: number;
  readonly maxEventsPerCustomer: number;
}

/**
 * The dedupe settings of a worker, null when DEDUPE_HORIZON is 0. A horizon shorter than the
 * worker's allowed lateness would let a re-send that is not late yet be applied twice.
 */
export function dedupeSettings(
  horizonMs: number,
  maxEventsPerCustomer: number,
  allowedLatenessMs: number,
): DedupeSettings | null {
  if (horizonMs === 0) return null;
  if (horizonMs < allowedLatenessMs)
    throw new ConfigError(
      'DEDUPE_HORIZON',
      `is ${horizonMs} ms, shorter than the worker's allowed lateness (${allowedLatenessMs} ms): a re-sent event could be applied twice; make it at least that, or 0s to turn idempotent intake off`,
    );
  return { horizonMs, maxEventsPerCustomer };
}
