import type { CustomerErasureRequested } from '../contracts/generated.js';
import { ReasonCode } from '../contracts/reason-codes.js';
import {
  PartitionFencedError,
  PartitionStateLostError,
  StateVersionConflictError,
  ValuestreamError,
} from '../errors.js';
import { deadLetterEntry } from './dead-letter.js';
import { StepDecisionContext } from './decision-context.js';
import { DecodedStates } from './decoded-states.js';
import { erasureDecision, readmits } from './erasure.js';
import { type CausationIds, causationIds } from './event-id.js';
import type { ScoreRange } from './index-coverage.js';
import { nextPopulationInstant, type PopulationInstant } from './instants.js';
import type { RawRecord } from './raw-record.js';
import { type DedupeSettings, eventKey } from './recent-events.js';
import { type IntakeLimits, type PreparedRecord, prepareRecord, type ValueDecoder } from './record-intake.js';
import type { RuntimeEvents } from './runtime-events.js';
import { Segment, type StoredState } from './segment.js';
import { SnapshotEncoder } from './snapshot-codec.js';
import type { OutboxEntry, PartitionMeta, PartitionStore, PopulationStore } from './state-store.js';
import { publishStep } from './step-channel.js';
import { timedPartitionStore, timedPopulationStore } from './timed-store.js';
import { ViewAgreement } from './view-agreement.js';
import type {
  CustomerDecision,
  DecisionContext,
  InputDefinition,
  OutputEvent,
  WorkerDefinition,
} from './worker-definition.js';

/** A record whose customer had its event applied within the dedupe horizon: skipped. */
const REPEATED = Symbol('repeated');

export interface ProcessorInput<E> {
  readonly definition: InputDefinition<E>;
  readonly decode: ValueDecoder;
  /** Logical topic name (catalogue), used in causation ids. */
  readonly logicalTopic: string;
  readonly deadLetterTopic: string;
}

/** Longest key of a rejected record looked up as a customer id (ids are far shorter; a hostile key is not sent to Redis). */
const MAX_REJECTED_KEY_BYTES = 1024;

/** The customer a rejected record names by its key, or null (no key, or too long to be an id). */
function keyOfRejected(record: RawRecord): string | null {
  if (record.key === null || record.key.length === 0 || record.key.length > MAX_REJECTED_KEY_BYTES)
    return null;
  return record.key.toString('utf8');
}

export interface ProcessorOptions<E, S, G> {
  readonly worker: WorkerDefinition<E, S, G>;
  readonly store: PartitionStore;
  readonly population: PopulationStore | null;
  readonly partitionCount: number;
  readonly consumerGroup: string;
  /** Keyed by the topic name on the cluster. */
  readonly inputs: ReadonlyMap<string, ProcessorInput<E>>;
  readonly encodeOutput: (output: OutputEvent) => OutboxEntry;
  readonly limits: IntakeLimits & {
    readonly maxBatchRecords: number;
    readonly timerLoadLimit: number;
    /** Idempotent intake by eventId (inputs that name one); off when absent. */
    readonly dedupe?: DedupeSettings;
  };
  readonly events: RuntimeEvents;
  readonly wallClock: () => number;
  /** TOPIC_PREFIX: in every causation id, so that event ids differ between topic sets. */
  readonly topicPrefix?: string;
  /**
   * Views by boundary, shared by the processors of one process: a view is the same in every
   * partition, so the partitions of a process merge or read it once.
   */
  readonly viewCache?: Map<number, unknown>;
  /** Snapshots taken by this process's partitions, by boundary then partition, shared like the view cache. */
  readonly snapshotBoard?: Map<number, Map<number, Readonly<Record<string, number>>>>;
  /**
   * The latest boundary each partition of this process has snapshotted (in Redis or in memory),
   * shared by its processors: a partition of ours that has not got there yet is known to be
   * missing without asking Redis.
   */
  readonly localProgress?: Map<number, LocalProgress>;
  /** Views being merged now, by boundary, shared like the view cache. */
  readonly viewsInFlight?: Map<number, Promise<unknown>>;
  /** Views merged by this process and not yet known to be the ones stored, shared like the view cache. */
  readonly viewAgreement?: ViewAgreement;
  /** How long a step waits, inside, for a view whose snapshots are still missing before it ends. */
  readonly suspendMs?: number;
  /** Partitions this process owns now (kept by the consumer): only their snapshots are waited for inside a step. */
  readonly localPartitions?: ReadonlySet<number>;
  /** Decoded customer states kept with their text, shared by the processors of one process (STATE_CACHE_MB). */
  readonly decodedStates?: DecodedStates<S>;
}

/** Characters of state text a processor keeps decoded when the process shares no cache. */
const OWN_DECODED_STATES_CAPACITY = 8 * 1024 * 1024;

/** Lets the processor stop between steps when the consumer stops or the partition moves. */
export interface StepGuard {
  /** Throws when processing must stop (consumer stopping, partition revoked). */
  check(): void;
  heartbeat(): Promise<void>;
}

export type ProcessOutcome =
  | { readonly kind: 'done'; readonly outbox: OutboxEntry[] }
  /** A population view this partition needs is not ready: resume from `resumeOffset` later. */
  | {
      readonly kind: 'blocked';
      readonly outbox: OutboxEntry[];
      readonly resumeOffset: string | null;
      readonly boundary: number;
      /** The prepared records not processed yet, in order: keep them and run them once woken. */
      readonly remaining: PreparedRecord<unknown>[];
      /** Partitions whose snapshot of `boundary` is missing: wake when they have one. */
      readonly missing: readonly number[];
    };

/**
 * Recent-events fields the sweep visits in a step: one per record applied, so that it goes round
 * the whole hash once per as many records as the partition has customers with ids, however the
 * records come in steps; at least 32 (a step that only moves stream time), at most 2,048 (one
 * script call stays short: a field costs Redis about 2 µs).
 */
export function sweepFieldsFor(recordsApplied: number): number {
  return Math.min(2048, Math.max(32, recordsApplied));
}

