import { chainOf, chainSnapshot, MAX_CHAIN } from './chained-snapshot.js';
import { erasureDigest } from './erasure.js';
import { IndexCoverage } from './index-coverage.js';
import { RecentEvents } from './recent-events.js';
import type { SnapshotEncoder } from './snapshot-codec.js';
import { linkSnapshot } from './snapshot-lineage.js';
import type { OutboxEntry, SegmentWrite } from './state-store.js';
import { TimerQueue } from './timer-queue.js';
import type { CustomerDecision, Observation } from './worker-definition.js';

function countOne(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/**
 * A customer's state as Redis holds it. A named pair, not two strings: a decoder written for the
 * text alone then fails to compile instead of parsing the customer id.
 */
export interface StoredState {
  readonly customerId: string;
  readonly text: string;
}

/**
 * The working set of one atomic step: customer states read from Redis and changed in memory,
 * and every write the step will apply. Decisions are merged in order; later writes win.
 */
export class Segment<S> {
  readonly timers = new TimerQueue();
  /** The part of the partition's population index this step has read (views' affected customers). */
  readonly indexCoverage = new IndexCoverage();
  /** Views the step applied that this process merged and Redis has not confirmed yet (boundary -> view). */
  readonly viewsToSettle = new Map<number, string>();
  private readonly states = new Map<string, S | null>();
  /** States to write, encoded only when the step is written: a customer re-decided many times in a step (at every population instant, say) is encoded once. */
  private readonly statePuts = new Map<string, S>();
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

  /**
   * Counters with the population prefix as Redis held them at the step's start (loaded at the
   * first snapshot). The processor's own copy: once the step is applied it becomes the counters
   * after it (applyCountersTo), so the segment only reads it.
   */
  snapshotBase: Map<string, number> | null = null;
  /** Meta fields the step sets besides offset and stream time (population instants passed). */
  readonly metaSets = new Map<string, string>();
  /** The population counters kept current once a snapshot was asked for (see populationSnapshot). */
  private population: {
    readonly prefix: string;
    readonly now: Map<string, number>;
    /** The snapshot built last (the next one links to it) with its field count. */
    built: { readonly counters: Readonly<Record<string, number>>; readonly fields: number } | null;
    /** A counter moved since `built`: the next call builds a new snapshot. */
    moved: boolean;
    /** Fields that moved since the previous call; null before the first. */
    touched: Set<string> | null;
    /** Fields of `now` that are not zero. */
    fields: number;
  } | null = null;
  /** How this step stores its snapshots (a copy of the partition's; it becomes the partition's once applied). */
  snapshotEncoder: SnapshotEncoder | null = null;
  /** Population snapshots taken in this step, in order, with the fields that moved since the one before. */
  readonly snapshotsTaken: Array<{
    readonly boundary: number;
    readonly counters: Readonly<Record<string, number>>;
    readonly touched: ReadonlySet<string> | null;
    readonly fields: number;
  }> = [];

  /**
   * The population counters now (Redis's at the step's start plus this step's changes), and the
   * fields that moved since the previous call (null at the first: unknown, since the step's
   * previous snapshot, if any, was taken in an earlier step, before its last changes): kept up to
   * date as decisions merge, so that a step passing many instants (hourly refresh over a year)
   * builds a snapshot only when a counter moved, not at every instant. Unchanged, it is the same
   * object as before.
   */
  populationSnapshot(
    prefix: string,
    /** Snapshots after the first may hold only the fields that moved (chained-snapshot.ts). */
    chained = false,
  ): {
    counters: Readonly<Record<string, number>>;
    touched: ReadonlySet<string> | null;
    /** The number of fields of `counters`. */
    fields: number;
  } {
    if (this.population === null || this.population.prefix !== prefix) {
      const now = new Map(this.snapshotBase ?? []);
      for (const [field, delta] of this.counters)
        if (field.startsWith(prefix)) now.set(field, (now.get(field) ?? 0) + delta);
      let fields = 0;
      for (const value of now.values()) if (value !== 0) fields += 1;
      this.population = { prefix, now, built: null, moved: true, touched: null, fields };
    }
    const population = this.population;
    const touched = population.touched;
    population.touched = new Set();
    const built = population.built;
    if (!population.moved && built !== null) return { ...built, touched };
    population.moved = false;
    // A chain is worth it while few fields moved: one whose links hold more than an eighth of the
    // fields (a daily refresh moves hundreds between instants) is slower to read than to rebuild.
    const chain = chained && built !== null ? chainOf(built.counters) : null;
    if (
      chain !== null &&
      built !== null &&
      touched !== null &&
      chain.links < MAX_CHAIN &&
      chain.fields + touched.size <= Math.max(16, population.fields / 8)
    ) {
      const changes = new Map<string, number>();
      for (const field of touched) changes.set(field, population.now.get(field) ?? 0);
      const counters = chainSnapshot(built.counters, changes);
      linkSnapshot(counters, built.counters, touched);
      population.built = { counters, fields: population.fields };
      return { counters, touched, fields: population.fields };
    }
    // Without a prototype: built at each instant that moved (8,760 a year with hourly refresh),
    // such an object of a thousand fields takes about 60 % of the time of a plain one.
    const counters: Record<string, number> = Object.create(null);
    for (const [field, value] of population.now) if (value !== 0) counters[field] = value;
    if (built !== null && touched !== null) linkSnapshot(counters, built.counters, touched);
    population.built = { counters, fields: population.fields };
    return { counters, touched, fields: population.fields };
  }

  /**
   * Brings `counters` (those with `prefix` as they were at the step's start) to what they are once
   * the step is applied, as Redis does: each delta added (HINCRBY), a field reaching zero deleted.
   * In place: a population's counters run to tens of thousands of fields (next best offer's
   * baskets), and a copy at every step cost more than the step's decisions.
   */
  applyCountersTo(prefix: string, counters: Map<string, number>): void {
    for (const [field, delta] of this.counters) {
      if (delta === 0 || !field.startsWith(prefix)) continue;
      const value = (counters.get(field) ?? 0) + delta;
      if (value === 0) counters.delete(field);
      else counters.set(field, value);
    }
  }

  /** Customers whose index entry this step changed: their score now, or null when removed. */
  indexChanges(): ReadonlyMap<string, number | null> {
    const changes = new Map<string, number | null>(this.indexPuts);
    for (const id of this.indexDeletes) changes.set(id, null);
    return changes;
  }

  hasState(customerId: string): boolean {
    return this.states.has(customerId);
  }

  /** Adds states read from Redis for customers the step has not loaded yet. */
  loadStates(loaded: ReadonlyMap<string, string>): void {
    for (const [id, encoded] of loaded)
      if (!this.states.has(id)) this.states.set(id, this.decodeState({ customerId: id, text: encoded }));
  }

  counterValue(field: string): number {
    const base = this.counterBase.get(field);
    if (base === undefined) throw new Error(`counter ${field} was not declared by the worker's counterReads`);
    return base + (this.counters.get(field) ?? 0);
  }
  recordsApplied = 0;
  deadLettered = 0;
  timersFired = 0;

  /** Customers' recent applied event ids (idempotent intake), decoded when first asked for. */
  private readonly recentEvents = new Map<string, RecentEvents>();
  private readonly recentEventsChanged = new Set<string>();
  /** Records skipped as re-sends of an event their customer had applied, by logical topic. */
  readonly duplicatesByTopic = new Map<string, number>();
  /** Erased customers of the step (id -> erasure event time), as read and as the step changes them. */
  private readonly erased: Map<string, number>;
  private readonly erasedPuts = new Map<string, number>();
  private readonly erasedDeletes = new Set<string>();
  /** Records skipped because their customer is erased, by logical topic. */
  readonly erasedSkipsByTopic = new Map<string, number>();
  erasures = 0;

  constructor(
    /** The customer's state from its stored text (DecodedStates: not decoded again when unchanged). */
    private readonly decodeState: (stored: StoredState) => S,
    private readonly encodeState: (state: S) => string,
    loadedStates: ReadonlyMap<string, string>,
    /** Timers due after this are persisted only; the segment never fires them. */
    readonly timerHorizon: number | null,
    private readonly loadedRecentEvents: ReadonlyMap<string, string> = new Map(),
    loadedErased: ReadonlyMap<string, number> = new Map(),
  ) {
    for (const [id, text] of loadedStates) this.states.set(id, decodeState({ customerId: id, text }));
    this.erased = new Map(loadedErased);
  }

  /** When the customer was erased, or null: not erased, or re-admitted since. */
  erasedAt(customerId: string): number | null {
    return this.erased.get(customerId) ?? null;
  }

  /**
   * Marks the customer erased at `at` (its later records are skipped) and forgets the event ids
   * it had applied: the mark is a digest, so no key or value keeps the id.
   */
  markErased(customerId: string, at: number): void {
    const digest = erasureDigest(customerId);
    this.erased.set(customerId, at);
    this.erasedDeletes.delete(digest);
    this.erasedPuts.set(digest, at);
    this.recentEvents.set(customerId, RecentEvents.empty());
    this.recentEventsChanged.add(customerId);
    this.erasures += 1;
  }

  /** A newer profile re-admits an erased customer: its records count again from here. */
  readmit(customerId: string): void {
    const digest = erasureDigest(customerId);
    this.erased.delete(customerId);
    this.erasedPuts.delete(digest);
    this.erasedDeletes.add(digest);
  }

  /** A record skipped because its customer is erased. */
  noteErasedSkip(logicalTopic: string): void {
    countOne(this.erasedSkipsByTopic, logicalTopic);
  }

  /** The event ids this customer had applied lately, as of this point of the step. */
  recentEventsOf(customerId: string): RecentEvents {
    let recent = this.recentEvents.get(customerId);
    if (!recent) {
      recent = RecentEvents.decode(this.loadedRecentEvents.get(customerId));
      this.recentEvents.set(customerId, recent);
    }
    return recent;
  }

  /** A record skipped: its customer had its event applied within the horizon. */
  noteDuplicate(logicalTopic: string): void {
    countOne(this.duplicatesByTopic, logicalTopic);
  }

  /** An event applied for the customer at stream time `at`, remembered until `at` leaves the horizon. */
  noteApplied(customerId: string, key: string, at: number, floor: number, maxPerCustomer: number): void {
    this.recentEventsOf(customerId).add(key, at, floor, maxPerCustomer);
    this.recentEventsChanged.add(customerId);
  }

  /**
   * The recent events of customers whose state the step deleted lose what is older than `floor`
   * (the field goes with the last entry), so that customers who left cost nothing.
   */
  pruneRecentEventsOfDeleted(floor: number): void {
    for (const id of this.stateDeletes) {
      if (!this.loadedRecentEvents.has(id) && !this.recentEvents.has(id)) continue;
      if (this.recentEventsOf(id).prune(floor)) this.recentEventsChanged.add(id);
    }
  }

  /** The state the step writes for the customer, if it writes one. */
  statePut(customerId: string): S | undefined {
    return this.statePuts.get(customerId);
  }

  stateOf(customerId: string): S | null {
    return this.states.get(customerId) ?? null;
  }

  get changes(): number {
    return (
      this.snapshotsTaken.length +
      this.statePuts.size +
      this.stateDeletes.size +
      this.outbox.length +
      this.timerSets.size +
      this.timerDeletes.size +
      this.recentEventsChanged.size +
      this.erasedPuts.size +
      this.erasedDeletes.size
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
    } else if (decision.state !== this.states.get(customerId)) {
      // The very state object the decision was given means nothing changed (states are never
      // written to): nothing to encode or write. Share of wallet evaluates every customer at every
      // view, and most evaluations move nothing.
      this.states.set(customerId, decision.state);
      this.stateDeletes.delete(customerId);
      this.statePuts.set(customerId, decision.state);
    }
    if (decision.indexScore === null) {
      this.indexPuts.delete(customerId);
      this.indexDeletes.add(customerId);
    } else if (decision.indexScore !== undefined) {
      this.indexDeletes.delete(customerId);
      this.indexPuts.set(customerId, decision.indexScore);
    }
    const population = this.population;
    for (const { field, delta } of decision.counters ?? []) {
      this.counters.set(field, (this.counters.get(field) ?? 0) + delta);
      if (population !== null && delta !== 0 && field.startsWith(population.prefix)) {
        const before = population.now.get(field) ?? 0;
        population.now.set(field, before + delta);
        if (before === 0) population.fields += 1;
        else if (before + delta === 0) population.fields -= 1;
        population.moved = true;
        population.touched?.add(field);
      }
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
    producedBefore?: number;
    snapshots?: SegmentWrite['snapshots'];
    recentEventsSweep?: SegmentWrite['recentEventsSweep'];
  }): SegmentWrite {
    const counters = new Map<string, number>();
    for (const [field, delta] of this.counters) if (delta !== 0) counters.set(field, delta);
    return {
      ...base,
      statePuts: new Map([...this.statePuts].map(([id, state]) => [id, this.encodeState(state)])),
      stateDeletes: [...this.stateDeletes],
      indexPuts: this.indexPuts,
      indexDeletes: [...this.indexDeletes],
      counters,
      timerSets: this.timerSets,
      timerDeletes: [...this.timerDeletes],
      outbox: this.outbox,
      ...(this.recentEventsChanged.size > 0 ? { recentEvents: this.recentEventsWrite() } : {}),
      ...(this.erasedPuts.size + this.erasedDeletes.size > 0
        ? { erased: { puts: this.erasedPuts, deletes: [...this.erasedDeletes] } }
        : {}),
    };
  }

  private recentEventsWrite(): NonNullable<SegmentWrite['recentEvents']> {
    const puts = new Map<string, string>();
    const deletes: string[] = [];
    for (const id of this.recentEventsChanged) {
      const encoded = this.recentEventsOf(id).encode();
      if (encoded === null) deletes.push(id);
      else puts.set(id, encoded);
    }
    return { puts, deletes };
  }
}
