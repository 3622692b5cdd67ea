import { createHash } from 'node:crypto';

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
  return createHash('sha256')
    .update(`${worker}|${causationId}|${decisionKind}|${n}`)
    .digest('hex')
    .slice(0, 32);
}

export const causation = {
  record: (topic: string, partition: number, offset: string) => `${topic}/${partition}/${offset}`,
  timer: (partition: number, kind: string, customerId: string, dueAt: number) =>
    `timer/${partition}/${kind}/${customerId}/${dueAt}`,
  population: (partition: number, boundary: number, customerId: string) =>
    `population/${partition}/${boundary}/${customerId}`,
};