/** Why a decision cannot be stored in Redis, or null. */
export function invalidDecision(decision: CustomerDecision<unknown>): string | null {
  const score = decision.indexScore;
  if (score !== undefined && score !== null && !Number.isFinite(score))
    return `index score ${score} is not a finite number`;
  for (const { field, delta } of decision.counters ?? [])
    if (!Number.isSafeInteger(delta)) return `counter ${field} delta ${delta} is not a safe integer`;
  for (const { kind, dueAt } of decision.timers)
    if (dueAt !== null && !Number.isFinite(dueAt))
      return `timer ${kind} due at ${dueAt} is not a finite time`;
  return null;
}

/** The partition was released (a rebalance, a failed step) while a step of it was still running. */
class PartitionReleasedError extends ValuestreamError {
  constructor(partition: number) {
    super('PARTITION_RELEASED', `partition ${partition} is not claimed (released while a step ran)`, {
      retriable: true,
    });
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** What a process knows of one of its partitions' population snapshots. */
export interface LocalProgress {
  /** Snapshots up to this boundary are taken (posted, in Redis, or empty before the start). */
  readonly through: number;
  /** Stream time of the partition's first record (or advance), null before it starts. */
  readonly startedAt: number | null;
}

interface NotReady {
  readonly notReady: true;
  readonly missing: readonly number[];
}

function isNotReady(view: unknown): view is NotReady {
  return typeof view === 'object' && view !== null && (view as { notReady?: unknown }).notReady === true;
}

/**
 * Applies the records of one partition to Redis in atomic steps, in stream-time order, exactly
 * as services/value-segmentation/SEMANTICS.md describes: timers and population instants fire
 * as stream time passes them; records at or below the applied offset are skipped; every
 * step carries the owner epoch and the meta version it read, so a step of a fenced owner
 * or a step racing another one is rejected by Redis before it writes anything.
 */
export class PartitionProcessor<E, S, G> {
  private epoch: number | null = null;
  /** The highest epoch this process held; kept across releases so that a new claim goes above it. */
  private highestEpoch = 0;
  private meta: PartitionMeta | null = null;
  /**
   * How this owner stores its population snapshots: as deltas from the whole one it stored last.
   * Started again at each claim (the first one stored then is whole), so that one is in Redis.
   */
  private snapshotEncoder = SnapshotEncoder.start();
  /**
   * The partition's population counters as this owner last applied them, with the meta version
   * that apply gave: a step starting at that version takes them instead of reading the whole
   * histogram back (HGETALL at every step that passes an instant). Any other version, a claim,
   * a release or an apply that failed drops them.
   */
  private appliedPopulationCounters: {
    readonly version: number;
    /** Updated in place by the next step that takes them (applyCountersTo), once applied. */
    readonly counters: Map<string, number>;
  } | null = null;
  private view: G | null = null;
  private readonly viewCache: Map<number, G | null>;
  private readonly snapshotBoard: Map<number, Map<number, Readonly<Record<string, number>>>>;
  private readonly viewsInFlight: Map<number, Promise<unknown>>;
  private readonly localProgress: Map<number, LocalProgress>;
  private readonly viewAgreement: ViewAgreement;
  private readonly options: ProcessorOptions<E, S, G>;
  /** Entries in the partition's Redis outbox: known exactly from the claim, each apply and each ack. */
  private outboxEntries = 0;
  /** Entries at the head of the outbox produced and not removed yet (see ackOutbox). */
  private producedUnacked = 0;

  private readonly causation: CausationIds;
  private readonly decodedStates: DecodedStates<S>;
  private readonly decodeState: (stored: StoredState) => S;

  constructor(options: ProcessorOptions<E, S, G>) {
    if (!options.worker.erasure && [...options.inputs.values()].some((i) => i.definition.erasure))
      throw new Error(`worker ${options.worker.name} reads erasure requests but defines no erasure`);
    this.causation = causationIds(options.topicPrefix ?? '');
    // Every Redis call is timed and its failures counted by operation (timed-store.ts).
    this.viewCache = (options.viewCache as Map<number, G | null> | undefined) ?? new Map();
    this.snapshotBoard = options.snapshotBoard ?? new Map();
    this.viewsInFlight = options.viewsInFlight ?? new Map();
    this.localProgress = options.localProgress ?? new Map();
    this.viewAgreement = options.viewAgreement ?? new ViewAgreement();
    this.decodedStates =
      options.decodedStates ?? new DecodedStates(options.worker.decodeState, OWN_DECODED_STATES_CAPACITY);
    this.decodeState = (stored) => this.decodedStates.decodeOf(stored.customerId, stored.text);
    this.options = {
      ...options,
      store: timedPartitionStore(options.store, options.events),
      population: options.population && timedPopulationStore(options.population, options.events),
    };
  }

  get partition(): number {
    return this.options.store.partition;
  }

  get isClaimed(): boolean {
    return this.epoch !== null;
  }

  /** Highest applied offset of a topic (logical name), as Redis knows it. */
  appliedOffset(logicalTopic: string): bigint | null {
    return this.meta?.offsets.get(logicalTopic) ?? null;
  }

  get streamTime(): number | null {
    return this.meta?.streamTime ?? null;
  }

  get startedAt(): number | null {
    return this.meta?.startedAt ?? null;
  }

  /** Forget ownership; the next step claims again (after a rebalance or an unknown outcome). */
  release(): void {
    this.epoch = null;
    this.meta = null;
    // The next owner (this one after its claim, or another) produces the whole outbox again.
    this.producedUnacked = 0;
    this.snapshotEncoder = SnapshotEncoder.start();
    this.appliedPopulationCounters = null;
  }

  /** Claims the partition (fencing older owners); returns the outbox left by an earlier owner. */
  async claim(): Promise<OutboxEntry[]> {
    const claimed = await this.options.store.claim(this.highestEpoch);
    this.epoch = claimed.epoch;
    this.producedUnacked = 0;
    this.snapshotEncoder = SnapshotEncoder.start();
    this.appliedPopulationCounters = null;
    this.highestEpoch = Math.max(this.highestEpoch, claimed.epoch);
    this.meta = claimed.meta;
    // What Redis holds now (a new owner, or Redis lost writes): the snapshots it has.
    this.localProgress.set(this.partition, {
      through: Math.max(
        claimed.meta.snapshotBoundary ?? Number.NEGATIVE_INFINITY,
        claimed.meta.startedAt ?? Number.NEGATIVE_INFINITY,
      ),
      startedAt: claimed.meta.startedAt,
    });
    this.reportOutbox(claimed.outbox.length);
    this.reportTimers(claimed.pendingTimers);
    this.view = null;
    // Meta written before viewBoundary existed: the applied boundary is the best guess.
    const boundary = claimed.meta.viewBoundary ?? claimed.meta.appliedBoundary;
    if (boundary !== null && this.options.worker.population) {
      const view = await this.resolveView(boundary);
      this.view = isNotReady(view) ? null : view;
    }
    return [...claimed.outbox];
  }

  /**
   * The first `produced` entries of the outbox are in Kafka. `deferred` (the partition has
   * records to apply): the next step's apply removes them, one Redis call fewer per step; else
   * they go now, with any deferred before. A crash in between produces them again, with the same
   * event ids, as a crash between produce and acknowledgement always could.
   */
  async ackOutbox(produced: number, deferred = false): Promise<void> {
    if (this.epoch === null) return;
    if (produced > 0) this.reportOutbox(this.outboxEntries - produced);
    this.producedUnacked += produced;
    if (deferred || this.producedUnacked === 0) return;
    await this.options.store.ackOutbox(this.epoch, this.producedUnacked);
    this.producedUnacked = 0;
  }

  private reportOutbox(entries: number): void {
    this.outboxEntries = Math.max(0, entries);
    this.options.events.emit('outboxBacklog', { partition: this.partition, entries: this.outboxEntries });
  }

  private reportTimers(pending: number): void {
    this.options.events.emit('pendingTimers', { partition: this.partition, timers: pending });
  }

  /** Applies a batch of records of this partition (any mix of its input topics). */
  async process(records: readonly RawRecord[], guard: StepGuard): Promise<ProcessOutcome> {
    return this.processPrepared(this.prepare(records), guard);
  }

  /**
   * Decodes and validates records once, leaving out those at or below the applied offset
   * (re-deliveries). A record is decoded once however long it waits for a population view.
   */
  prepare(records: readonly RawRecord[]): PreparedRecord<E>[] {
    const meta = this.requireMeta();
    const prepared: PreparedRecord<E>[] = [];
    for (const record of records) {
      const applied = meta.offsets.get(record.logicalTopic);
      if (applied !== undefined && BigInt(record.offset) <= applied) continue;
      const input = this.options.inputs.get(record.topic);
      if (!input) throw new Error(`no input definition for topic ${record.topic}`);
      prepared.push(prepareRecord(record, input.definition, input.decode, this.options.limits));
    }
    return prepared;
  }

  /** Applies prepared records (from prepare(), or the remainder of a blocked outcome). */
  async processPrepared(prepared: readonly PreparedRecord<E>[], guard: StepGuard): Promise<ProcessOutcome> {
    const meta = this.requireMeta();
    const fresh = prepared.filter((p) => {
      const applied = meta.offsets.get(p.record.logicalTopic);
      return applied === undefined || BigInt(p.record.offset) > applied;
    });
    return this.run(fresh, null, guard);
  }

  /**
   * Advances a partition with nothing left to apply (its records all applied, as its end offset
   * proves) to stream time `target`, firing what comes due. A partition that never had a record
   * starts there, with an empty state: its snapshots of earlier boundaries are empty.
   */
  async advanceStreamTime(target: number, guard: StepGuard): Promise<ProcessOutcome> {
    const s = this.requireMeta().streamTime;
    if (s !== null && target <= s) return { kind: 'done', outbox: [] };
    if (s === null) {
      const segment = new Segment<S>(this.decodeState, this.options.worker.encodeState, new Map(), null);
      const start = String(target);
      await this.applySegment(
        segment,
        null,
        new Map([
          ['streamTime', start],
          ['startedAt', start],
        ]),
        guard,
      );
      this.noteProgress(target, target);
      return { kind: 'done', outbox: [] };
    }
    return this.run([], target, guard);
  }

  private async run(
    prepared: PreparedRecord<E>[],
    advanceTo: number | null,
    guard: StepGuard,
  ): Promise<ProcessOutcome> {
    const { worker, limits } = this.options;
    const outbox: OutboxEntry[] = [];
    let s = this.requireMeta().streamTime;
    let index = 0;
    let advancePending = advanceTo !== null;
    while (index < prepared.length || advancePending) {
      guard.check();
      const chunk = prepared.slice(index, index + limits.maxBatchRecords);
      const eventTimes = chunk.flatMap((p) =>
        p.kind === 'event' && !this.isTable(p.record) ? [p.input.eventTime] : [],
      );
      const target = advancePending ? advanceTo! : eventTimes.length ? Math.max(...eventTimes) : null;
      // A rejected record's key is read too: an erased customer's bad records are skipped, so no
      // dead letter carries its id (or its bytes) after the erasure.
      const customerIds = [
        ...new Set(
          chunk.flatMap((p) => {
            if (p.kind === 'event') return [p.input.customerId];
            const key = keyOfRejected(p.record);
            return key === null ? [] : [key];
          }),
        ),
      ];
      const read = await this.options.store.read(customerIds, target, limits.timerLoadLimit);
      this.checkRead(read.meta);
      const truncated = read.timers.length >= limits.timerLoadLimit;
      const horizon =
        target === null ? null : truncated ? read.timers[read.timers.length - 1]!.dueAt - 1 : target;
      const segment = new Segment<S>(
        this.decodeState,
        worker.encodeState,
        read.states,
        horizon,
        read.recentEvents,
        read.erased,
      );
      // The chunk's decisions run at stream times from s to the target, late events and table
      // records at s even when the target is below it; before a partition's first event, at the
      // records' own times. Each of those times may read its counters.
      const times = chunk.flatMap((p) => (p.kind === 'event' ? [p.input.eventTime] : []));
      const from = s ?? (times.length ? Math.min(...times) : null);
      const to = s === null ? (times.length ? Math.max(...times) : target) : Math.max(s, target ?? s);
      segment.counterBase = await this.readDeclaredCounters(from, to);
      for (const timer of read.timers)
        if (horizon !== null && timer.dueAt <= horizon) segment.timers.set(timer);

      let consumed = 0;
      let lastOffset: { topic: string; offset: bigint } | null = null;
      let instant: PopulationInstant | null = null;
      let startedAt: number | null = null;
      // Moves stream time towards `time`, firing timers and passing population instants on the
      // way within this step: a snapshot is taken from the counters in memory, a view that can be
      // merged is applied to the affected customers here. An instant whose view cannot be merged
      // yet stops the segment; timers beyond the loaded horizon need a re-read.
      const stepTo = async (time: number): Promise<'ok' | 'reread' | PopulationInstant> => {
        if (s === null) return 'ok';
        const limit = horizon !== null && time > horizon ? horizon : time;
        for (;;) {
          const next = this.nextInstant(s, limit, startedAt);
          if (!next) break;
          this.fireTimers(segment, next.time);
          if (!(await this.passInstant(next, segment, guard))) return next;
          s = next.time;
        }
        this.fireTimers(segment, limit);
        return limit < time ? 'reread' : 'ok';
      };

      for (const item of chunk) {
        const erasedSkip = item.kind === 'event' && this.skipsErased(segment, item);
        const repeat =
          item.kind === 'event' && !erasedSkip
            ? this.repeatCheck(segment, item, s ?? item.input.eventTime)
            : null;
        if (erasedSkip) {
          // The customer asked to be forgotten: its records change nothing until a newer profile.
          segment.noteErasedSkip(item.record.logicalTopic);
        } else if (item.kind === 'event' && this.isErasure(item.record)) {
          // An erasure acts on arrival, as a table record does, at the partition's stream time.
          const ctx = this.recordContext(s ?? item.input.eventTime, item, segment);
          this.erase(segment, item, ctx);
        } else if (repeat === REPEATED) {
          // A re-send of an event its customer had applied: settled, nothing changes (also when
          // it arrives too late to apply, which would dead-letter a copy of what was applied).
          segment.noteDuplicate(item.record.logicalTopic);
        } else if (item.kind === 'event' && this.isTable(item.record)) {
          // A table record (a profile, a known tier) is state that takes effect by its own
          // event time: applied on arrival, never late, and it does not move stream time.
          const ctx = this.recordContext(s ?? item.input.eventTime, item, segment);
          this.decideRemembering(segment, item, ctx, repeat);
        } else if (item.kind === 'event') {
          const t = item.input.eventTime;
          if (s !== null && t < s - worker.allowedLatenessMs) {
            this.addDeadLetter(
              segment,
              item.record,
              'LATE_EVENT',
              `event is ${s - t} ms behind stream time, beyond the allowed lateness`,
            );
          } else {
            if (s === null || t > s) {
              const step = await stepTo(t);
              if (step === 'reread') break;
              if (step !== 'ok') {
                instant = step;
                break;
              }
              if (s === null) {
                startedAt = t;
                // Its snapshots before its first record are empty, from now on, not from the apply.
                this.noteProgress(t, t);
              }
              s = t;
            }
            const ctx = this.recordContext(s, item, segment);
            this.decideRemembering(segment, item, ctx, repeat);
          }
        } else {
          const key = keyOfRejected(item.record);
          if (key !== null && segment.erasedAt(key) !== null)
            segment.noteErasedSkip(item.record.logicalTopic);
          else this.addDeadLetter(segment, item.record, item.reasonCode, item.message);
        }
        consumed += 1;
        const offset = BigInt(item.record.offset);
        lastOffset = { topic: item.record.logicalTopic, offset };
        if (consumed < chunk.length && chunk[consumed]!.record.logicalTopic !== item.record.logicalTopic)
          break;
      }
      if (index + consumed >= prepared.length && advancePending && instant === null && s !== null) {
        const step = await stepTo(advanceTo!);
        if (step === 'ok') {
          s = advanceTo!;
          advancePending = false;
        } else if (step !== 'reread') {
          instant = step;
        }
      }

      const metaSets = new Map<string, string>();
      if (s !== null) metaSets.set('streamTime', String(s));
      if (startedAt !== null) metaSets.set('startedAt', String(startedAt));
      for (const entry of segment.outbox) outbox.push(entry);
      for (const [field, value] of segment.metaSets) metaSets.set(field, value);
      if (consumed > 0 || segment.changes > 0 || segment.metaSets.size > 0 || s !== this.meta!.streamTime) {
        await this.applySegment(segment, lastOffset, metaSets, guard);
      }
      index += consumed;
      if (instant) {
        // The step ended at a view that could not be merged. Ready now: the next segment passes
        // it. Not ready: the partition waits, keeping the records not applied yet.
        const view = await this.resolveView(instant.boundary);
        if (isNotReady(view)) {
          this.options.events.emit('populationWait', {
            partition: this.partition,
            boundary: instant.boundary,
            missing: view.missing,
            streamTime: instant.time,
          });
          return {
            kind: 'blocked',
            outbox,
            resumeOffset: index < prepared.length ? prepared[index]!.record.offset : null,
            boundary: instant.boundary,
            remaining: prepared.slice(index) as PreparedRecord<unknown>[],
            missing: view.missing,
          };
        }
      }
    }
    return { kind: 'done', outbox };
  }

  /**
   * The next population instant on the way from stream time `s` to `upTo`. Instants at `s`
   * itself count too unless done: stream time can stop exactly on an instant (a snapshot and
   * an application share a time; a step can end between them). A partition's very first
   * record processes no instant at or before its time.
   */
  private nextInstant(s: number, upTo: number, startedInThisStep: number | null): PopulationInstant | null {
    const population = this.options.worker.population;
    if (!population) return null;
    const meta = this.requireMeta();
    const startedAt = meta.startedAt ?? startedInThisStep;
    const afterExclusive = s === startedAt ? s : s - 1;
    return nextPopulationInstant(afterExclusive, upTo, population.periodMs, population.publishDelayMs, meta);
  }

  private isTable(record: RawRecord): boolean {
    return this.options.inputs.get(record.topic)?.definition.kind === 'table';
  }

  private isErasure(record: RawRecord): boolean {
    return this.options.inputs.get(record.topic)?.definition.erasure === true;
  }

  /**
   * True for a record of an erased customer, to skip; a profile newer than the erasure
   * re-admits the customer (the mark goes, in the same step) and is applied.
   */
  private skipsErased(segment: Segment<S>, item: Extract<PreparedRecord<E>, { kind: 'event' }>): boolean {
    const erasedAt = segment.erasedAt(item.input.customerId);
    if (erasedAt === null || this.isErasure(item.record)) return false;
    if (readmits(item.record.logicalTopic, item.input.eventTime, erasedAt)) {
      segment.readmit(item.input.customerId);
      return false;
    }
    return true;
  }

  /** Forgets the customer (shared/runtime/erasure.ts) and marks it erased, in this step. */
  private erase(
    segment: Segment<S>,
    item: Extract<PreparedRecord<E>, { kind: 'event' }>,
    ctx: DecisionContext<G>,
  ): void {
    const { worker } = this.options;
    const customerId = item.input.customerId;
    this.mergeDecision(
      segment,
      customerId,
      erasureDecision(
        worker.name,
        worker.erasure!,
        segment.stateOf(customerId),
        item.input.event as unknown as CustomerErasureRequested,
        ctx,
      ),
    );
    segment.markErased(customerId, item.input.eventTime);
    segment.recordsApplied += 1;
  }

  private fireTimers(segment: Segment<S>, upTo: number): void {
    for (let timer = segment.timers.popDue(upTo); timer; timer = segment.timers.popDue(upTo)) {
      segment.consumeTimer(timer.kind, timer.customerId);
      const ctx = this.context(
        timer.dueAt,
        this.causation.timer(this.partition, timer.kind, timer.customerId, timer.dueAt),
        segment,
      );
      const decision = this.options.worker.onTimer(segment.stateOf(timer.customerId), timer, ctx);
      this.mergeDecision(segment, timer.customerId, decision);
      this.options.events.emit('timerFired', { partition: this.partition, kind: timer.kind });
    }
  }

  /**
   * Passes a population instant inside the segment. A snapshot is the population counters as of
   * now (Redis's at the step's start plus the step's changes), written with the step and posted
   * at once to the partitions of this process. A view is applied here when it can be merged,
   * waiting a little for the partitions of this process that have not got that far; false when
   * it cannot be merged yet (the segment ends there and the partition waits).
   */
  private async passInstant(
    instant: PopulationInstant,
    segment: Segment<S>,
    guard: StepGuard,
  ): Promise<boolean> {
    const population = this.options.worker.population!;
    if (instant.kind === 'snapshot') {
      segment.snapshotBase ??=
        this.populationCountersAt(this.requireMeta().version) ??
        // A copy: it is updated in place once the step is applied, and a store may hand out its own.
        new Map(await this.options.store.readCountersWithPrefix(population.snapshotCounterPrefix));
      const { counters, touched, fields } = segment.populationSnapshot(
        population.snapshotCounterPrefix,
        population.mergeFollowsLineage === true,
      );
      segment.snapshotsTaken.push({ boundary: instant.boundary, counters, touched, fields });
      segment.metaSets.set('snapshotBoundary', String(instant.boundary));
      this.meta = { ...this.requireMeta(), snapshotBoundary: instant.boundary };
      this.postSnapshot(instant.boundary, counters);
      return true;
    }
    const next = await this.resolveViewWaiting(instant.boundary, guard);
    if (isNotReady(next)) return false;
    const unsettled = this.viewAgreement.unsettled(instant.boundary);
    if (unsettled !== undefined) segment.viewsToSettle.set(instant.boundary, unsettled);
    const previous = this.view;
    let affected = 0;
    if (next !== null) {
      const ids = await this.affectedCustomers(population.affectedScoreRanges(previous, next), segment);
      affected = ids.length;
      for (const customerId of ids) {
        const state = segment.stateOf(customerId);
        if (state === null) continue;
        const ctx = this.contextWith(
          instant.time,
          this.causation.population(this.partition, instant.boundary, customerId),
          next,
          segment,
        );
        this.mergeDecision(segment, customerId, population.onPopulationChange(state, customerId, ctx));
      }
      segment.metaSets.set('viewBoundary', String(instant.boundary));
      this.view = next;
    }
    segment.metaSets.set('appliedBoundary', String(instant.boundary));
    const meta = { ...this.requireMeta(), appliedBoundary: instant.boundary };
    this.meta = next === null ? meta : { ...meta, viewBoundary: instant.boundary };
    this.options.events.emit('populationApplied', {
      partition: this.partition,
      boundary: instant.boundary,
      affected,
    });
    return true;
  }

  /**
   * Customers whose index score lies in one of the ranges as of now: Redis's index (as of the
   * step's start) where the step did not change the customer's entry, the step's own entries
   * otherwise. Their states are loaded into the segment. Sorted by id, as the view's re-decisions run.
   */
  private async affectedCustomers(ranges: readonly ScoreRange[], segment: Segment<S>): Promise<string[]> {
    if (ranges.length === 0) return [];
    const inRange = (score: number) => ranges.some(([lo, hi]) => score >= lo && score <= hi);
    const changed = segment.indexChanges();
    // Redis's index as of the step's start, read once per range (with room around it) per step.
    const coverage = segment.indexCoverage;
    const toRead = coverage.toRead(ranges);
    if (toRead.length > 0) {
      const stored = await this.options.store.readIndexRanges(toRead);
      const load = new Map<string, string>();
      for (const [id, entry] of stored) if (!segment.hasState(id)) load.set(id, entry.state);
      segment.loadStates(load);
      coverage.add(toRead, stored);
    }
    const ids = new Set<string>();
    for (const id of coverage.idsIn(ranges)) if (!changed.has(id)) ids.add(id);
    for (const [id, score] of changed) if (score !== null && inRange(score)) ids.add(id);
    return [...ids].sort();
  }

  /** The snapshots of this process's partitions, by boundary, before Redis has them. */
  private postSnapshot(boundary: number, counters: Readonly<Record<string, number>>): void {
    const board = this.snapshotBoard;
    let snapshots = board.get(boundary);
    if (!snapshots) {
      snapshots = new Map();
      board.set(boundary, snapshots);
      if (board.size > 4096) board.delete(board.keys().next().value!);
    }
    snapshots.set(this.partition, counters);
    this.noteProgress(boundary);
    this.options.events.emit('populationSnapshot', { partition: this.partition, boundary });
  }

  /** This partition has its snapshots up to `through` (in memory or Redis); `startedAt` when it starts. */
  private noteProgress(through: number, startedAt?: number): void {
    const known = this.localProgress.get(this.partition);
    this.localProgress.set(this.partition, {
      through: Math.max(known?.through ?? Number.NEGATIVE_INFINITY, through),
      startedAt: startedAt ?? known?.startedAt ?? null,
    });
  }

  /** resolveView, waiting up to `suspendMs` for snapshots still missing (woken by each one seen). */
  private async resolveViewWaiting(boundary: number, guard: StepGuard): Promise<G | null | NotReady> {
    const deadline = performance.now() + (this.options.suspendMs ?? 0);
    let announced = false;
    for (;;) {
      // Listen before looking: a snapshot posted while the view is being merged (the merge may
      // have started before it) must wake this wait, or the step sleeps out the whole suspension.
      const seen = this.snapshotsSeenDuring();
      const view = await this.resolveView(boundary);
      const arrived = seen.stop();
      const left = deadline - performance.now();
      if (!isNotReady(view) || left <= 0) return view;
      // Another process's partition writes its snapshot when its step ends, which may wait for
      // ours in turn: end this step now so that ours is written, and wait outside.
      const local = this.options.localPartitions;
      if (!local || view.missing.some((p) => !local.has(p))) return view;
      if (arrived) continue;
      if (!announced) {
        announced = true;
        this.options.events.emit('populationWait', {
          partition: this.partition,
          boundary,
          missing: view.missing,
          streamTime: this.requireMeta().streamTime ?? boundary,
        });
      }
      await this.nextSnapshotSeen(left);
      guard.check();
    }
  }

  /** Calls `listener` at each snapshot posted by this process or signalled by another; returns the unsubscribe. */
  private onAnySnapshot(listener: () => void): () => void {
    const offLocal = this.options.events.on('populationSnapshot', listener);
    const offSeen = this.options.events.on('populationSnapshotSeen', listener);
    return () => {
      offLocal();
      offSeen();
    };
  }

  /** Notes whether any snapshot is seen until stop(). */
  private snapshotsSeenDuring(): { stop(): boolean } {
    let seen = false;
    const off = this.onAnySnapshot(() => {
      seen = true;
    });
    return {
      stop: () => {
        off();
        return seen;
      },
    };
  }

  /** Resolves at the next snapshot posted by this process or signalled by another, or after timeoutMs. */
  private nextSnapshotSeen(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        off();
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      const off = this.onAnySnapshot(done);
    });
  }

