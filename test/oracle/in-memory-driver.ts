// A single-process, in-memory implementation of the runtime's semantics for one worker: stream
// time per partition, instants (timers, population snapshots, view applications), per-customer
// state, the population index, counters, dead letters and deterministic output ids. It calls the
// worker's real pure functions, exactly as the Redis/Kafka runtime must.
//
// This file is the executable spec of the runtime (services/value-segmentation/SEMANTICS.md,
// shared/runtime/worker-definition.ts): the real runtime must produce the same outputs, states
// and counters for the same records, whatever the batch sizes, the crash points or the speed at
// which partitions are consumed. Nothing here is fast; everything here is meant to be obvious.
//
// Erasure requests (an input flagged `erasure`) are written out here from the rules, not taken
// from the runtime's code, so that the two can be compared: see `erase` and `skipsErased`.

import { createHash } from 'node:crypto';
import type { CustomerErasureRequested, ErasureCompleted } from '../../shared/contracts/generated.js';
import type {
  CustomerDecision,
  DecisionContext,
  OutputEvent,
  WorkerDefinition,
} from '../../shared/runtime/worker-definition.js';

/** One record of an input topic: `value` null stands for bytes that did not decode. */
export interface DriverRecord<E> {
  readonly offset: string;
  readonly value: E | null;
  /** The record's key (the customer id); a record with no decodable value is known by it alone. */
  readonly key?: string;
  /** Logical input topic; the worker's first input when absent. */
  readonly topic?: string;
}

export interface DriverDeadLetter {
  readonly partition: number;
  readonly offset: string;
  readonly reasonCode: string;
}

/**
 * Output event id: SHA-256 of `worker|cause|decisionKind|n`, hex, first 32 characters. The cause is
 * `topic/partition/offset` for a record, `timer/partition/kind/customerId/dueAt` for a timer and
 * `population/partition/boundary/customerId` for a view application, so a re-delivery of the
 * same cause yields the same id and consumers can dedupe.
 */
export function outputEventId(worker: string, cause: string, decisionKind: string, n = 0): string {
  return createHash('sha256').update(`${worker}|${cause}|${decisionKind}|${n}`).digest('hex').slice(0, 32);
}

/** The smallest `y > after` with `y ≡ offset (mod period)`. */
function nextMultipleAfter(after: number, period: number, offset: number): number {
  return offset + (Math.floor((after - offset) / period) + 1) * period;
}

function isMultiple(x: number, period: number, offset: number): boolean {
  return (((x - offset) % period) + period) % period === 0;
}

/** Everything the runtime keeps for one partition (in Redis, under the partition's hash tag). */
export class PartitionStore<G> {
  /** Encoded customer states: the codec runs on every write, as with Redis. */
  readonly states = new Map<string, string>();
  /** The population index: customer → score (a sorted set in Redis). */
  readonly index = new Map<string, number>();
  readonly counters = new Map<string, number>();
  /** customerId → timer kind → due time. */
  readonly timers = new Map<string, Map<string, number>>();
  /** The boundary a partition with no record left is being moved to (advanceDrainedPartitions). */
  drainTarget: number | null = null;
  /** Counter snapshots (prefix fields only) by boundary. */
  readonly snapshots = new Map<number, Record<string, number>>();
  /** The view in force: the last non-null view applied. */
  view: G | null = null;
  /** Max event time applied; null before the first record. */
  streamTime: number | null = null;
  /** Every instant at or before this time has been processed (or skipped: before the first record). */
  instantsDoneThrough: number | null = null;
  /** A view application instant waiting for its view; its timers and snapshot are done. */
  pausedAt: number | null = null;
  /** Index of the next record to consume. */
  nextRecord = 0;
  /** Erased customers: SHA-1 of the id (hex) → event time of the erasure request. */
  readonly erased = new Map<string, number>();
  /** Records skipped because their customer was erased, by logical topic. */
  readonly erasedSkips = new Map<string, number>();
}

