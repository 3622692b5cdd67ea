// What to do when kafkajs reports that the consumer crashed (its CRASH event, after it has
// stopped and disconnected the consumer). kafkajs restarts the consumer itself only when the
// crash's original cause is retriable. A group coordinator it could not find is not, though it
// is what a single broker's restart causes: the heartbeat fails, the lookup asks every known
// broker, none answers, and kafkajs gives up for good (kafkajs #1630, open). Left alone, the
// worker would exit at every broker restart; the runtime starts the consumer again itself, after
// a back-off, as kafkajs does for retriable crashes. Either way, a consumer that keeps crashing
// ends the process (kafkajs can also restart forever), for the supervisor to restart (PITFALLS 7).

export type CrashPlan =
  | { readonly kind: 'kafkajs-restarts' }
  | { readonly kind: 'restart'; readonly afterMs: number }
  | { readonly kind: 'give-up' };

/** More crashes than this within the window end the process. */
export const MAX_CRASHES_IN_WINDOW = 5;
export const CRASH_WINDOW_MS = 5 * 60_000;
const FIRST_RESTART_MS = 1000;
const LONGEST_RESTART_MS = 10_000;

/** Whether the error, or one of its causes, is kafkajs's "failed to find group coordinator". */
export function isCoordinatorNotFound(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 10; depth += 1) {
    if (e.name === 'KafkaJSGroupCoordinatorNotFound') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * The plan for a crash, given whether kafkajs restarts the consumer itself and how many crashes
 * (this one included) happened within the window.
 */
export function planCrash(error: unknown, kafkajsRestarts: boolean, crashesInWindow: number): CrashPlan {
  if (crashesInWindow > MAX_CRASHES_IN_WINDOW) return { kind: 'give-up' };
  if (kafkajsRestarts) return { kind: 'kafkajs-restarts' };
  if (!isCoordinatorNotFound(error)) return { kind: 'give-up' };
  const afterMs = Math.min(FIRST_RESTART_MS * 2 ** Math.max(0, crashesInWindow - 1), LONGEST_RESTART_MS);
  return { kind: 'restart', afterMs };
}