  /**
   * View of a boundary: cached, or merged now from every partition's snapshot (this process's
   * from memory, the others' from Redis) and agreed on in Redis (the first stored wins), or
   * stored by another process earlier.
   */
  private resolveView(boundary: number): Promise<G | null | NotReady> {
    if (this.viewCache.has(boundary)) return Promise.resolve(this.viewCache.get(boundary)!);
    // The partitions of a process that reach a boundary together merge its view once.
    const inFlight = this.viewsInFlight.get(boundary) as Promise<G | null | NotReady> | undefined;
    if (inFlight) return inFlight;
    const resolving = this.mergeView(boundary).finally(() => this.viewsInFlight.delete(boundary));
    this.viewsInFlight.set(boundary, resolving);
    return resolving;
  }

  private async mergeView(boundary: number): Promise<G | null | NotReady> {
    const population = this.options.worker.population!;
    const store = this.options.population!;
    const partitions = Array.from({ length: this.options.partitionCount }, (_, p) => p);
    const posted = this.snapshotBoard.get(boundary) ?? new Map<number, Readonly<Record<string, number>>>();
    const local = this.options.localPartitions;
    // This process's partitions: not there yet (missing, without asking Redis), started after
    // the boundary (an empty snapshot, maybe not applied yet), or in Redis.
    const ours = (p: number) => (local?.has(p) === true ? this.localProgress.get(p) : undefined);
    const behind = partitions.filter(
      (p) =>
        !posted.has(p) && local?.has(p) === true && (ours(p)?.through ?? Number.NEGATIVE_INFINITY) < boundary,
    );
    const startedAfter = partitions.filter((p) => {
      const started = ours(p)?.startedAt;
      return (
        !posted.has(p) &&
        !behind.includes(p) &&
        started !== null &&
        started !== undefined &&
        started >= boundary
      );
    });
    const progress = await store.readSnapshots(
      boundary,
      partitions.filter((p) => !posted.has(p) && !behind.includes(p) && !startedAfter.includes(p)),
      population.periodMs,
    );
    const missing = [
      ...behind,
      ...progress
        .filter((p) => !(p.snapshot !== null || (p.startedAt !== null && p.startedAt >= boundary)))
        .map((p) => p.partition),
    ].sort((a, b) => a - b);
    let encoded: string | null;
    if (missing.length > 0) {
      // Other processes' partitions that announced earlier snapshots but not this one have not
      // got there yet, and will wake the wait when they do: a view stored meanwhile is met then.
      // Not so for this process's partitions "behind": a partition not claimed yet counts as
      // behind, and a restarted owner finds the view in force, stored before, only by asking.
      const notAnnouncedYet = new Set(progress.filter((p) => p.notAnnouncedYet).map((p) => p.partition));
      if (missing.every((p) => notAnnouncedYet.has(p))) return { notReady: true, missing };
      // Snapshots are kept for 60 periods; an older view may be stored all the same.
      encoded = await store.getView(boundary);
      if (encoded === null) return { notReady: true, missing };
    } else {
      const stored = new Map(progress.map((p) => [p.partition, p.snapshot]));
      const snapshots = partitions.map((p) => {
        const own = posted.get(p);
        if (own) return own;
        const json = stored.get(p);
        return json === null || json === undefined ? {} : (JSON.parse(json) as Record<string, number>);
      });
      const started = performance.now();
      const inForce = population.mergeKeepsFromViewInForce ? await this.viewBefore(boundary) : null;
      const view = population.mergeYielding
        ? await population.mergeYielding(boundary, snapshots, inForce)
        : population.merge(boundary, snapshots, inForce);
      this.options.events.emit('populationMerged', {
        boundary,
        durationMs: performance.now() - started,
      });
      // Used from now on; stored (first one wins) before a step that used it is applied.
      encoded = JSON.stringify(view);
      this.viewAgreement.propose(boundary, encoded);
    }
    const view = JSON.parse(encoded) as G | null;
    this.viewCache.set(boundary, view);
    this.snapshotBoard.delete(boundary);
    if (this.viewCache.size > 256) this.viewCache.delete(this.viewCache.keys().next().value!);
    return view;
  }

