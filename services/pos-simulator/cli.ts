// The simulator's command line: parsing, mapping to simulator options, the merge of the
// point-of-sale stream with consumption-driven traffic, and the dry-run summary.
// Pure apart from running the simulation; main.ts does the I/O.

import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { codecFor } from '../../shared/avro/index.js';
import type { CustomerProfile } from '../../shared/contracts/generated.js';
import { topicCatalogue } from '../../shared/topics.js';
import type { ConsumptionTraffic, ConsumptionTrafficOptions, SimulatedProfileRecord } from './consumption.js';
import { SIMULATOR_FRAMINGS, type SimulatorFraming } from './framing.js';
import {
  DAY_MS,
  type PurchaseSimulation,
  type PurchaseStreamOptions,
  type SimulatedRecord,
} from './generate.js';

export const HELP = `usage: npm run simulator -- [options]

  --customers <n>          customer slots (default 5000)
  --rate <n>               live records per wall-clock second (default 50)
  --events <n>             stop after n records (default: run until stopped)
  --history-days <d>       backfill d days of history first (default 0)
  --history-rate <n>       purchases per customer and year in the history (default 24)
  --speed-up <x>           simulated seconds per wall-clock second when live (default 1)
  --seed <n>               PRNG seed (default: from the clock, logged)
  --topic <name>           topic (default: $TOPIC_PREFIX + ${topicCatalogue.purchases.name})
  --topic-prefix <p>       prefix of the default topic (default: $TOPIC_PREFIX or none)
  --currency <code>        ISO 4217 currency (default EUR)
  --malformed-share <s>    share of malformed records (default 0.005)
  --return-share <s>       share of returns (default 0.03)
  --cross-sell             baskets that go together and customers who step up (default off):
                           companion articles join baskets holding their antecedent (beer ->
                           frozen pizza 40 %, baked beans 30 %; pasta -> beef mince...), and
                           customers climb services/mobile-prepaid -> services/mobile-contract
                           -> services/family-plan (40 % take the next rung 30-90 days later)
  --max-lateness-ms <ms>   delay a few records by up to this much (default 0)
  --resend-share <s>       send this share of the on-time purchases again a few records later,
                           same bytes (a producer retrying without idempotence; default 0)
  --batch-size <n>         records per sendBatch (default 500)
  --linger-ms <ms>         live mode: send when the next record is further away (default 50)
  --brokers <list>         Kafka bootstrap servers (default: $KAFKA_BROKERS or 127.0.0.1:19092)
  --consumption-customers <n>
                           also produce profiles and consumption-driven purchases of n more
                           customers (ids sow-000001...) for share of wallet (default 0: off)
  --consumption-days <d>   days of consumption history before the live phase (default 240)
  --consumption-live-days <d>
                           days of consumption traffic after the live phase starts (default 30)
  --consumption-business-share <s>
                           share of business customers among them (default 0.25)
  --consumption-partial-share <s>
                           share of them buying only part of their needs here (default 0.3)
  --pos-profiles           also produce a profile for each point-of-sale customer at its first
                           purchase (two adults; marketing consent for about 70%), so retention
                           offers can reach them
  --profiles-topic <name>  profiles topic (default: $TOPIC_PREFIX + ${topicCatalogue.customerProfiles.name})
  --framing <f>            plain (Avro, no frame; default) or registry: register each topic's
                           schema under <topic>-value in the registry at $SCHEMA_REGISTRY_URL
                           (SCHEMA_REGISTRY_USERNAME, _PASSWORD[_FILE], _CA_FILE as the workers)
                           and frame every value with its id (Confluent wire format)
  --dry-run                generate without Kafka and print a summary (needs --events)
  --help`;

