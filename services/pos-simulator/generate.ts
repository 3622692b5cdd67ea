// A seeded, deterministic point-of-sale simulator: a stream of Avro-encoded Purchase records
// (sales and returns), keyed by customerId, in event-time order, with a small share of
// malformed records for the dead-letter path. Pure: no clock, no I/O; the same options give the
// same bytes.
//
// The model (see README.md):
// - Customers join (silently) uniformly over the first `acquisitionShare` of the span. Each has
//   a purchase rate λ ~ Gamma(rateShape) (a Poisson process of sales), a dropout probability
//   p ~ Beta(dropoutA, dropoutB) applied after each repeat sale (BG/NBD: a customer who drops
//   out never buys again: a lapser), a lognormal spend multiplier (mean 1) and an archetype
//   (household shopper, general shopper, business) that shapes baskets and channels.
// - Sales of all customers form one Poisson process of rate Σλ (alive customers), each sale
//   going to a customer drawn in proportion to λ: exactly independent per-customer processes.
//   When `paced` is set, from `paced.from` on the aggregate rate is held at a fixed value while
//   the customers keep their relative rates (time runs faster or slower for everyone).
// - Basket value is lognormal around meanBasket x archetype factor x spend multiplier, filled
//   with articles of the catalogue. A share of sales is partly returned some days later.
// - A share of records is malformed: random bytes, truncated Avro, or valid Avro whose meaning
//   is wrong (negative quantity, unknown currency, absurd amount, too many lines, empty sku).
// - Only with `crossSell` (cross-sell-catalogue.ts): companions join baskets that hold their
//   antecedent, and customers climb an up-sell ladder. Every draw it needs is made only when it
//   is on, so the default stream keeps its bytes.

import { AvroDecodeError, codecFor } from '../../shared/avro/index.js';
import { minorUnitsOf } from '../../shared/contracts/currencies.js';
import type { Purchase, PurchaseLine } from '../../shared/contracts/generated.js';
import { ReasonCode } from '../../shared/contracts/reason-codes.js';
import {
  ARCHETYPES,
  ARTICLES_BY_GROUP,
  type Archetype,
  type Article,
  type ArticleGroup,
} from './catalogue.js';
import { COMPANIONS, companionArticle, MOBILE_LADDER } from './cross-sell-catalogue.js';
import { Random, WeightedSlots } from './random.js';

export const DAY_MS = 86_400_000;
export const YEAR_MS = 365.25 * DAY_MS;

export type MalformedKind = 'random-bytes' | 'truncated' | 'invalid-meaning';

export interface SimulatedRecord {
  /** Record key: the customerId. */
  readonly key: string;
  /** Record value: Avro binary of a Purchase (or garbage, for malformed records). */
  readonly value: Buffer;
  /** The encoded event, when the value is valid Avro (also for `invalid-meaning`). */
  readonly event?: Purchase;
  readonly malformed?: MalformedKind;
  /** For malformed records, the dead-letter reason the pipeline should give. */
  readonly expectedReason?: ReasonCode;
  /** Simulated time the record is handed to Kafka, epoch ms (>= occurredAt; > it for late records). */
  readonly emitAt: number;
}

export interface PacedRate {
  /** Simulated time from which the aggregate rate is fixed, epoch ms. */
  readonly from: number;
  /** Records per simulated second (all kinds) from then on. */
  readonly eventsPerSecond: number;
}

export interface PurchaseStreamOptions {
  /** PRNG seed (default 1). */
  seed?: number;
  /** Number of customers (default 1000); with replaceLapsed, the number of customer slots. */
  customers?: number;
  /** Stop after this many records, malformed ones included. */
  events?: number;
  /** Stop before the first record emitted after this time (epoch ms); Infinity runs forever. */
  until?: number;
  /** Start of simulated time, epoch ms (default 2024-01-01T00:00:00Z). */
  startTime?: number;
  /**
   * Simulated span (default 365 days). Customers join during its first `acquisitionShare`; with
   * `events`, purchase rates are calibrated so that about that many records fall in the span;
   * without `events` or `until`, the stream ends with the span.
   */
  spanMs?: number;
  /** Share of the span over which customers join (default 0.5). */
  acquisitionShare?: number;
  /** Mean purchase rate per customer and year before dropout; overrides the calibration. */
  purchasesPerCustomerPerYear?: number;
  /** Gamma shape of purchase rates across customers (default 1; smaller = more heterogeneous). */
  rateShape?: number;
  /** Beta(a, b) of the dropout probability after each repeat sale (default a 1, b 20). */
  dropoutA?: number;
  dropoutB?: number;
  /** Log-scale sigma of the per-customer spend multiplier (default 1). */
  spendSigma?: number;
  /** Log-scale sigma of the basket value around the customer's mean (default 0.5). */
  basketSigma?: number;
  /** Mean basket value of a household shopper in major units (default 40; others buy more). */
  meanBasketMajor?: number;
  /** Share of malformed records (default 0.005). */
  malformedShare?: number;
  /** Share of returns among valid records (default 0.03). */
  returnShare?: number;
  /** Mean delay of a return after its sale, ms (default 4 days). */
  returnDelayMeanMs?: number;
  /** ISO 4217 currency of all amounts (default EUR). */
  currency?: string;
  /** Largest delay of a late record behind stream time, ms (default 0: strictly in order). */
  maxLatenessMs?: number;
  /** Share of records delayed when maxLatenessMs > 0 (default 0.02). */
  lateShare?: number;
  /** Hold the aggregate rate fixed from a point in simulated time (live demos). */
  paced?: PacedRate;
  /** A lapsed customer's slot is taken by a new customer (default false). Keeps endless streams alive. */
  replaceLapsed?: boolean;
  /** Number of stores (default 40). */
  stores?: number;
  /** Prefix of customer ids (default "c-": c-000001). */
  customerIdPrefix?: string;
  /** Prefix of event ids (default "pos"). */
  eventIdPrefix?: string;
  /**
   * Baskets that go together and customers who step up (default false; off, the stream is byte
   * for byte what it was without the option): companions of `cross-sell-catalogue.ts` join
   * baskets that hold their antecedent, and customers climb the mobile ladder.
   */
  crossSell?: boolean;
}

