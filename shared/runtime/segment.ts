import type { OutboxEntry, SegmentWrite } from './state-store.js';
import { TimerQueue } from './timer-queue.js';
import type { CustomerDecision, Observation } from './worker-definition.js';

/**
 * The working set of one atomic step: customer states read from Redis and changed in memory,
 * and every write the step will apply. Decisions are merged in order; later writes win.
 */
export class Segment<S> {
  readonly timers = new TimerQueue();
  private readonly states = new Map<string, S | null>();
  private readonly statePuts = new Map<string, string>();
  private readonly stateDeletes = new Set<string>();
  private readonly indexPuts = new Map<string, number>();
  private readonly indexDeletes = new Set<string>();
  private readonly counters = new Map<string, number>();
  private readonly timerSets = new Map<string, number>();
  private readonly timerDeletes = new Set<string>();
  readonly outbox: OutboxEntry[] = [];
  readonly observations: Observation[] = [];
  /** Counter values read from Redis at the start of the step (declared reads only). */
  counterBase: ReadonlyMap<string, number> = new Map();

  counterValue(field: string): number {
    const base = this.counterBase.get(field);
    if (base === undefined) throw new Error(`counter ${field} was not declared by the worker's counterReads`);
    return base + (this.counters.get(field) ?? 0);
  }
  recordsApplied = 0;
  deadLettered = 0;
  timersFired = 0;

  constructor(
    decodeState: (encoded: string) => S,
    private readonly encodeState: (state: S) => string,
    loadedStates: ReadonlyMap<string, string>,
    /** Timers due after this are persisted only; the segment never fires them. */
    readonly timerHorizon: number | null,
  ) {
    for (const [id, encoded] of loadedStates) this.states.set(id, decodeState(encoded));
  }

  stateOf(customerId: string): S | null {
    return this.states.get(customerId) ?? null;
  }

  get changes(): number {
    return (
      this.statePuts.size +
      this.stateDeletes.size +
      this.outbox.length +
      this.timerSets.size +
      this.timerDeletes.size
    );
  }

  /** Records a fired timer as consumed (its member leaves the timers set unless re-set). */
  consumeTimer(kind: string, customerId: string): void {
    const member = TimerQueue.member(kind, customerId);
    this.timerSets.delete(member);
    this.timerDeletes.add(member);
    this.timersFired += 1;
  }

  merge(customerId: string, decision: CustomerDecision<S>, outputs: readonly OutboxEntry[]): void {
    if (decision.state === null) {
      this.states.set(customerId, null);
      this.statePuts.delete(customerId);
      this.stateDeletes.add(customerId);
    } else {
      this.states.set(customerId, decision.state);
      this.stateDeletes.delete(customerId);
      this.statePuts.set(customerId, this.encodeState(decision.state));
    }
    if (decision.indexScore === null) {
      this.indexPuts.delete(customerId);
      this.indexDeletes.add(customerId);
    } else if (decision.indexScore !== undefined) {
      this.indexDeletes.delete(customerId);
      this.indexPuts.set(customerId, decision.indexScore);
    }
    for (const { field, delta } of decision.counters ?? []) {
      this.counters.set(field, (this.counters.get(field) ?? 0) + delta);
    }
    for (const change of decision.timers) {
      const member = TimerQueue.member(change.kind, customerId);
      if (change.dueAt === null) {
        this.timerSets.delete(member);
        this.timerDeletes.add(member);
        this.timers.cancel(change.kind, customerId);
      } else {
        this.timerDeletes.delete(member);
        this.timerSets.set(member, change.dueAt);
        if (this.timerHorizon !== null && change.dueAt <= this.timerHorizon) {
          this.timers.set({ kind: change.kind, customerId, dueAt: change.dueAt });
        } else {
          this.timers.cancel(change.kind, customerId);
        }
      }
    }
    this.outbox.push(...outputs);
    if (decision.observations) this.observations.push(...decision.observations);
  }

  addDeadLetter(entry: OutboxEntry): void {
    this.outbox.push(entry);
    this.deadLettered += 1;
  }

  toWrite(base: {
    epoch: number;
    expectedVersion: number;
    offset: SegmentWrite['offset'];
    metaSets: ReadonlyMap<string, string>;
    snapshot?: SegmentWrite['snapshot'];
  }): SegmentWrite {
    const counters = new Map<string, number>();
    for (const [field, delta] of this.counters) if (delta !== 0) counters.set(field, delta);
    return {
      ...base,
      statePuts: this.statePuts,
      stateDeletes: [...this.stateDeletes],
      indexPuts: this.indexPuts,
      indexDeletes: [...this.indexDeletes],
      counters,
      timerSets: this.timerSets,
      timerDeletes: [...this.timerDeletes],
      outbox: this.outbox,
    };
  }
}