/** The erasure mark of a customer: its SHA-1, so the store keeps no id of an erased customer. */
export function erasedMark(customerId: string): string {
  return createHash('sha1').update(customerId, 'utf8').digest('hex');
}

/** Logical topics of the erasure contract (shared/topics.ts), spelled out: this is the spec. */
const ERASURES_COMPLETED_TOPIC = 'erasures-completed';
const ERASURE_COMPLETED_KIND = 'erasure-completed';
const PROFILES_TOPIC = 'customer-profiles';

export interface DriverResult<G> {
  readonly outputs: readonly OutputEvent[];
  readonly deadLetters: readonly DriverDeadLetter[];
  /** Partitions left with records they cannot process: they wait for a view that never came. */
  readonly stalledPartitions: readonly number[];
  /** Every view merged, in the order they were merged; null: merge found no view (not applied). */
  readonly views: ReadonlyArray<{ readonly boundary: number; readonly view: G | null }>;
  readonly partitions: ReadonlyArray<PartitionStore<G>>;
}

export class InMemoryRuntime<E, S, G> {
  private readonly stores: PartitionStore<G>[];
  private readonly records: DriverRecord<E>[][];
  private readonly outputs: OutputEvent[] = [];
  private readonly deadLetters: DriverDeadLetter[] = [];
  private readonly views = new Map<number, G | null>();
  private readonly viewOrder: Array<{ boundary: number; view: G | null }> = [];

  constructor(
    private readonly worker: WorkerDefinition<E, S, G>,
    partitionCount: number,
    /** The topic set's TOPIC_PREFIX, which every causation id (and so every event id) carries. */
    private readonly topicPrefix = '',
  ) {
    this.stores = Array.from({ length: partitionCount }, () => new PartitionStore<G>());
    this.records = Array.from({ length: partitionCount }, () => []);
    if (worker.inputs.some((i) => i.erasure) && worker.erasure === undefined)
      throw new Error(`worker ${worker.name} reads erasure requests but defines no erasure`);
  }

  /** Appends records to a partition's log (offset order). */
  append(partition: number, records: readonly DriverRecord<E>[]): void {
    const log = this.records[partition];
    if (log === undefined) throw new Error(`no partition ${partition}`);
    log.push(...records);
  }

  /**
   * Consumes until no partition can go on. `pick` chooses which runnable partition takes the
   * next step: results must not depend on it (the runtime consumes partitions at any speed).
   */
  runUntilIdle(pick: (runnable: readonly number[]) => number = (runnable) => runnable[0]!): void {
    for (;;) {
      const runnable = this.stores.map((_, p) => p).filter((p) => this.canStep(p));
      if (runnable.length === 0) {
        if (this.advanceDrainedPartitions()) continue;
        return;
      }
      const chosen = pick(runnable);
      if (!runnable.includes(chosen)) throw new Error(`pick chose partition ${chosen}, which cannot step`);
      this.step(chosen);
    }
  }

  result(): DriverResult<G> {
    const stalledPartitions = this.stores
      .map((store, p) => ({ store, p }))
      .filter(({ store, p }) => store.pausedAt !== null || store.nextRecord < this.records[p]!.length)
      .map(({ p }) => p);
    return {
      outputs: [...this.outputs],
      deadLetters: [...this.deadLetters],
      stalledPartitions,
      views: [...this.viewOrder],
      partitions: this.stores,
    };
  }

