import { digestOf } from './digest.js';

/**
 * Deterministic output event id: the same cause and decision give the same id after any
 * crash or re-delivery, so downstream consumers can dedupe (PITFALLS 5).
 */
export function deterministicEventId(
  worker: string,
  causationId: string,
  decisionKind: string,
  n = 0,
): string {
  return digestOf('sha256', `${worker}|${causationId}|${decisionKind}|${n}`).toString('hex', 0, 16);
}

/**
 * Causation ids of a topic set: a record's is its topic as on the cluster (`TOPIC_PREFIX` and the
 * catalogue name), partition and offset; a timer's and a population instant's carry the prefix
 * too. Event ids hash the causation id, so two topic sets on one cluster (a replay into new
 * topics restarts offsets at 0) never share an event id; without a prefix, ids are as before.
 */
export function causationIds(topicPrefix: string) {
  return {
    record: (logicalTopic: string, partition: number, offset: string) =>
      `${topicPrefix}${logicalTopic}/${partition}/${offset}`,
    timer: (partition: number, kind: string, customerId: string, dueAt: number) =>
      `${topicPrefix}timer/${partition}/${kind}/${customerId}/${dueAt}`,
    population: (partition: number, boundary: number, customerId: string) =>
      `${topicPrefix}population/${partition}/${boundary}/${customerId}`,
  };
}

export type CausationIds = ReturnType<typeof causationIds>;

/** The causation ids of topics without a prefix. */
export const causation = causationIds('');