  /** Stores the views a segment used before its writes, and checks they are the ones stored. */
  private settleViews(used: ReadonlyMap<number, string>): Promise<void> {
    const population = this.options.worker.population!;
    // A stored view stands for the snapshots of its boundary the partitions that passed it did
    // not store (snapshotsToStore): it must outlive any stop of the workers with a partition
    // between that boundary and its view's instant. At least 30 days (an hourly view: ~10 kB).
    const ttl = Math.max(90 * population.periodMs, 30 * 86_400_000);
    return this.viewAgreement.settle(used, this.options.population!, ttl, (boundary, stored) => {
      // Another process stored its view first: the next attempt of the step decides under it.
      this.viewCache.set(boundary, JSON.parse(stored) as G | null);
    });
  }

  /**
   * The last view a merge gave before `boundary`: the agreed views of the boundaries before it,
   * newest first, skipping those whose merge gave none, up to the first not stored (none yet, or
   * expired). Not this partition's view in force: a partition that started late never applied
   * the views before its start, and the merge must not depend on which partition runs it.
   */
  private async viewBefore(boundary: number): Promise<G | null> {
    const period = this.options.worker.population!.periodMs;
    for (let b = boundary - period, k = 0; k < 90; b -= period, k += 1) {
      let view = this.viewCache.get(b);
      if (view === undefined && !this.viewCache.has(b)) {
        const encoded = await this.options.population!.getView(b);
        if (encoded === null) return null;
        view = JSON.parse(encoded) as G | null;
      }
      if (view !== null && view !== undefined) return view;
    }
    return null;
  }