export type ResolvedOptions = Required<
  Omit<PurchaseStreamOptions, 'events' | 'paced' | 'purchasesPerCustomerPerYear'>
> & {
  events: number;
  paced: PacedRate | null;
  purchasesPerCustomerPerYear: number | null;
};

export function resolveOptions(options: PurchaseStreamOptions = {}): ResolvedOptions {
  const startTime = options.startTime ?? Date.UTC(2024, 0, 1);
  const spanMs = options.spanMs ?? 365 * DAY_MS;
  const events = options.events ?? Number.POSITIVE_INFINITY;
  const resolved: ResolvedOptions = {
    seed: options.seed ?? 1,
    customers: options.customers ?? 1000,
    events,
    until: options.until ?? (options.events === undefined ? startTime + spanMs : Number.POSITIVE_INFINITY),
    startTime,
    spanMs,
    acquisitionShare: options.acquisitionShare ?? 0.5,
    purchasesPerCustomerPerYear: options.purchasesPerCustomerPerYear ?? null,
    rateShape: options.rateShape ?? 1,
    dropoutA: options.dropoutA ?? 1,
    dropoutB: options.dropoutB ?? 20,
    spendSigma: options.spendSigma ?? 1,
    basketSigma: options.basketSigma ?? 0.5,
    meanBasketMajor: options.meanBasketMajor ?? 40,
    malformedShare: options.malformedShare ?? 0.005,
    returnShare: options.returnShare ?? 0.03,
    returnDelayMeanMs: options.returnDelayMeanMs ?? 4 * DAY_MS,
    currency: options.currency ?? 'EUR',
    maxLatenessMs: options.maxLatenessMs ?? 0,
    lateShare: options.lateShare ?? 0.02,
    paced: options.paced ?? null,
    replaceLapsed: options.replaceLapsed ?? false,
    stores: options.stores ?? 40,
    customerIdPrefix: options.customerIdPrefix ?? 'c-',
    eventIdPrefix: options.eventIdPrefix ?? 'pos',
    crossSell: options.crossSell ?? false,
  };
  const problems: string[] = [];
  const positiveInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) problems.push(`${name} must be a positive integer`);
  };
  const share = (name: string, v: number, max = 1) => {
    if (!(v >= 0 && v < max)) problems.push(`${name} must be in [0, ${max})`);
  };
  positiveInt('customers', resolved.customers);
  positiveInt('stores', resolved.stores);
  if (!(events === Number.POSITIVE_INFINITY || (Number.isInteger(events) && events >= 0))) {
    problems.push('events must be a non-negative integer');
  }
  if (!Number.isFinite(startTime)) problems.push('startTime must be finite');
  if (!(spanMs >= 0)) problems.push('spanMs must be >= 0');
  if (!(resolved.acquisitionShare >= 0 && resolved.acquisitionShare <= 1)) {
    problems.push('acquisitionShare must be in [0, 1]');
  }
  share('malformedShare', resolved.malformedShare);
  share('returnShare', resolved.returnShare, 0.5);
  share('lateShare', resolved.lateShare);
  if (!(resolved.maxLatenessMs >= 0)) problems.push('maxLatenessMs must be >= 0');
  for (const [name, v] of [
    ['rateShape', resolved.rateShape],
    ['dropoutA', resolved.dropoutA],
    ['dropoutB', resolved.dropoutB],
    ['meanBasketMajor', resolved.meanBasketMajor],
    ['returnDelayMeanMs', resolved.returnDelayMeanMs],
  ] as const) {
    if (!(v > 0 && Number.isFinite(v))) problems.push(`${name} must be > 0`);
  }
  if (!(resolved.spendSigma >= 0 && resolved.basketSigma >= 0)) problems.push('sigmas must be >= 0');
  const ppy = resolved.purchasesPerCustomerPerYear;
  if (ppy !== null && !(ppy > 0 && Number.isFinite(ppy)))
    problems.push('purchasesPerCustomerPerYear must be > 0');
  if (resolved.paced && !(resolved.paced.eventsPerSecond > 0 && Number.isFinite(resolved.paced.from))) {
    problems.push('paced needs a finite from and eventsPerSecond > 0');
  }
  if (minorUnitsOf(resolved.currency) === undefined)
    problems.push('currency must be an active ISO 4217 code');
  if (problems.length > 0) throw new RangeError(`invalid simulator options: ${problems.join('; ')}`);
  return resolved;
}

