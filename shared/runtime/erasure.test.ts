import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { codecFor } from '../avro/index.js';
import { sampleErasureRequest } from '../contracts/samples.js';
import { ERASURE_COMPLETED, erasureDecision, erasureDigest, readmits } from './erasure.js';
import type { DecisionContext } from './worker-definition.js';

const ctx: DecisionContext<null> = {
  streamTime: Date.UTC(2024, 5, 1),
  partition: 3,
  population: null,
  causationId: 'customer-erasures/3/17',
  eventId: (kind, n = 0) => `${kind}-${n}`,
  counter: () => 0,
};
const erasure = {
  timerKinds: ['silence', 'ladder'],
  forget: (state: { cell: string }) => [
    { field: state.cell, delta: -1 },
    { field: 'unmoved', delta: 0 },
  ],
};

describe('erasure', () => {
  it('deletes state, index entry and every timer kind, takes out the contribution, and reports it', () => {
    const request = sampleErasureRequest();
    const decision = erasureDecision('retention', erasure, { cell: 'h:12' }, request, ctx);
    expect(decision.state).toBeNull();
    expect(decision.indexScore).toBeNull();
    expect(decision.timers).toEqual([
      { kind: 'silence', dueAt: null },
      { kind: 'ladder', dueAt: null },
    ]);
    expect(decision.counters).toEqual([{ field: 'h:12', delta: -1 }]);
    const [output] = decision.outputs;
    expect(output!.decisionKind).toBe(ERASURE_COMPLETED);
    expect(output!.topic).toBe('erasures-completed');
    expect(output!.key).toBe(request.customerId);
    // The event is valid against its schema and names nothing but the id.
    const codec = codecFor('ErasureCompleted');
    expect(codec.decode(codec.encode(output!.value as never))).toEqual({
      eventId: `${ERASURE_COMPLETED}-0`,
      customerId: request.customerId,
      occurredAt: ctx.streamTime,
      requestEventId: request.eventId,
      requestedAt: request.occurredAt,
      worker: 'retention',
      causationId: ctx.causationId,
      hadState: true,
      populationCountersRemoved: 1,
    });
  });

  it('honours a request for a customer it never saw', () => {
    const decision = erasureDecision('retention', erasure, null, sampleErasureRequest(), ctx);
    expect(decision.counters).toEqual([]);
    expect((decision.outputs[0]!.value as { hadState: boolean }).hadState).toBe(false);
  });

  it('marks with the SHA-1 Redis computes (redis.sha1hex), never the id', () => {
    expect(erasureDigest('c-000123')).toBe(createHash('sha1').update('c-000123').digest('hex'));
    expect(erasureDigest('c-000123')).not.toContain('c-000123');
    expect(erasureDigest('Zoë')).toBe(createHash('sha1').update(Buffer.from('Zoë', 'utf8')).digest('hex'));
  });

  it('re-admits on a profile newer than the erasure only', () => {
    expect(readmits('customer-profiles', 11, 10)).toBe(true);
    expect(readmits('customer-profiles', 10, 10)).toBe(false);
    expect(readmits('purchases', 11, 10)).toBe(false);
  });
});