  /**
   * When partitions wait for a view that a partition with no record left (at the end of its log,
   * or with none at all) has no snapshot of, that partition moves to the boundary with no record,
   * as the runtime moves a partition whose every record is applied: it takes its snapshots up to
   * there (empty before its first record, which is then its start), firing what comes due, so the
   * population never stops at the end of one partition's log. True when one moved.
   */
  private advanceDrainedPartitions(): boolean {
    if (this.worker.population === undefined) return false;
    const waited = this.stores
      .filter((s) => s.pausedAt !== null)
      .map((s) => s.pausedAt! - this.publishDelay());
    if (waited.length === 0) return false;
    const boundary = Math.min(...waited);
    let moved = false;
    this.stores.forEach((store, p) => {
      if (store.nextRecord < this.records[p]!.length) return;
      if (store.streamTime === null) {
        if (this.snapshotsTakenThrough(store) >= boundary) return;
        store.streamTime = boundary;
        store.instantsDoneThrough = boundary;
        moved = true;
        return;
      }
      if (store.pausedAt === null && this.snapshotsTakenThrough(store) < boundary)
        store.drainTarget = Math.max(store.drainTarget ?? Number.NEGATIVE_INFINITY, boundary);
      const target = store.drainTarget;
      if (target === null) return;
      const before = `${store.instantsDoneThrough}/${store.pausedAt}`;
      if (this.processInstantsThrough(p, target)) {
        store.streamTime = target;
        store.drainTarget = null;
      }
      if (`${store.instantsDoneThrough}/${store.pausedAt}` !== before || store.drainTarget === null)
        moved = true;
    });
    return moved;
  }

  private inputOf(record: DriverRecord<E>) {
    const topic = record.topic ?? this.worker.inputs[0]!.topic;
    const input = this.worker.inputs.find((i) => i.topic === topic);
    if (!input) throw new Error(`the worker has no input ${topic}`);
    return input;
  }

  private canStep(p: number): boolean {
    const store = this.stores[p]!;
    // A partition with no record left that waits moves on in advanceDrainedPartitions.
    if (store.pausedAt !== null && store.nextRecord >= this.records[p]!.length) return false;
    if (store.pausedAt !== null) return this.viewAt(store.pausedAt - this.publishDelay()) !== undefined;
    return store.nextRecord < this.records[p]!.length;
  }

  private publishDelay(): number {
    return this.worker.population?.publishDelayMs ?? 0;
  }

  /** Consumes the partition's next record, or resumes the one that waited for a view. */
  private step(p: number): void {
    const store = this.stores[p]!;
    const record = this.records[p]![store.nextRecord]!;
    const input = this.inputOf(record);
    const table = input.kind === 'table';
    if (store.pausedAt === null) {
      const invalid = this.invalidityOf(record);
      // An erased customer's records change nothing, not even stream time (and are not late:
      // they are not looked at), until a profile newer than the erasure; a bad one is not
      // dead-lettered either (no dead letter names the customer after its erasure).
      if (invalid !== null ? this.erasedByKey(store, record) : this.skipsErased(store, record)) {
        store.erasedSkips.set(input.topic, (store.erasedSkips.get(input.topic) ?? 0) + 1);
        store.nextRecord += 1;
        return;
      }
      if (invalid !== null) {
        this.deadLetters.push({ partition: p, offset: record.offset, reasonCode: invalid });
        store.nextRecord += 1;
        return;
      }
      if (input.erasure) {
        this.erase(p, record);
        store.nextRecord += 1;
        return;
      }
      // A table record is never late: applied on arrival, stream time unchanged.
      if (!table && this.isLate(record, store.streamTime)) {
        this.deadLetters.push({ partition: p, offset: record.offset, reasonCode: 'LATE_EVENT' });
        store.nextRecord += 1;
        return;
      }
      if (store.streamTime === null && !table) {
        // The first record of a partition processes no instants before it.
        store.streamTime = input.eventTimeOf(record.value!);
        store.instantsDoneThrough = store.streamTime;
      }
    }
    const event = record.value!;
    const t = input.eventTimeOf(event);
    if (!table && t > store.streamTime!) {
      // Stream time advances: first every instant in (s, t], in time order; this may pause.
      if (!this.processInstantsThrough(p, t)) return;
      store.streamTime = t;
    }
    const customerId = input.customerIdOf(event);
    const at = store.streamTime ?? t;
    const ctx = this.context(p, at, `${input.topic}/${p}/${record.offset}`);
    const decision = this.worker.decide(
      this.stateOf(store, customerId),
      {
        source: { topic: input.topic, partition: p, offset: record.offset },
        customerId,
        eventTime: t,
        event,
      },
      ctx,
    );
    this.apply(p, customerId, decision, at);
    store.nextRecord += 1;
  }