/** Ground truth about one simulated customer (for tests and reports). */
export interface SimulatedCustomer {
  readonly customerId: string;
  readonly archetype: Archetype;
  readonly joinedAt: number;
  /** Natural purchase rate (before any pacing), sales per year. */
  readonly purchasesPerYear: number;
  /** Probability of dropping out after each repeat sale. */
  readonly dropoutProbability: number;
  readonly spendMultiplier: number;
  readonly homeStoreId: string;
  readonly preferredChannel: string;
  readonly sales: number;
  readonly firstSaleAt: number | null;
  readonly lastSaleAt: number | null;
  /** Time of the sale after which the customer dropped out; null while alive. */
  readonly lapsedAt: number | null;
  /** Sales minus returns emitted so far, minor units. */
  readonly netRevenueMinor: number;
}

export interface SimulationStats {
  readonly records: number;
  readonly sales: number;
  readonly returns: number;
  readonly lateRecords: number;
  readonly malformed: Readonly<Record<MalformedKind, number>>;
  readonly customersJoined: number;
  readonly customersWithSales: number;
  readonly customersLapsed: number;
  readonly customersReplaced: number;
  /** Largest occurredAt emitted so far (stream time), or null. */
  readonly streamTime: number | null;
  readonly lastEmitAt: number | null;
}

interface Customer {
  customerId: string;
  slot: number;
  archetype: Archetype;
  joinedAt: number;
  /** Natural rate, sales per ms. */
  rate: number;
  dropoutProbability: number;
  spendMultiplier: number;
  homeStoreId: string;
  preferredChannel: string;
  sales: number;
  firstSaleAt: number | null;
  lastSaleAt: number | null;
  lapsedAt: number | null;
  netRevenueMinor: number;
  /** Cross-sell only: index of the highest rung of the up-sell ladder bought, -1 for none. */
  ladderRung: number;
  /** Cross-sell only: step-up sales scheduled and not yet made. */
  pendingStepUps: number;
  /** Cross-sell only: dropped out while a step-up was pending; lapses after the last one. */
  lapsePending: boolean;
}

type Scheduled =
  | {
      readonly at: number;
      readonly seq: number;
      readonly kind: 'return';
      readonly sale: Purchase;
      readonly customer: Customer;
    }
  | { readonly at: number; readonly seq: number; readonly kind: 'ready'; readonly record: SimulatedRecord }
  | {
      readonly at: number;
      readonly seq: number;
      readonly kind: 'step-up';
      readonly customer: Customer;
      readonly rung: number;
    };

const ARCHETYPE_NAMES = Object.keys(ARCHETYPES) as Archetype[];
const ARCHETYPE_SHARES = ARCHETYPE_NAMES.map((a) => ARCHETYPES[a].share);
const GROUP_NAMES: readonly ArticleGroup[] = ['grocery', 'household', 'general', 'service'];
const MAX_BASKET_LINES = 40;
const MAX_RETURN_DELAY_MS = 30 * DAY_MS;

/** Pull-based simulation: call next() until it returns undefined. */
export class PurchaseSimulation {
  readonly options: ResolvedOptions;
  private readonly rng: Random;
  private readonly codec = codecFor('Purchase');
  private readonly minorFactor: number;
  private readonly slots: WeightedSlots;
  private readonly bySlot: Customer[] = [];
  private readonly all: Customer[] = [];
  private readonly byId = new Map<string, Customer>();
  private readonly joins: Customer[];
  private joinIndex = 0;
  private readonly heap: Scheduled[] = [];
  private seq = 0;
  private eventSeq = 0;
  private customerSeq = 0;
  /** Natural rate scale: a customer's rate is its Gamma draw (mean 1) times this, per ms. */
  private readonly rateScale: number;
  private now: number;
  private nextSaleAt = Number.POSITIVE_INFINITY;
  private pacedActive = false;
  private pending: SimulatedRecord | undefined;
  private finished = false;
  private readonly counts = {
    records: 0,
    sales: 0,
    returns: 0,
    lateRecords: 0,
    malformed: { 'random-bytes': 0, truncated: 0, 'invalid-meaning': 0 } as Record<MalformedKind, number>,
    customersReplaced: 0,
    streamTime: null as number | null,
    lastEmitAt: null as number | null,
  };
  private readonly seedTag: string;