export interface CliOptions {
  readonly customers: number;
  readonly rate: number;
  readonly events: number | undefined;
  readonly historyDays: number;
  readonly historyRate: number;
  readonly speedUp: number;
  readonly seed: number;
  readonly topic: string;
  readonly currency: string;
  readonly malformedShare: number;
  readonly returnShare: number;
  /** Companion articles and the up-sell ladder (generate.ts `crossSell`). */
  readonly crossSell: boolean;
  readonly maxLatenessMs: number;
  /** Share of on-time, well-formed point-of-sale purchases sent a second time (same bytes). */
  readonly resendShare: number;
  readonly batchSize: number;
  readonly lingerMs: number;
  readonly brokers: string[];
  readonly dryRun: boolean;
  /** Customers of consumption-driven traffic (profiles and purchases); 0 turns it off. */
  readonly consumptionCustomers: number;
  readonly consumptionDays: number;
  readonly consumptionLiveDays: number;
  readonly consumptionBusinessShare: number;
  readonly consumptionPartialShare: number;
  readonly profilesTopic: string;
  readonly posProfiles: boolean;
  /** How values are written: plain Avro, or framed with the registry's schema id. */
  readonly framing: SimulatorFraming;
}

export function parseCli(argv: string[], env: NodeJS.ProcessEnv): CliOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      customers: { type: 'string', default: '5000' },
      rate: { type: 'string', default: '50' },
      events: { type: 'string' },
      'history-days': { type: 'string', default: '0' },
      'history-rate': { type: 'string', default: '24' },
      'speed-up': { type: 'string', default: '1' },
      seed: { type: 'string' },
      topic: { type: 'string' },
      'topic-prefix': { type: 'string' },
      currency: { type: 'string', default: 'EUR' },
      'malformed-share': { type: 'string', default: '0.005' },
      'return-share': { type: 'string', default: '0.03' },
      'cross-sell': { type: 'boolean', default: false },
      'max-lateness-ms': { type: 'string', default: '0' },
      'resend-share': { type: 'string', default: '0' },
      'batch-size': { type: 'string', default: '500' },
      'linger-ms': { type: 'string', default: '50' },
      brokers: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      'consumption-customers': { type: 'string', default: '0' },
      'consumption-days': { type: 'string', default: '240' },
      'consumption-live-days': { type: 'string', default: '30' },
      'consumption-business-share': { type: 'string', default: '0.25' },
      'consumption-partial-share': { type: 'string', default: '0.3' },
      'profiles-topic': { type: 'string' },
      'pos-profiles': { type: 'boolean', default: false },
      framing: { type: 'string', default: 'plain' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return 'help';
  const num = (name: string, text: string | undefined, check: (n: number) => boolean): number => {
    const n = Number(text);
    if (text === undefined || text.trim() === '' || !Number.isFinite(n) || !check(n)) {
      throw new Error(`--${name}: invalid value ${JSON.stringify(text)}`);
    }
    return n;
  };
  const positive = (n: number) => n > 0;
  const positiveInt = (n: number) => Number.isInteger(n) && n > 0;
  const prefix = values['topic-prefix'] ?? env.TOPIC_PREFIX ?? '';
  const brokers = (values.brokers ?? env.KAFKA_BROKERS ?? '127.0.0.1:19092')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  if (brokers.length === 0) throw new Error('--brokers / KAFKA_BROKERS: no broker given');
  const framing = values.framing as SimulatorFraming;
  if (!SIMULATOR_FRAMINGS.includes(framing))
    throw new Error(
      `--framing: invalid value ${JSON.stringify(values.framing)} (${SIMULATOR_FRAMINGS.join(' or ')})`,
    );
  const options: CliOptions = {
    customers: num('customers', values.customers, positiveInt),
    rate: num('rate', values.rate, positive),
    events: values.events === undefined ? undefined : num('events', values.events, positiveInt),
    historyDays: num('history-days', values['history-days'], (n) => n >= 0),
    historyRate: num('history-rate', values['history-rate'], positive),
    speedUp: num('speed-up', values['speed-up'], positive),
    seed:
      values.seed === undefined
        ? Date.now() % 2 ** 32
        : num('seed', values.seed, (n) => Number.isInteger(n) && n >= 0 && n < 2 ** 32),
    topic: values.topic ?? `${prefix}${topicCatalogue.purchases.name}`,
    currency: values.currency,
    malformedShare: num('malformed-share', values['malformed-share'], (n) => n >= 0 && n < 1),
    returnShare: num('return-share', values['return-share'], (n) => n >= 0 && n < 0.5),
    crossSell: values['cross-sell'] === true,
    maxLatenessMs: num('max-lateness-ms', values['max-lateness-ms'], (n) => n >= 0),
    resendShare: num('resend-share', values['resend-share'], (n) => n >= 0 && n <= 0.5),
    batchSize: num('batch-size', values['batch-size'], positiveInt),
    lingerMs: num('linger-ms', values['linger-ms'], (n) => n >= 0),
    brokers,
    dryRun: values['dry-run'],
    consumptionCustomers: num(
      'consumption-customers',
      values['consumption-customers'],
      (n) => Number.isInteger(n) && n >= 0 && n < 1_000_000,
    ),
    consumptionDays: num('consumption-days', values['consumption-days'], (n) => n >= 0),
    consumptionLiveDays: num('consumption-live-days', values['consumption-live-days'], (n) => n >= 0),
    consumptionBusinessShare: num(
      'consumption-business-share',
      values['consumption-business-share'],
      (n) => n >= 0 && n <= 1,
    ),
    consumptionPartialShare: num(
      'consumption-partial-share',
      values['consumption-partial-share'],
      (n) => n >= 0 && n <= 1,
    ),
    profilesTopic: values['profiles-topic'] ?? `${prefix}${topicCatalogue.customerProfiles.name}`,
    posProfiles: values['pos-profiles'] === true,
    framing,
  };
  if (options.consumptionCustomers > 0 && options.consumptionDays + options.consumptionLiveDays <= 0) {
    throw new Error('--consumption-days / --consumption-live-days: the consumption span is empty');
  }
  if (options.dryRun && options.events === undefined) throw new Error('--dry-run needs --events');
  return options;
}