  /** The context of deciding an input record at stream time `streamTime`. */
  private recordContext(
    streamTime: number,
    item: Extract<PreparedRecord<E>, { kind: 'event' }>,
    segment: Segment<S>,
  ): DecisionContext<G> {
    const { topic, offset } = item.input.source;
    return this.context(streamTime, this.causation.record(topic, this.partition, offset), segment);
  }

  private context(streamTime: number, causationId: string, segment: Segment<S>): DecisionContext<G> {
    return this.contextWith(streamTime, causationId, this.view, segment);
  }

  private contextWith(
    streamTime: number,
    causationId: string,
    population: G | null,
    segment: Segment<S>,
  ): DecisionContext<G> {
    return new StepDecisionContext(
      this.options.worker.name,
      streamTime,
      this.partition,
      population,
      causationId,
      segment,
    );
  }

  /** The counters the worker's decisions may read in a step from stream time `from` to `to`. */
  private async readDeclaredCounters(
    from: number | null,
    to: number | null,
  ): Promise<ReadonlyMap<string, number>> {
    const reads = this.options.worker.counterReads;
    if (!reads || to === null) return new Map();
    const fields = reads(from, to);
    return fields.length === 0 ? new Map() : this.options.store.readCounters(fields);
  }

  /**
   * Idempotent intake: REPEATED when the record's customer had its eventId applied at a stream
   * time within the dedupe horizon of `streamTime` (a producer's re-send, to skip), otherwise the
   * event's key to remember once applied; null for inputs without event ids or with dedupe off.
   */
  private repeatCheck(
    segment: Segment<S>,
    item: Extract<PreparedRecord<E>, { kind: 'event' }>,
    streamTime: number,
  ): string | typeof REPEATED | null {
    const dedupe = this.options.limits.dedupe;
    const eventIdOf = this.options.inputs.get(item.record.topic)!.definition.eventIdOf;
    if (!dedupe || !eventIdOf) return null;
    const key = eventKey(eventIdOf(item.input.event));
    return segment.recentEventsOf(item.input.customerId).has(key, streamTime - dedupe.horizonMs)
      ? REPEATED
      : key;
  }