  constructor(options: PurchaseStreamOptions = {}) {
    this.options = resolveOptions(options);
    const o = this.options;
    this.rng = new Random(o.seed);
    this.seedTag = (o.seed >>> 0).toString(16).padStart(8, '0');
    this.minorFactor = 10 ** minorUnitsOf(o.currency)!;
    this.now = o.startTime;
    this.slots = new WeightedSlots(o.customers);

    const acquisitionMs = o.spanMs * o.acquisitionShare;
    for (let slot = 0; slot < o.customers; slot++) {
      const customer = this.newCustomer(slot, o.startTime + this.rng.next() * acquisitionMs, 1);
      this.bySlot.push(customer);
    }
    this.joins = [...this.bySlot].sort((a, b) => a.joinedAt - b.joinedAt || a.slot - b.slot);

    if (o.purchasesPerCustomerPerYear !== null) {
      this.rateScale = o.purchasesPerCustomerPerYear / YEAR_MS;
    } else if (o.events !== Number.POSITIVE_INFINITY) {
      const targetSales = o.events * (1 - o.malformedShare) * (1 - o.returnShare);
      this.rateScale = calibrateRateScale(this.bySlot, o.startTime + o.spanMs, targetSales);
    } else {
      this.rateScale = 12 / YEAR_MS;
    }
    for (const c of this.bySlot) c.rate *= this.rateScale;
  }

  /** The next record, or undefined when the stream has ended. */
  next(): SimulatedRecord | undefined {
    if (this.finished) return undefined;
    if (this.counts.records >= this.options.events) return this.finish();
    if (this.pending) {
      const r = this.pending;
      this.pending = undefined;
      return this.emit(r);
    }
    const real = this.nextValid();
    if (!real) return this.finish();
    if (this.rng.chance(this.options.malformedShare)) {
      this.pending = real;
      return this.emit(this.malformedLike(real));
    }
    return this.emit(real);
  }

  stats(): SimulationStats {
    let joined = 0;
    let withSales = 0;
    let lapsed = 0;
    for (const c of this.all) {
      if (c.joinedAt <= this.now) joined++;
      if (c.sales > 0) withSales++;
      if (c.lapsedAt !== null) lapsed++;
    }
    const { malformed, ...rest } = this.counts;
    return {
      ...rest,
      malformed: { ...malformed },
      customersJoined: joined,
      customersWithSales: withSales,
      customersLapsed: lapsed,
    };
  }

  /** Ground truth about every customer so far (including replaced ones). */
  customers(): SimulatedCustomer[] {
    return this.all.map((c) => ({
      customerId: c.customerId,
      archetype: c.archetype,
      joinedAt: c.joinedAt,
      purchasesPerYear: c.rate * YEAR_MS,
      dropoutProbability: c.dropoutProbability,
      spendMultiplier: c.spendMultiplier,
      homeStoreId: c.homeStoreId,
      preferredChannel: c.preferredChannel,
      sales: c.sales,
      firstSaleAt: c.firstSaleAt,
      lastSaleAt: c.lastSaleAt,
      lapsedAt: c.lapsedAt,
      netRevenueMinor: c.netRevenueMinor,
    }));
  }

  // --- time and the event loop ------------------------------------------------------------------

  private finish(): undefined {
    this.finished = true;
    this.pending = undefined;
    return undefined;
  }

  private emit(record: SimulatedRecord): SimulatedRecord {
    const c = this.counts;
    c.records++;
    c.lastEmitAt = record.emitAt;
    if (record.malformed) {
      c.malformed[record.malformed]++;
      return record;
    }
    const event = record.event!;
    if (c.streamTime === null || event.occurredAt > c.streamTime) c.streamTime = event.occurredAt;
    if (record.emitAt > event.occurredAt) c.lateRecords++;
    const customer = this.byId.get(event.customerId)!;
    if (event.kind === 'SALE') {
      c.sales++;
      customer.netRevenueMinor += amountOf(event);
    } else {
      c.returns++;
      customer.netRevenueMinor -= amountOf(event);
    }
    return record;
  }

