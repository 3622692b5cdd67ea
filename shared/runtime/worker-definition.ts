// The contract between a worker's pure decisions and the one runtime that does all I/O.
// A worker declares its inputs, its pure decision functions, its per-customer state and its
// outputs; the runtime (shared/runtime/partition-processor.ts) reads and writes Redis, decodes
// and produces Kafka records, fires timers, and applies every batch atomically.

/** Where an input record came from; output event ids are derived from it. */
export interface SourcePosition {
  readonly topic: string;
  readonly partition: number;
  /** Kafka offset as a decimal string (offsets are int64). */
  readonly offset: string;
}

/** A decoded, validated input event with its position. */
export interface InputRecord<E> {
  readonly source: SourcePosition;
  readonly customerId: string;
  /** Event time, epoch milliseconds. */
  readonly eventTime: number;
  readonly event: E;
}

/** An event the worker wants produced. `value` is encoded with the topic's Avro schema. */
export interface OutputEvent {
  readonly topic: string;
  readonly key: string;
  readonly eventId: string;
  readonly value: Record<string, unknown>;
  /** Decision kind for metrics (e.g. "segment-changed"); never a customer id. */
  readonly decisionKind: string;
  /** Bounded label for metrics (e.g. the tier reached); never a customer id. */
  readonly decisionLabel?: string;
  /** Event time of the input that caused it, for end-to-end latency. */
  readonly causedAtEventTime?: number;
}

/** Set (dueAt: number) or cancel (dueAt: null) the one timer of `kind` for this customer. */
export interface TimerChange {
  readonly kind: string;
  readonly dueAt: number | null;
}

/** A timer that came due in stream time. */
export interface FiredTimer {
  readonly kind: string;
  readonly customerId: string;
  readonly dueAt: number;
}

/** Increment of a named per-partition counter (tier sizes, histogram cells). */
export interface CounterDelta {
  readonly field: string;
  readonly delta: number;
}

/**
 * A measurement a decision reports for metrics (a share of wallet, an evaluation outcome).
 * Labels are bounded business values, never customer ids. Reported after the step is applied;
 * a re-delivered step reports again (metrics are per process, not exact counts).
 */
export interface Observation {
  readonly metric: string;
  readonly value: number;
  readonly labels: Readonly<Record<string, string>>;
}

/** What a pure decision returns for one customer. */
export interface CustomerDecision<S> {
  /**
   * New state; null deletes the customer's state. States are never written to: a new object for a
   * change, the very object the decision was given for none (the runtime then writes nothing).
   */
  readonly state: S | null;
  readonly outputs: readonly OutputEvent[];
  readonly timers: readonly TimerChange[];
  /**
   * The customer's score in the partition's population index (a sorted set): a number sets it,
   * null removes the customer, undefined leaves it unchanged.
   */
  readonly indexScore?: number | null;
  readonly counters?: readonly CounterDelta[];
  readonly observations?: readonly Observation[];
}

/** What a decision may know besides state and event. Deterministic: no wall clock. */
export interface DecisionContext<G> {
  /** Stream time of the partition after this event advanced it (max event time seen). */
  readonly streamTime: number;
  readonly partition: number;
  /** The population view (e.g. tier thresholds) in force in this partition, if any yet. */
  readonly population: G | null;
  /** Deterministic event id for the n-th output of `decisionKind` caused by this input. */
  eventId(decisionKind: string, n?: number): string;
  /** Human-readable identity of the cause, recorded as evidence (topic/partition/offset or timer). */
  readonly causationId: string;
  /**
   * A per-partition counter as of this decision (Redis at the start of the step plus the step's
   * changes so far), e.g. today's offer budget used. Only fields the worker's `counterReads`
   * declared for the step can be read.
   */
  counter(field: string): number;
}

/** Rejection of an input by a worker's own validation (beyond Avro decoding). */
export interface Rejection {
  readonly reasonCode: string;
  readonly message: string;
}

export interface InputDefinition<E> {
  /** Topic name key in the topic catalogue (shared/topics.ts), e.g. "purchases". */
  readonly topic: string;
  /**
   * `stream` (default): the record moves stream time and is dead-lettered when later than the
   * allowed lateness. `table` (profiles, known tiers): applied on arrival whatever its event
   * time, never late, never moves stream time; the worker makes it take effect by event time.
   */
  readonly kind?: 'stream' | 'table';
  /** Avro schema name in schemas/ used to decode the value. */
  readonly schema: string;
  /** Semantic validation after decoding; return a rejection to dead-letter the record. */
  validate(event: E): Rejection | null;
  customerIdOf(event: E): string;
  eventTimeOf(event: E): number;
  /**
   * The event's id, for inputs whose records a producer may send twice (purchases,
   * interactions): a record whose id its customer had applied within DEDUPE_HORIZON is skipped.
   */
  eventIdOf?(event: E): string;
  /**
   * Erasure requests (customer-erasures): the runtime applies them itself, on arrival, with the
   * worker's `erasure` (shared/runtime/erasure.ts); the worker's decide never sees them.
   */
  readonly erasure?: true;
}