/** Simulator options for a run whose live phase starts at `liveFrom` (epoch ms). */
export function simulationOptions(cli: CliOptions, liveFrom: number): PurchaseStreamOptions {
  const historyMs = cli.historyDays * DAY_MS;
  return {
    seed: cli.seed,
    customers: cli.customers,
    ...(cli.events === undefined ? {} : { events: cli.events }),
    until: Number.POSITIVE_INFINITY,
    startTime: liveFrom - historyMs,
    spanMs: historyMs,
    purchasesPerCustomerPerYear: cli.historyRate,
    paced: { from: liveFrom, eventsPerSecond: cli.rate / cli.speedUp },
    replaceLapsed: true,
    currency: cli.currency,
    malformedShare: cli.malformedShare,
    returnShare: cli.returnShare,
    maxLatenessMs: cli.maxLatenessMs,
    ...(cli.crossSell ? { crossSell: true } : {}),
  };
}

/**
 * Options of the consumption-driven traffic of a run whose live phase starts at `liveFrom`:
 * `consumptionDays` of history before it and `consumptionLiveDays` after; null when off.
 */
export function consumptionOptions(cli: CliOptions, liveFrom: number): ConsumptionTrafficOptions | null {
  if (cli.consumptionCustomers === 0) return null;
  return {
    seed: cli.seed,
    customers: cli.consumptionCustomers,
    startTime: liveFrom - cli.consumptionDays * DAY_MS,
    spanDays: cli.consumptionDays + cli.consumptionLiveDays,
    businessShare: cli.consumptionBusinessShare,
    partialShare: cli.consumptionPartialShare,
    currency: cli.currency,
  };
}

/** Which stream a record to produce comes from. */
export type RecordSource = 'pos' | 'consumption' | 'profile' | 'resent';