  /** The next valid sale or return in emission order. */
  private nextValid(): SimulatedRecord | undefined {
    const o = this.options;
    for (;;) {
      const tJoin = this.joinIndex < this.joins.length ? this.joins[this.joinIndex]!.joinedAt : Infinity;
      const tPace = o.paced && !this.pacedActive ? o.paced.from : Infinity;
      const tHeap = this.heap.length > 0 ? this.heap[0]!.at : Infinity;
      const t = Math.min(tJoin, tPace, tHeap, this.nextSaleAt);
      if (t === Infinity || t > o.until) return undefined;
      this.now = Math.max(this.now, t);

      if (t === tJoin) {
        const c = this.joins[this.joinIndex++]!;
        this.all.push(c);
        this.slots.set(c.slot, c.rate);
        this.drawNextSale();
        continue;
      }
      if (t === tPace) {
        this.pacedActive = true;
        this.drawNextSale();
        continue;
      }
      if (t === tHeap) {
        const entry = heapPop(this.heap)!;
        if (entry.kind === 'ready') return entry.record;
        if (entry.kind === 'step-up') {
          const sale = this.stepUp(entry.customer, entry.rung, t);
          const record = this.maybeLate(entry.customer, sale);
          if (record) return record;
          continue;
        }
        const ret = this.buildReturn(entry.sale, t);
        const record = this.maybeLate(entry.customer, ret);
        if (record) return record;
        continue;
      }
      // A sale.
      const slot = this.slots.find(this.rng.next() * this.slots.total);
      const customer = this.bySlot[slot]!;
      const sale = this.buildSale(customer, t);
      this.afterSale(customer, sale, t);
      this.drawNextSale();
      const record = this.maybeLate(customer, sale);
      if (record) return record;
    }
  }

  private drawNextSale(): void {
    const total = this.slots.total;
    let rate = total;
    if (this.pacedActive && total > 0) {
      const o = this.options;
      rate = (o.paced!.eventsPerSecond / 1000) * (1 - o.malformedShare) * (1 - o.returnShare);
    }
    this.nextSaleAt = rate > 0 ? this.now + this.rng.exponential(rate) : Infinity;
  }

  /** Speed of time for customers relative to their natural rates (1 unless paced). */
  private timeCompression(): number {
    const o = this.options;
    if (!this.pacedActive || this.slots.total === 0) return 1;
    return (
      ((o.paced!.eventsPerSecond / 1000) * (1 - o.malformedShare) * (1 - o.returnShare)) / this.slots.total
    );
  }

  private afterSale(customer: Customer, sale: Purchase, t: number): void {
    const o = this.options;
    customer.sales++;
    customer.firstSaleAt ??= sale.occurredAt;
    customer.lastSaleAt = sale.occurredAt;
    // Some sales are partly returned later: q = share / (1 - share) returns per sale.
    if (this.rng.chance(o.returnShare / (1 - o.returnShare))) {
      const delay = Math.min(this.rng.exponential(1 / o.returnDelayMeanMs), MAX_RETURN_DELAY_MS);
      heapPush(this.heap, {
        at: t + delay / this.timeCompression(),
        seq: this.seq++,
        kind: 'return',
        sale,
        customer,
      });
    }
    if (o.crossSell) this.climbLadder(customer, sale, t);
    // BG/NBD dropout: after each repeat sale the customer leaves with probability p.
    if (customer.sales >= 2 && this.rng.chance(customer.dropoutProbability)) {
      // A customer about to step up stays for it (else the step share would shrink by the
      // lapsers), but makes no other sale: the slot is given up now.
      if (customer.pendingStepUps > 0) customer.lapsePending = true;
      else customer.lapsedAt = sale.occurredAt;
      if (o.replaceLapsed) {
        const successor = this.newCustomer(customer.slot, t, this.rateScale);
        this.bySlot[customer.slot] = successor;
        this.all.push(successor);
        this.slots.set(customer.slot, successor.rate);
        this.counts.customersReplaced++;
      } else {
        this.slots.set(customer.slot, 0);
      }
    }
  }

  /** Returns the record now, or schedules it a little later (a late record) and returns undefined. */
  private maybeLate(customer: Customer, event: Purchase): SimulatedRecord | undefined {
    const o = this.options;
    const record: SimulatedRecord = {
      key: customer.customerId,
      value: this.codec.encode(event),
      event,
      emitAt: event.occurredAt,
    };
    if (o.maxLatenessMs > 0 && this.rng.chance(o.lateShare)) {
      const delay = Math.max(1, Math.floor(this.rng.next() * o.maxLatenessMs));
      const at = event.occurredAt + delay;
      heapPush(this.heap, { at, seq: this.seq++, kind: 'ready', record: { ...record, emitAt: at } });
      return undefined;
    }
    return record;
  }

  // --- customers and baskets --------------------------------------------------------------------