  /**
   * True when the record's customer is erased and the record does not bring it back: only a
   * profile whose event time is later than the erasure request's does (the mark goes, and the
   * profile is applied as any). A new erasure request of an erased customer is applied again.
   */
  private erasedByKey(store: PartitionStore<G>, record: DriverRecord<E>): boolean {
    return record.key !== undefined && store.erased.has(erasedMark(record.key));
  }

  private skipsErased(store: PartitionStore<G>, record: DriverRecord<E>): boolean {
    const input = this.inputOf(record);
    if (input.erasure) return false;
    const mark = erasedMark(input.customerIdOf(record.value!));
    const erasedAt = store.erased.get(mark);
    if (erasedAt === undefined) return false;
    if (input.topic === PROFILES_TOPIC && input.eventTimeOf(record.value!) > erasedAt) {
      store.erased.delete(mark);
      return false;
    }
    return true;
  }

  /**
   * An erasure request, on arrival at the partition's stream time (its own time before the
   * partition's first record; it never moves stream time): the customer's state, index entry and
   * timers of the worker's listed kinds go, the worker's `forget` deltas (taken from the state)
   * are added to the counters, one ErasureCompleted is produced, and the customer is marked.
   */
  private erase(p: number, record: DriverRecord<E>): void {
    const store = this.stores[p]!;
    const input = this.inputOf(record);
    const request = record.value as unknown as CustomerErasureRequested;
    const customerId = input.customerIdOf(record.value!);
    const at = store.streamTime ?? input.eventTimeOf(record.value!);
    const ctx = this.context(p, at, `${input.topic}/${p}/${record.offset}`);
    const state = this.stateOf(store, customerId);
    const erasure = this.worker.erasure!;
    const counters = state === null ? [] : erasure.forget(state, ctx).filter((d) => d.delta !== 0);
    const eventId = ctx.eventId(ERASURE_COMPLETED_KIND);
    const completed: ErasureCompleted = {
      eventId,
      customerId,
      occurredAt: at,
      requestEventId: request.eventId,
      requestedAt: request.occurredAt,
      worker: this.worker.name,
      causationId: ctx.causationId,
      hadState: state !== null,
      populationCountersRemoved: new Set(counters.map((d) => d.field)).size,
    };
    store.states.delete(customerId);
    store.index.delete(customerId);
    const kinds = store.timers.get(customerId);
    for (const kind of erasure.timerKinds) kinds?.delete(kind);
    if (kinds !== undefined && kinds.size === 0) store.timers.delete(customerId);
    for (const { field, delta } of counters)
      store.counters.set(field, (store.counters.get(field) ?? 0) + delta);
    this.outputs.push({
      topic: ERASURES_COMPLETED_TOPIC,
      key: customerId,
      eventId,
      value: completed as unknown as Record<string, unknown>,
      decisionKind: ERASURE_COMPLETED_KIND,
      causedAtEventTime: request.occurredAt,
    });
    store.erased.set(erasedMark(customerId), input.eventTimeOf(record.value!));
  }

  /**
   * Why a record goes to the dead letters before anything else is looked at: undecodable or
   * rejected by the worker's validation. Such records move nothing, not even stream time.
   */
  private invalidityOf(record: DriverRecord<E>): string | null {
    if (record.value === null) return 'AVRO_DECODE';
    const rejection = this.inputOf(record).validate(record.value);
    return rejection === null ? null : rejection.reasonCode;
  }

  /** Older than stream time minus the allowed lateness: dead-lettered, moving nothing. */
  private isLate(record: DriverRecord<E>, streamTime: number | null): boolean {
    const t = this.inputOf(record).eventTimeOf(record.value!);
    return streamTime !== null && t < streamTime - this.worker.allowedLatenessMs;
  }