  /** Decides a record; an applied one with an event key is remembered, in the same atomic step. */
  private decideRemembering(
    segment: Segment<S>,
    item: Extract<PreparedRecord<E>, { kind: 'event' }>,
    ctx: DecisionContext<G>,
    key: string | null,
  ): void {
    const dedupe = this.options.limits.dedupe;
    if (this.decideRecord(segment, item, ctx) && key !== null && dedupe) {
      const floor = ctx.streamTime - dedupe.horizonMs;
      segment.noteApplied(item.input.customerId, key, ctx.streamTime, floor, dedupe.maxEventsPerCustomer);
    }
  }

  /**
   * Decides one record; true when it was applied. A decision that throws or could not be stored
   * (Redis would refuse a non-finite score halfway through the step's script, which does not roll
   * back) is a defect of the worker: the record is dead-lettered as INVALID_DECISION (false) and
   * the partition goes on.
   */
  private decideRecord(
    segment: Segment<S>,
    item: Extract<PreparedRecord<E>, { kind: 'event' }>,
    ctx: DecisionContext<G>,
  ): boolean {
    let decision: CustomerDecision<S>;
    try {
      decision = this.options.worker.decide(segment.stateOf(item.input.customerId), item.input, ctx);
    } catch (error) {
      this.addDeadLetter(
        segment,
        item.record,
        ReasonCode.INVALID_DECISION,
        `decision failed: ${errorText(error)}`,
      );
      return false;
    }
    const invalid = invalidDecision(decision);
    if (invalid) {
      this.addDeadLetter(segment, item.record, ReasonCode.INVALID_DECISION, invalid);
      return false;
    }
    this.mergeDecision(segment, item.input.customerId, decision);
    segment.recordsApplied += 1;
    return true;
  }

