// Erasure (GDPR article 17) as the runtime applies it for every worker: the customer's state,
// timers, index entry and remembered event ids go, the worker takes its contribution out of the
// partition's population counters (a pure function of the state), later records of the
// customer are skipped until a newer profile re-admits it, and an ErasureCompleted names what
// was done. The mark that says "erased" is a digest of the id, never the id.

import { createHash } from 'node:crypto';
import type { CustomerErasureRequested, ErasureCompleted } from '../contracts/generated.js';
import { topicCatalogue } from '../topics.js';
import type { CustomerDecision, DecisionContext, ErasureDefinition } from './worker-definition.js';

export const ERASURE_COMPLETED = 'erasure-completed';

/** The mark of an erased customer in Redis (keys.ts `erased`); Redis computes the same (redis.sha1hex). */
export function erasureDigest(customerId: string): string {
  return createHash('sha1').update(customerId, 'utf8').digest('hex');
}

/** A record of an erased customer counts again only when it is a profile newer than the erasure. */
export function readmits(logicalTopic: string, eventTime: number, erasedAt: number): boolean {
  return logicalTopic === topicCatalogue.customerProfiles.name && eventTime > erasedAt;
}

/** The decision that forgets a customer (pure): its whole state and what it added to the population. */
export function erasureDecision<S, G>(
  worker: string,
  erasure: ErasureDefinition<S, G>,
  state: S | null,
  request: CustomerErasureRequested,
  ctx: DecisionContext<G>,
): CustomerDecision<S> {
  const counters = state === null ? [] : erasure.forget(state, ctx).filter((d) => d.delta !== 0);
  const eventId = ctx.eventId(ERASURE_COMPLETED);
  const value: ErasureCompleted = {
    eventId,
    customerId: request.customerId,
    occurredAt: ctx.streamTime,
    requestEventId: request.eventId,
    requestedAt: request.occurredAt,
    worker,
    causationId: ctx.causationId,
    hadState: state !== null,
    populationCountersRemoved: new Set(counters.map((d) => d.field)).size,
  };
  return {
    state: null,
    indexScore: null,
    timers: erasure.timerKinds.map((kind) => ({ kind, dueAt: null })),
    counters,
    outputs: [
      {
        topic: topicCatalogue.erasuresCompleted.name,
        key: request.customerId,
        eventId,
        value: value as unknown as Record<string, unknown>,
        decisionKind: ERASURE_COMPLETED,
        causedAtEventTime: request.occurredAt,
      },
    ],
  };
}