  /** Processes the instants of partition `p` up to `target`; false when it has to wait for a view. */
  private processInstantsThrough(p: number, target: number): boolean {
    const store = this.stores[p]!;
    for (;;) {
      if (store.pausedAt !== null) {
        if (!this.applyView(p, store.pausedAt)) return false;
        store.instantsDoneThrough = store.pausedAt;
        store.pausedAt = null;
      }
      const x = this.nextInstantAfter(store, store.instantsDoneThrough!);
      if (x > target) break;
      // At one time: 1. timers, 2. snapshot, 3. view application.
      this.fireTimersDueAt(p, x);
      const population = this.worker.population;
      if (population !== undefined && isMultiple(x, population.periodMs, 0)) this.snapshot(store, x);
      if (population !== undefined && isMultiple(x, population.periodMs, population.publishDelayMs)) {
        store.pausedAt = x;
        continue;
      }
      store.instantsDoneThrough = x;
    }
    store.instantsDoneThrough = target;
    return true;
  }

  private nextInstantAfter(store: PartitionStore<G>, after: number): number {
    let next = Number.POSITIVE_INFINITY;
    for (const kinds of store.timers.values())
      for (const dueAt of kinds.values()) next = Math.min(next, dueAt);
    const population = this.worker.population;
    if (population !== undefined) {
      next = Math.min(next, nextMultipleAfter(after, population.periodMs, 0));
      next = Math.min(next, nextMultipleAfter(after, population.periodMs, population.publishDelayMs));
    }
    return next;
  }

  /** Timers due at `x`, by customer id (then kind) ascending, each if still set when its turn comes. */
  private fireTimersDueAt(p: number, x: number): void {
    const store = this.stores[p]!;
    const due: Array<{ customerId: string; kind: string }> = [];
    for (const [customerId, kinds] of store.timers) {
      for (const [kind, dueAt] of kinds) {
        if (dueAt < x) throw new Error(`timer ${kind} of ${customerId} at ${dueAt} was missed (now ${x})`);
        if (dueAt === x) due.push({ customerId, kind });
      }
    }
    due.sort((a, b) =>
      a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : a.kind < b.kind ? -1 : 1,
    );
    for (const { customerId, kind } of due) {
      // An earlier timer of the customer at this instant may have moved or cancelled this one:
      // only a timer still set for now fires (the Redis runtime's queue skips stale entries).
      if (store.timers.get(customerId)?.get(kind) !== x) continue;
      store.timers.get(customerId)!.delete(kind);
      const ctx = this.context(p, x, `timer/${p}/${kind}/${customerId}/${x}`);
      const decision = this.worker.onTimer(
        this.stateOf(store, customerId),
        { kind, customerId, dueAt: x },
        ctx,
      );
      this.apply(p, customerId, decision, x);
    }
  }

  private snapshot(store: PartitionStore<G>, boundary: number): void {
    const prefix = this.worker.population!.snapshotCounterPrefix;
    const copy: Record<string, number> = {};
    for (const [field, value] of store.counters) if (field.startsWith(prefix)) copy[field] = value;
    store.snapshots.set(boundary, copy);
  }

  /**
   * View(b), merged once every partition has taken its snapshot at b — or started at or after b,
   * in which case its snapshot is empty. Undefined while some partition has not got that far.
   * Null when the merge finds no view (value segmentation: no active customer anywhere).
   */
  private viewAt(boundary: number): G | null | undefined {
    if (this.views.has(boundary)) return this.views.get(boundary);
    const population = this.worker.population!;
    const ready = this.stores.every((store) => this.snapshotsTakenThrough(store) >= boundary);
    if (!ready) return undefined;
    // The contract types merge's result as G, but a worker may have no view to give (see the
    // value-segmentation worker); like the Redis runtime, a null view is merged, then not applied.
    const before = this.viewOrder.filter((v) => v.boundary < boundary && v.view !== null).at(-1);
    const view: G | null = population.merge(
      boundary,
      this.stores.map((store) => store.snapshots.get(boundary) ?? {}),
      before?.view ?? null,
    );
    this.views.set(boundary, view);
    this.viewOrder.push({ boundary, view });
    return view;
  }