/** A record to produce: its topic, key, value and the simulated time it is due. */
export interface OutgoingRecord {
  readonly topic: string;
  readonly key: string;
  readonly value: Buffer;
  readonly emitAt: number;
  readonly source: RecordSource;
  /** The point-of-sale or consumption record (absent for profiles). */
  readonly purchase?: SimulatedRecord;
  readonly profile?: SimulatedProfileRecord;
}

export interface SimulatorTopics {
  readonly purchases: string;
  readonly profiles: string;
}

/**
 * The point-of-sale stream merged with consumption-driven traffic (profiles and purchases) in
 * emission order (ties: profiles, then consumption purchases, then point-of-sale records). It
 * ends when the point-of-sale stream ends (--events, or never); consumption records due later
 * are not produced.
 */
export class SimulatorStream {
  private posNext: SimulatedRecord | undefined;
  private posDone = false;
  private profileIndex = 0;
  private purchaseIndex = 0;
  private readonly counts = { pos: 0, consumption: 0, profile: 0, resent: 0 } as Record<RecordSource, number>;
  /** Copies to send again, each after `due` more point-of-sale records. */
  private readonly resends: Array<{ due: number; record: SimulatedRecord }> = [];

  private readonly profiled = new Set<string>();

  constructor(
    readonly sim: PurchaseSimulation,
    readonly consumption: ConsumptionTraffic | null,
    readonly topics: SimulatorTopics,
    /** Emit a profile before each point-of-sale customer's first record. */
    readonly posProfiles = false,
    /** Share of on-time, well-formed point-of-sale purchases sent again 3 to 22 records later. */
    readonly resendShare = 0,
  ) {}

  private lastEmitAt = Number.NEGATIVE_INFINITY;

  /** The next record, or undefined when the stream has ended. */
  next(): OutgoingRecord | undefined {
    const record = this.nextRecord();
    if (record) this.lastEmitAt = record.emitAt;
    return record;
  }

  private nextRecord(): OutgoingRecord | undefined {
    const resend = this.resends[0];
    if (resend !== undefined && resend.due <= this.counts.pos && !this.posDone) {
      this.resends.shift();
      this.counts.resent++;
      // Sent now, with the bytes of the first send: the same eventId.
      const { key, value } = resend.record;
      return {
        topic: this.topics.purchases,
        key,
        value,
        emitAt: Math.max(this.lastEmitAt, resend.record.emitAt),
        source: 'resent',
        purchase: resend.record,
      };
    }
    if (!this.posDone && this.posNext === undefined) {
      this.posNext = this.sim.next();
      if (this.posNext === undefined) this.posDone = true;
    }
    if (this.posDone) return undefined;
    const pos = this.posNext!;
    const profile = this.consumption?.profiles[this.profileIndex];
    const purchase = this.consumption?.purchases[this.purchaseIndex];
    if (profile && profile.emitAt <= pos.emitAt && (!purchase || profile.emitAt <= purchase.emitAt)) {
      this.profileIndex++;
      this.counts.profile++;
      const { key, value, emitAt } = profile;
      return { topic: this.topics.profiles, key, value, emitAt, source: 'profile', profile };
    }
    if (purchase && purchase.emitAt <= pos.emitAt) {
      this.purchaseIndex++;
      this.counts.consumption++;
      const { key, value, emitAt } = purchase;
      return { topic: this.topics.purchases, key, value, emitAt, source: 'consumption', purchase };
    }
    if (this.posProfiles && pos.event && !this.profiled.has(pos.key)) {
      this.profiled.add(pos.key);
      this.counts.profile++;
      const profile = posCustomerProfile(pos.key, pos.event.occurredAt);
      return {
        topic: this.topics.profiles,
        key: pos.key,
        value: profileCodec.encode(profile),
        emitAt: pos.emitAt,
        source: 'profile',
      };
    }
    this.posNext = undefined;
    this.counts.pos++;
    this.maybeResend(pos);
    return {
      topic: this.topics.purchases,
      key: pos.key,
      value: pos.value,
      emitAt: pos.emitAt,
      source: 'pos',
      purchase: pos,
    };
  }