  private newCustomer(slot: number, joinedAt: number, rateScale: number): Customer {
    const o = this.options;
    const archetype = ARCHETYPE_NAMES[this.rng.weightedIndex(ARCHETYPE_SHARES)]!;
    const spec = ARCHETYPES[archetype];
    const channels = Object.keys(spec.channels);
    const id = ++this.customerSeq;
    const customer: Customer = {
      customerId: `${o.customerIdPrefix}${String(id).padStart(6, '0')}`,
      slot,
      archetype,
      joinedAt,
      rate: (this.rng.gamma(o.rateShape) / o.rateShape) * rateScale,
      dropoutProbability: Math.min(this.rng.beta(o.dropoutA, o.dropoutB), 0.999),
      spendMultiplier: this.rng.lognormalWithMean(1, o.spendSigma),
      homeStoreId: `s-${String(this.rng.int(1, o.stores)).padStart(3, '0')}`,
      preferredChannel: channels[this.rng.weightedIndex(channels.map((ch) => spec.channels[ch]!))]!,
      sales: 0,
      firstSaleAt: null,
      lastSaleAt: null,
      lapsedAt: null,
      netRevenueMinor: 0,
      ladderRung: -1,
      pendingStepUps: 0,
      lapsePending: false,
    };
    this.byId.set(customer.customerId, customer);
    return customer;
  }

  private nextEventId(): string {
    return `${this.options.eventIdPrefix}-${this.seedTag}-${++this.eventSeq}`;
  }

  private priceMinor(article: Article): number {
    return Math.max(1, Math.round(article.price * this.minorFactor));
  }

  private buildSale(customer: Customer, t: number): Purchase {
    const o = this.options;
    const spec = ARCHETYPES[customer.archetype];
    const target =
      o.meanBasketMajor *
      this.minorFactor *
      spec.basketFactor *
      customer.spendMultiplier *
      this.rng.lognormalWithMean(1, o.basketSigma);
    const groupWeights = GROUP_NAMES.map((g) => spec.groups[g]);
    const lines = new Map<string, { article: Article; quantity: number; unitPriceMinor: number }>();
    let total = 0;
    for (
      let tries = 0;
      total < target && lines.size < MAX_BASKET_LINES && tries < 4 * MAX_BASKET_LINES;
      tries++
    ) {
      const article = this.rng.pick(ARTICLES_BY_GROUP[GROUP_NAMES[this.rng.weightedIndex(groupWeights)]!]);
      // Keep the basket near its target: skip articles far too expensive for what is left.
      if (this.priceMinor(article) > 1.5 * (target - total) && tries < 3 * MAX_BASKET_LINES) continue;
      const quantity = this.rng.int(1, Math.min(3, article.maxQuantity));
      const existing = lines.get(article.sku);
      if (existing) {
        existing.quantity += quantity;
        total += quantity * existing.unitPriceMinor;
        continue;
      }
      const list = this.priceMinor(article);
      // One line in ten is on promotion: 10-30 % off.
      const unitPriceMinor = this.rng.chance(0.1) ? Math.round(list * (1 - this.rng.int(1, 3) / 10)) : list;
      lines.set(article.sku, { article, quantity, unitPriceMinor });
      total += quantity * unitPriceMinor;
    }
    if (o.crossSell) total += this.addCompanions(lines);
    // Bulk buyers: scale quantities up to the basket's value.
    const factor = total > 0 && total < target ? Math.min(1000, Math.round(target / total)) : 1;
    const saleLines = [...lines.values()].map(({ article, quantity, unitPriceMinor }) =>
      lineOf(article, quantity * factor, unitPriceMinor, this.priceMinor(article)),
    );
    // A first rung is one SIM, whatever the size of the basket.
    if (o.crossSell && customer.ladderRung < 0 && this.rng.chance(MOBILE_LADDER.entryShare)) {
      const rung = MOBILE_LADDER.rungs[0]!;
      saleLines.push(lineOf(rung, 1, this.priceMinor(rung), this.priceMinor(rung)));
    }
    const channel = this.rng.chance(0.8)
      ? customer.preferredChannel
      : this.rng.pick(Object.keys(spec.channels));
    return {
      eventId: this.nextEventId(),
      customerId: customer.customerId,
      occurredAt: Math.floor(t),
      kind: 'SALE',
      currency: o.currency,
      lines: saleLines,
      channel,
      storeId: channel === 'store' ? this.storeFor(customer) : null,
      returnOfEventId: null,
    };
  }

  /**
   * Adds the companions of the articles the basket holds (each with its probability, at list
   * price) and returns the value added. Companions of companions are not added.
   */
  private addCompanions(
    lines: Map<string, { article: Article; quantity: number; unitPriceMinor: number }>,
  ): number {
    let added = 0;
    for (const sku of [...lines.keys()]) {
      for (const companion of COMPANIONS.get(sku) ?? []) {
        if (lines.has(companion.sku) || !this.rng.chance(companion.probability)) continue;
        const article = companionArticle(companion.sku);
        const quantity = this.rng.int(1, Math.min(2, article.maxQuantity));
        const unitPriceMinor = this.priceMinor(article);
        lines.set(article.sku, { article, quantity, unitPriceMinor });
        added += quantity * unitPriceMinor;
      }
    }
    return added;
  }

