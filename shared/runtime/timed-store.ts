import { PartitionFencedError, StateVersionConflictError, ValuestreamError } from '../errors.js';
import { isRedisConnectionError } from '../redis/connection-errors.js';
import type { RuntimeEvents } from './runtime-events.js';
import type { PartitionStore, PopulationStore } from './state-store.js';

// Every Redis call of the runtime reports its latency and, when it fails, its error, by the
// operation it serves (apply, read, claim, ...): the SRE's view of Redis health, without the
// stores knowing about metrics. Fencing and version conflicts are answers of the guard, not
// Redis errors; they are counted where they are handled (partitionFenced).

/** The operations the runtime times (the bounded values of the `operation` label). */
export const REDIS_OPERATIONS = [
  'claim',
  'read',
  'apply',
  'ack-outbox',
  'read-counters',
  'read-index-ranges',
  'durable-wait',
  'get-view',
  'set-view',
  'read-snapshots',
  'read-counter-totals',
  'latest-view',
] as const;

export type RedisOperation = (typeof REDIS_OPERATIONS)[number];

/** Runs one Redis call, emitting redisLatency and, on failure, redisError. */
export async function timeRedis<T>(
  events: RuntimeEvents,
  operation: RedisOperation,
  call: () => Promise<T>,
): Promise<T> {
  const started = performance.now();
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof PartitionFencedError || error instanceof StateVersionConflictError)) {
      events.emit('redisError', {
        operation,
        reasonCode: redisReasonCode(error),
        message: error instanceof Error ? error.message : String(error),
      });
    }
    throw error;
  } finally {
    events.emit('redisLatency', { operation, seconds: (performance.now() - started) / 1000 });
  }
}

/** A bounded reason code for a failed Redis call (a metric label). */
export function redisReasonCode(error: unknown): string {
  if (error instanceof ValuestreamError) return error.reasonCode;
  if (isRedisConnectionError(error)) return 'REDIS_UNAVAILABLE';
  if (error instanceof Error && error.name === 'ReplyError') return 'REDIS_REPLY_ERROR';
  return 'REDIS_ERROR';
}

export function timedPartitionStore(store: PartitionStore, events: RuntimeEvents): PartitionStore {
  const timed = <T>(operation: RedisOperation, call: () => Promise<T>) => timeRedis(events, operation, call);
  return {
    partition: store.partition,
    claim: (...args) => timed('claim', () => store.claim(...args)),
    read: (...args) => timed('read', () => store.read(...args)),
    apply: (write) => timed('apply', () => store.apply(write)),
    ackOutbox: (...args) => timed('ack-outbox', () => store.ackOutbox(...args)),
    readCounters: (fields) => timed('read-counters', () => store.readCounters(fields)),
    readCountersWithPrefix: (prefix) => timed('read-counters', () => store.readCountersWithPrefix(prefix)),
    readIndexRanges: (ranges) => timed('read-index-ranges', () => store.readIndexRanges(ranges)),
    makeDurable: () => timed('durable-wait', () => store.makeDurable()),
  };
}

export function timedPopulationStore(store: PopulationStore, events: RuntimeEvents): PopulationStore {
  const timed = <T>(operation: RedisOperation, call: () => Promise<T>) => timeRedis(events, operation, call);
  return {
    getView: (boundary) => timed('get-view', () => store.getView(boundary)),
    setViewsIfAbsent: (...args) => timed('set-view', () => store.setViewsIfAbsent(...args)),
    readSnapshots: (...args) => timed('read-snapshots', () => store.readSnapshots(...args)),
    readCounterTotals: (...args) => timed('read-counter-totals', () => store.readCounterTotals(...args)),
    latestAppliedView: (partitions) => timed('latest-view', () => store.latestAppliedView(partitions)),
  };
}
