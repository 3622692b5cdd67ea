import { deterministicEventId } from './event-id.js';
import type { DecisionContext } from './worker-definition.js';

/**
 * The context of one decision. A class rather than an object literal with arrow functions: a view
 * application builds one per customer of the partition (share of wallet: every customer, every
 * day), and two closures each (named at creation under tsx) cost more than the decision itself.
 */
export class StepDecisionContext<G> implements DecisionContext<G> {
  constructor(
    private readonly worker: string,
    readonly streamTime: number,
    readonly partition: number,
    readonly population: G | null,
    readonly causationId: string,
    private readonly counters: { counterValue(field: string): number },
  ) {}

  eventId(decisionKind: string, n = 0): string {
    return deterministicEventId(this.worker, this.causationId, decisionKind, n);
  }

  counter(field: string): number {
    return this.counters.counterValue(field);
  }
}