/** How a worker forgets a customer; the runtime deletes state, timers, index entry and event ids. */
export interface ErasureDefinition<S, G> {
  /** Every timer kind the worker sets: the customer's timers of each are cancelled. */
  readonly timerKinds: readonly string[];
  /**
   * The counter deltas that take the customer's contribution out of the partition's counters
   * (population figures: histogram cells, model summaries, peer statistics), from its state, so
   * that the population is as if the customer had never been there from now on. Pure.
   */
  forget(state: S, ctx: DecisionContext<G>): readonly CounterDelta[];
}

/**
 * A population-wide view (e.g. value-tier thresholds) derived from per-partition counter
 * snapshots taken at stream-time boundaries that are multiples of `periodMs`. View(b) is
 * merged from every partition's snapshot at b and takes effect in each partition when its
 * stream time reaches b + publishDelayMs; a partition that gets there before every partition
 * has snapshotted b waits (it is paused, not blocked), so results do not depend on timing.
 */
export interface PopulationDefinition<S, G> {
  readonly periodMs: number;
  readonly publishDelayMs: number;
  /** Field prefix of the per-partition counters copied into each snapshot. */
  readonly snapshotCounterPrefix: string;
  /**
   * Pure merge of all partitions' snapshots (field -> value) at boundary b; null = nothing to apply
   * (the view in force stays). `inForce` (given when `mergeKeepsFromViewInForce`) is the last
   * view a merge gave before b, the same whichever partition merges: a merge may keep part of it
   * (a model whose refit was rejected).
   */
  merge(
    boundary: number,
    snapshots: ReadonlyArray<Readonly<Record<string, number>>>,
    inForce?: G | null,
  ): G | null;
  /**
   * The same merge, for a worker whose merge takes long (a model fit): equal to merge's result,
   * but giving the event loop turns while it runs, so that heartbeats, fetches and the other
   * partitions go on. The runtime uses it when present.
   */
  mergeYielding?(
    boundary: number,
    snapshots: ReadonlyArray<Readonly<Record<string, number>>>,
    inForce?: G | null,
  ): Promise<G | null>;
  /**
   * The merge reads, of a snapshot that descends from the one it merged before, only the fields
   * that moved (fieldsChangedSince, snapshot-lineage.ts): the runtime may then hand it snapshots
   * holding only those fields over an earlier one (chained-snapshot.ts), read like any record but
   * slower to read whole.
   */
  readonly mergeFollowsLineage?: boolean;
  /** The merge reads the view in force before its boundary (looked up in Redis when not cached). */
  readonly mergeKeepsFromViewInForce?: boolean;
  /** Index score ranges [min, max] (inclusive) whose customers may change when the view changes. */
  affectedScoreRanges(previous: G | null, next: G): ReadonlyArray<readonly [number, number]>;
  /** Re-decide one affected customer under the new view. */
  onPopulationChange(state: S, customerId: string, ctx: DecisionContext<G>): CustomerDecision<S>;
}

export interface WorkerDefinition<E, S, G = never> {
  /** Worker name: consumer group suffix, Redis key prefix part, metrics label. */
  readonly name: string;
  readonly inputs: ReadonlyArray<InputDefinition<E>>;
  /**
   * Catalogue topics (logical names) the worker's decisions write, besides erasures-completed,
   * which the runtime writes for a worker with an erasure input. Their schemas are registered in
   * the schema registry at start-up; absent: every catalogue topic that is not an input.
   */
  readonly outputTopics?: readonly string[];
  /** Reason code given to records whose event time is older than stream time - allowed lateness. */
  readonly allowedLatenessMs: number;
  /** State (de)serialisation; must be deterministic. */
  encodeState(state: S): string;
  decodeState(encoded: string): S;
  decide(state: S | null, input: InputRecord<E>, ctx: DecisionContext<G>): CustomerDecision<S>;
  onTimer(state: S | null, timer: FiredTimer, ctx: DecisionContext<G>): CustomerDecision<S>;
  readonly population?: PopulationDefinition<S, G>;
  /** Counter fields the decisions of a step moving stream time from `from` to `to` may read. */
  counterReads?(from: number | null, to: number): readonly string[];
  /** Required when an input is the erasure requests (InputDefinition.erasure). */
  readonly erasure?: ErasureDefinition<S, G>;
}