  private mergeDecision(segment: Segment<S>, customerId: string, decision: CustomerDecision<S>): void {
    const invalid = invalidDecision(decision);
    if (invalid)
      throw new ValuestreamError('INVALID_DECISION', `partition ${this.partition}: ${invalid}`, {
        retriable: true,
      });
    segment.merge(
      customerId,
      decision,
      decision.outputs.map((output) => this.options.encodeOutput(output)),
    );
  }

  private addDeadLetter(segment: Segment<S>, record: RawRecord, reasonCode: string, message: string): void {
    const input = this.options.inputs.get(record.topic)!;
    segment.addDeadLetter(
      deadLetterEntry({
        record,
        deadLetterTopic: input.deadLetterTopic,
        reasonCode,
        message,
        worker: this.options.worker.name,
        consumerGroup: this.options.consumerGroup,
        failedAt: this.options.wallClock(),
      }),
    );
  }

  /**
   * The step's snapshots in their stored form, but those whose view the step passed: that view is
   * in Redis before the step's writes (settleViews), and a view once stored is what every
   * partition applies at its boundary, so no merge needs their snapshots again. An hourly
   * replay's step passes a hundred boundaries or more, and writing each snapshot took a third of
   * the replay's time. The last one is always stored: it announces how far the partition got (a
   * process waiting for a view asks Redis for it only once a later snapshot was announced).
   */
  private snapshotsToStore(
    segment: Segment<S>,
    metaSets: ReadonlyMap<string, string>,
  ): Array<{ boundary: number; counters: string }> {
    const taken = segment.snapshotsTaken;
    if (taken.length === 0) return [];
    const passedThrough = Number(metaSets.get('appliedBoundary') ?? Number.NEGATIVE_INFINITY);
    segment.snapshotEncoder ??= this.snapshotEncoder.copy();
    const encoder = segment.snapshotEncoder;
    const stored: Array<{ boundary: number; counters: string }> = [];
    // The fields that moved since the snapshot encoded last (null: not known, all are compared).
    let touched: Set<string> | null = new Set();
    taken.forEach((snapshot, i) => {
      if (snapshot.touched === null) touched = null;
      else if (touched !== null) for (const field of snapshot.touched) touched.add(field);
      if (snapshot.boundary <= passedThrough && i < taken.length - 1) return;
      stored.push({
        boundary: snapshot.boundary,
        counters: encoder.encode(snapshot.boundary, snapshot.counters, touched, snapshot.fields),
      });
      touched = new Set();
    });
    return stored;
  }