  /** After a sale: a first purchase of a ladder rung may schedule the step to the next rung. */
  private climbLadder(customer: Customer, sale: Purchase, t: number): void {
    const rungs = MOBILE_LADDER.rungs;
    for (const line of sale.lines) {
      const rung = rungs.findIndex((r) => r.sku === line.sku);
      if (rung <= customer.ladderRung) continue;
      customer.ladderRung = rung;
      if (rung + 1 >= rungs.length || !this.rng.chance(MOBILE_LADDER.stepShare)) continue;
      const { minGapDays, maxGapDays } = MOBILE_LADDER;
      const gap = (minGapDays + this.rng.next() * (maxGapDays - minGapDays)) * DAY_MS;
      customer.pendingStepUps++;
      heapPush(this.heap, {
        at: t + gap / this.timeCompression(),
        seq: this.seq++,
        kind: 'step-up',
        customer,
        rung: rung + 1,
      });
    }
  }

  /**
   * The sale of the next rung, on its own. It neither brings returns nor counts toward dropout;
   * a customer who dropped out while it was pending lapses with the last one.
   */
  private stepUp(customer: Customer, rung: number, t: number): Purchase {
    const article = MOBILE_LADDER.rungs[rung]!;
    const channel = this.rng.chance(0.8)
      ? customer.preferredChannel
      : this.rng.pick(Object.keys(ARCHETYPES[customer.archetype].channels));
    const sale: Purchase = {
      eventId: this.nextEventId(),
      customerId: customer.customerId,
      occurredAt: Math.floor(t),
      kind: 'SALE',
      currency: this.options.currency,
      lines: [lineOf(article, 1, this.priceMinor(article), this.priceMinor(article))],
      channel,
      storeId: channel === 'store' ? this.storeFor(customer) : null,
      returnOfEventId: null,
    };
    customer.pendingStepUps--;
    customer.sales++;
    customer.firstSaleAt ??= sale.occurredAt;
    customer.lastSaleAt = sale.occurredAt;
    this.climbLadder(customer, sale, t);
    if (customer.lapsePending && customer.pendingStepUps === 0) {
      customer.lapsePending = false;
      customer.lapsedAt = sale.occurredAt;
    }
    return sale;
  }

  private storeFor(customer: Customer): string {
    if (this.rng.chance(0.9)) return customer.homeStoreId;
    return `s-${String(this.rng.int(1, this.options.stores)).padStart(3, '0')}`;
  }

  private buildReturn(sale: Purchase, t: number): Purchase {
    const count = sale.lines.length > 1 && this.rng.chance(0.2) ? 2 : 1;
    const chosen = new Set<number>();
    while (chosen.size < count) chosen.add(this.rng.int(0, sale.lines.length - 1));
    const lines = [...chosen]
      .sort((a, b) => a - b)
      .map((i) => {
        const line = sale.lines[i]!;
        return { ...line, quantity: this.rng.int(1, line.quantity) };
      });
    return {
      ...sale,
      eventId: this.nextEventId(),
      occurredAt: Math.floor(t),
      kind: 'RETURN',
      lines,
      returnOfEventId: sale.eventId,
    };
  }

  // --- malformed records ------------------------------------------------------------------------

  /** A malformed record for the same customer and time as `real`. */
  private malformedLike(real: SimulatedRecord): SimulatedRecord {
    const base = real.event!;
    const kind = (['random-bytes', 'truncated', 'invalid-meaning'] as const)[
      this.rng.weightedIndex([0.3, 0.3, 0.4])
    ]!;
    const at = { key: real.key, emitAt: real.emitAt };
    if (kind === 'random-bytes') {
      for (;;) {
        const value = this.rng.bytes(this.rng.int(1, 64));
        if (!this.decodes(value)) {
          return { ...at, value, malformed: kind, expectedReason: ReasonCode.AVRO_DECODE };
        }
      }
    }
    const event: Purchase = { ...base, eventId: this.nextEventId(), occurredAt: base.occurredAt };
    if (kind === 'truncated') {
      const full = this.codec.encode(event);
      for (;;) {
        const value = full.subarray(0, this.rng.int(1, full.length - 1));
        if (!this.decodes(value)) {
          // Cut inside the two ids, it cannot be told from noise (schemas/dead-letter-headers.md).
          const envelope = avroTextBytes(event.eventId) + avroTextBytes(event.customerId);
          return {
            ...at,
            value: Buffer.from(value),
            malformed: kind,
            expectedReason: value.length >= envelope ? ReasonCode.TRUNCATED_AVRO : ReasonCode.AVRO_DECODE,
          };
        }
      }
    }
    const [bad, reason] = this.corrupt(event);
    return { ...at, value: this.codec.encode(bad), event: bad, malformed: kind, expectedReason: reason };
  }