  /** Snapshots at every boundary up to this time are taken (or empty: before the first record). */
  private snapshotsTakenThrough(store: PartitionStore<G>): number {
    if (store.pausedAt !== null) return store.pausedAt;
    return store.instantsDoneThrough ?? Number.NEGATIVE_INFINITY;
  }

  /**
   * Applies the view of boundary `a - publishDelay` at instant `a`; false if it is not merged yet.
   * A null view is not applied: the view in force stays and no customer is re-decided.
   */
  private applyView(p: number, a: number): boolean {
    const population = this.worker.population!;
    const boundary = a - population.publishDelayMs;
    const next = this.viewAt(boundary);
    if (next === undefined) return false;
    if (next === null) return true;
    const store = this.stores[p]!;
    const previous = store.view;
    store.view = next;
    // Customers in the affected score ranges, each once, by (score, id) as a sorted set lists them.
    const affected = new Set<string>();
    const ranges = population.affectedScoreRanges(previous, next);
    const byScore = [...store.index].sort(
      ([a1, s1], [a2, s2]) => s1 - s2 || (a1 < a2 ? -1 : a1 > a2 ? 1 : 0),
    );
    for (const [lo, hi] of ranges) {
      for (const [customerId, score] of byScore) if (score >= lo && score <= hi) affected.add(customerId);
    }
    for (const customerId of affected) {
      const state = this.stateOf(store, customerId);
      if (state === null) throw new Error(`customer ${customerId} is in the index without state`);
      const ctx = this.context(p, a, `population/${p}/${boundary}/${customerId}`);
      this.apply(p, customerId, population.onPopulationChange(state, customerId, ctx), a);
    }
    return true;
  }

  private context(p: number, streamTime: number, logicalCause: string): DecisionContext<G> {
    const worker = this.worker.name;
    const cause = `${this.topicPrefix}${logicalCause}`;
    return {
      streamTime,
      partition: p,
      population: this.stores[p]!.view,
      eventId: (decisionKind: string, n = 0) => outputEventId(worker, cause, decisionKind, n),
      // Decisions apply at once here, so the store's counters are the step's view of them.
      counter: (field: string) => this.stores[p]!.counters.get(field) ?? 0,
      causationId: cause,
    };
  }

  private stateOf(store: PartitionStore<G>, customerId: string): S | null {
    const encoded = store.states.get(customerId);
    return encoded === undefined ? null : this.worker.decodeState(encoded);
  }

  /** Applies one decision, as the runtime's atomic batch step would. */
  private apply(p: number, customerId: string, decision: CustomerDecision<S>, now: number): void {
    const store = this.stores[p]!;
    if (decision.state === null) store.states.delete(customerId);
    else store.states.set(customerId, this.worker.encodeState(decision.state));
    this.outputs.push(...decision.outputs);
    for (const timer of decision.timers) {
      const kinds = store.timers.get(customerId) ?? new Map<string, number>();
      if (timer.dueAt === null) kinds.delete(timer.kind);
      else if (timer.dueAt <= now) throw new Error(`timer ${timer.kind} of ${customerId} set in the past`);
      else kinds.set(timer.kind, timer.dueAt);
      if (kinds.size === 0) store.timers.delete(customerId);
      else store.timers.set(customerId, kinds);
    }
    if (decision.indexScore === null) store.index.delete(customerId);
    else if (decision.indexScore !== undefined) store.index.set(customerId, decision.indexScore);
    for (const { field, delta } of decision.counters ?? []) {
      store.counters.set(field, (store.counters.get(field) ?? 0) + delta);
    }
  }
}

/** Runs a worker over whole partition logs until nothing more can be consumed. */
export function runInMemory<E, S, G>(
  worker: WorkerDefinition<E, S, G>,
  partitions: ReadonlyArray<readonly DriverRecord<E>[]>,
  pick?: (runnable: readonly number[]) => number,
): DriverResult<G> {
  const runtime = new InMemoryRuntime(worker, partitions.length);
  partitions.forEach((records, p) => {
    runtime.append(p, records);
  });
  runtime.runUntilIdle(pick);
  return runtime.result();
}