  private async applySegment(
    segment: Segment<S>,
    offset: { topic: string; offset: bigint } | null,
    metaSets: ReadonlyMap<string, string>,
    guard: StepGuard,
  ): Promise<void> {
    const meta = this.requireMeta();
    const started = performance.now();
    const dedupe = this.options.limits.dedupe;
    const streamTimeSet = metaSets.get('streamTime');
    const floor = dedupe && streamTimeSet !== undefined ? Number(streamTimeSet) - dedupe.horizonMs : null;
    if (floor !== null) segment.pruneRecentEventsOfDeleted(floor);
    const taken = this.snapshotsToStore(segment, metaSets);
    const producedBefore = this.producedUnacked;
    const write = segment.toWrite({
      epoch: this.requireEpoch(),
      expectedVersion: meta.version,
      offset,
      metaSets,
      producedBefore,
      ...(floor !== null
        ? { recentEventsSweep: { floor, fields: sweepFieldsFor(segment.recordsApplied) } }
        : {}),
      ...(taken.length > 0
        ? {
            snapshots: {
              taken,
              dropBefore: taken[taken.length - 1]!.boundary - 60 * this.options.worker.population!.periodMs,
            },
          }
        : {}),
    });
    if (segment.viewsToSettle.size > 0) await this.settleViews(segment.viewsToSettle);
    const population = this.options.worker.population;
    const countersBefore = segment.snapshotBase ?? this.populationCountersAt(meta.version);
    // Dropped until the apply is known to have happened (an unknown outcome leaves none).
    this.appliedPopulationCounters = null;
    publishStep('before-apply', this.partition);
    const { version, pendingTimers } = await this.options.store.apply(write);
    this.producedUnacked -= producedBefore;
    publishStep('after-apply', this.partition);
    for (const [customerId, text] of write.statePuts) {
      const state = segment.statePut(customerId);
      if (state !== undefined) this.decodedStates.remember(customerId, text, state);
    }
    for (const customerId of write.stateDeletes) this.decodedStates.forget(customerId);
    if (population && countersBefore !== null) {
      segment.applyCountersTo(population.snapshotCounterPrefix, countersBefore);
      this.appliedPopulationCounters = { version, counters: countersBefore };
    }
    if (segment.snapshotEncoder !== null) this.snapshotEncoder = segment.snapshotEncoder;
    this.reportOutbox(this.outboxEntries + write.outbox.length);
    this.reportTimers(pendingTimers);
    const offsets = new Map(meta.offsets);
    if (offset) offsets.set(offset.topic, offset.offset);
    const streamTime = metaSets.get('streamTime');
    const startedAt = metaSets.get('startedAt');
    this.meta = {
      ...meta,
      version,
      offsets,
      streamTime: streamTime === undefined ? meta.streamTime : Number(streamTime),
      startedAt: startedAt === undefined ? meta.startedAt : Number(startedAt),
    };
    // Settled without being applied: re-sends, and records of erased customers.
    let skipped = 0;
    for (const count of segment.duplicatesByTopic.values()) skipped += count;
    for (const count of segment.erasedSkipsByTopic.values()) skipped += count;
    this.options.events.emit('segmentApplied', {
      partition: this.partition,
      records: segment.recordsApplied + segment.deadLettered + skipped,
      applied: segment.recordsApplied,
      deadLettered: segment.deadLettered,
      duplicatesByTopic: Object.fromEntries(segment.duplicatesByTopic),
      erasures: segment.erasures,
      erasedSkipsByTopic: Object.fromEntries(segment.erasedSkipsByTopic),
      timersFired: segment.timersFired,
      outputs: segment.outbox.length,
      durationMs: performance.now() - started,
      streamTime: this.meta.streamTime,
    });
    if (segment.observations.length > 0)
      this.options.events.emit('observations', { observations: segment.observations });
    await guard.heartbeat();
  }

  /** The population counters kept from the last apply, when Redis is still at `version`. */
  private populationCountersAt(version: number): Map<string, number> | null {
    const applied = this.appliedPopulationCounters;
    return applied !== null && applied.version === version ? applied.counters : null;
  }

  private checkRead(read: PartitionMeta): void {
    const mine = this.requireEpoch();
    if (read.epoch === null || read.epoch < mine)
      throw new PartitionStateLostError(this.partition, `Redis holds epoch ${read.epoch}, ours is ${mine}`);
    if (read.epoch > mine) throw new PartitionFencedError(this.partition, `epoch moved to ${read.epoch}`);
    if (read.version !== this.requireMeta().version) throw new StateVersionConflictError(this.partition);
  }

  private requireMeta(): PartitionMeta {
    if (!this.meta) throw new PartitionReleasedError(this.partition);
    return this.meta;
  }

  private requireEpoch(): number {
    if (this.epoch === null) throw new PartitionReleasedError(this.partition);
    return this.epoch;
  }
}