  private corrupt(event: Purchase): [Purchase, ReasonCode] {
    const lines = event.lines.map((l) => ({ ...l }));
    const i = this.rng.int(0, lines.length - 1);
    const line = lines[i]!;
    switch (this.rng.weightedIndex([0.35, 0.25, 0.2, 0.1, 0.1])) {
      case 0: {
        const k = this.rng.int(0, 3);
        line.quantity = k === 0 ? 0 : -k;
        return [{ ...event, lines }, ReasonCode.NEGATIVE_QUANTITY];
      }
      case 1:
        return [
          { ...event, currency: this.rng.pick(['ZZZ', 'EURO', 'eur', 'XEU', '€']) },
          ReasonCode.UNKNOWN_CURRENCY,
        ];
      case 2:
        line.unitPriceMinor = this.rng.chance(0.5) ? -line.unitPriceMinor - 1 : 10 ** 13;
        return [{ ...event, lines }, ReasonCode.ABSURD_AMOUNT];
      case 3: {
        const many = Array.from({ length: this.rng.int(501, 600) }, (_, k) => ({
          ...lines[k % lines.length]!,
        }));
        return [{ ...event, lines: many }, ReasonCode.TOO_MANY_LINES];
      }
      default:
        line.sku = '';
        return [{ ...event, lines }, ReasonCode.INVALID_FIELD];
    }
  }

  private decodes(value: Buffer): boolean {
    try {
      this.codec.decode(value);
      return true;
    } catch (err) {
      if (err instanceof AvroDecodeError) return false;
      throw err;
    }
  }
}

/** Bytes of an Avro string: its zigzag varint length, then its UTF-8 bytes. */
function avroTextBytes(text: string): number {
  const length = Buffer.byteLength(text);
  let varint = 1;
  for (let z = length * 2; z >= 128; z = Math.floor(z / 128)) varint += 1;
  return varint + length;
}

/** The simulated purchase stream as a generator (see PurchaseSimulation for ground truth). */
export function* generatePurchaseStream(options: PurchaseStreamOptions = {}): Generator<SimulatedRecord> {
  const sim = new PurchaseSimulation(options);
  for (let r = sim.next(); r !== undefined; r = sim.next()) yield r;
}

function lineOf(
  article: Article,
  quantity: number,
  unitPriceMinor: number,
  listPriceMinor: number,
): PurchaseLine {
  return {
    sku: article.sku,
    category: article.category,
    quantity,
    unitPriceMinor,
    // Margin per unit; a promotion's discount comes out of the margin.
    marginMinor:
      article.marginRate === null
        ? null
        : Math.round(listPriceMinor * article.marginRate) - (listPriceMinor - unitPriceMinor),
    kcalPerUnit: article.kcalPerUnit,
    usage: article.usage ? { ...article.usage } : null,
  };
}

function amountOf(event: Purchase): number {
  let total = 0;
  for (const line of event.lines) total += line.quantity * line.unitPriceMinor;
  return total;
}

/**
 * Scale c of the purchase rates (per ms, applied to rate draws of mean 1) so that the expected
 * number of sales up to `horizon` equals `targetSales`. A customer with rate λ, dropout p and
 * time τ from joining to the horizon makes its first sale after Exp(λ), then BG/NBD repeats:
 * E[N] = A + (A - (e^(-λpτ) - e^(-λτ)) / (1 - p)) / p, with A = 1 - e^(-λτ).
 */
export function calibrateRateScale(
  customers: ReadonlyArray<{
    readonly rate: number;
    readonly dropoutProbability: number;
    readonly joinedAt: number;
  }>,
  horizon: number,
  targetSales: number,
): number {
  const expected = (c: number): number => {
    let sum = 0;
    for (const cu of customers) {
      const tau = horizon - cu.joinedAt;
      if (tau <= 0) continue;
      const lt = cu.rate * c * tau;
      const p = cu.dropoutProbability;
      const a = -Math.expm1(-lt);
      sum += a + (a - (Math.exp(-lt * p) - Math.exp(-lt)) / (1 - p)) / p;
    }
    return sum;
  };
  if (targetSales <= 0) return 1e-30;
  let lo = 1e-20;
  let hi = 1e-12;
  while (expected(hi) < targetSales && hi < 1) hi *= 4;
  for (let i = 0; i < 100; i++) {
    const mid = Math.sqrt(lo * hi);
    if (expected(mid) < targetSales) lo = mid;
    else hi = mid;
    if (hi / lo < 1 + 1e-9) break;
  }
  return hi;
}

// --- a small binary heap ordered by (at, seq) ----------------------------------------------------

function before(a: Scheduled, b: Scheduled): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

function heapPush(heap: Scheduled[], item: Scheduled): void {
  heap.push(item);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(heap[i]!, heap[parent]!)) break;
    [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
    i = parent;
  }
}

function heapPop(heap: Scheduled[]): Scheduled | undefined {
  const top = heap[0];
  const last = heap.pop();
  if (heap.length > 0 && last) {
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
      if (m === i) break;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  }
  return top;
}