  /**
   * Queues a copy of an on-time, well-formed purchase (event time = emission time: never late
   * where it stands, so the worker applies the first send and skips the copy). Chosen by a hash of
   * its position, so a seed gives the same copies.
   */
  private maybeResend(pos: SimulatedRecord): void {
    if (this.resendShare <= 0 || pos.malformed !== undefined || pos.event === undefined) return;
    if (pos.emitAt !== pos.event.occurredAt) return;
    const n = this.counts.pos;
    const hash = (Math.imul(n, 2654435761) >>> 0) / 2 ** 32;
    if (hash >= this.resendShare) return;
    this.resends.push({ due: n + 3 + (n % 20), record: pos });
    this.resends.sort((a, b) => a.due - b.due);
  }

  /** Records returned so far, by source. */
  produced(): Readonly<Record<RecordSource, number>> {
    return { ...this.counts };
  }
}

const profileCodec = codecFor('CustomerProfile');

/**
 * The profile of a point-of-sale customer: two adults, consent for about 70 % by a hash of the
 * id (deterministic, so a replay gives the same consent).
 */
export function posCustomerProfile(customerId: string, firstPurchaseAt: number): CustomerProfile {
  const consent = createHash('sha256').update(customerId).digest().readUInt32BE(0) / 2 ** 32 < 0.7;
  return {
    eventId: `profile-${customerId}`,
    customerId,
    occurredAt: firstPurchaseAt,
    customerType: 'CONSUMER',
    displayName: null,
    householdMembers: [{ ageBand: 'ADULT_19_64' }, { ageBand: 'ADULT_19_64' }],
    business: null,
    marketingConsent: consent,
    signedUpAt: firstPurchaseAt,
    country: 'DE',
  };
}

/** Runs the whole simulation (merged with consumption traffic, if any) without Kafka and summarises it. */
export function runToEnd(source: PurchaseSimulation | SimulatorStream) {
  const sim = source instanceof SimulatorStream ? source.sim : source;
  const stream = source instanceof SimulatorStream ? source : null;
  const nextPos = (): SimulatedRecord | undefined => {
    if (!stream) return sim.next();
    for (let r = stream.next(); r; r = stream.next()) if (r.source === 'pos') return r.purchase;
    return undefined;
  };
  const revenue = new Map<string, number>();
  for (let r = nextPos(); r; r = nextPos()) {
    if (r.malformed || !r.event) continue;
    let amount = 0;
    for (const line of r.event.lines) amount += line.quantity * line.unitPriceMinor;
    revenue.set(r.key, (revenue.get(r.key) ?? 0) + (r.event.kind === 'SALE' ? amount : -amount));
  }
  const values = [...revenue.values()].sort((a, b) => b - a);
  const total = values.reduce((a, b) => a + b, 0);
  const shareOf = (from: number, to: number) =>
    values.slice(from, to).reduce((a, b) => a + b, 0) / (total === 0 ? 1 : total);
  const stats = sim.stats();
  return {
    ...stats,
    buyers: values.length,
    valueShare: {
      top2: shareOf(0, Math.ceil(values.length * 0.02)),
      top20: shareOf(0, Math.ceil(values.length * 0.2)),
      bottom20: shareOf(values.length - Math.floor(values.length * 0.2), values.length),
    },
    lapsedShareOfBuyers:
      stats.customersWithSales === 0 ? 0 : stats.customersLapsed / stats.customersWithSales,
    ...(stream && stream.resendShare > 0 ? { resent: stream.produced().resent } : {}),
    ...(stream?.consumption
      ? {
          consumption: {
            customers: stream.consumption.truth.size,
            profilesProduced: stream.produced().profile,
            purchasesProduced: stream.produced().consumption,
            profilesGenerated: stream.consumption.profiles.length,
            purchasesGenerated: stream.consumption.purchases.length,
          },
        }
      : {}),
  };
}
