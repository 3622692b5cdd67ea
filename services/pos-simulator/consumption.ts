// Consumption-driven traffic for the share-of-wallet worker: customer profiles and purchases
// whose quantities follow what each customer really consumes, with the ground truth of how much
// of that need each customer buys here. Seeded and pure: no clock, no I/O; the same options give
// the same bytes.
//
// The model (see README.md, "Consumption-driven traffic"):
// - Households (CONSUMER): 1-6 members by age band. True need per day = Σ kcalPerDay(band) x
//   grocerShare x a household factor ~ U(0.9, 1.1). Shopping trips every ~2-8 days (a mean
//   interval per household, exponential jitter); each basket covers the kcal needed since the
//   previous trip x shareHere, with foods of food-catalogue.ts. Overshoot (whole articles) and
//   returned food carry over to the next trip, so the kcal bought track need x shareHere.
// - Businesses (BUSINESS): an industry and a headcount (peer segment = industry + size band).
//   True need per day per unit (minutes, GB) = headcount x the industry's usage per employee x a
//   factor ~ U(0.9, 1.1); service bundles every 7-30 days cover the usage since the previous
//   purchase x shareHere (pay-as-you-go units for the rest, so nothing is lost to rounding).
//   Businesses with a usable profile get their segment by quota: every segment that occurs has
//   at least minSegmentSize of them, and partialShare of each segment are partial buyers.
// - Full buyers have shareHere ~ U(0.9, 1.1); partial buyers (partialShare) ~ U(0.1, 0.5).
// - Profiles: one per customer when it joins (over the first joinShare of the span); a few
//   customers have none, a few an unusable one (a household without members, a business with
//   headcount 0), and a few households get a second version later (a member added).

import { codecFor } from '../../shared/avro/index.js';
import { minorUnitsOf } from '../../shared/contracts/currencies.js';
import type {
  AgeBand,
  CustomerProfile,
  CustomerType,
  Purchase,
  PurchaseLine,
} from '../../shared/contracts/generated.js';
import { peerSegmentOf, sizeBandOf } from '../share-of-wallet/peer-segment.js';
import { DEFAULT_KCAL_PER_DAY, defaultShareOfWalletSettings } from '../share-of-wallet/settings.js';
import type { Article } from './catalogue.js';
import {
  FOODS,
  NON_FOODS,
  SERVICE_BUNDLES,
  SUPPORT_HOUR,
  type WeightedArticle,
  ZERO_KCAL_FOODS,
} from './food-catalogue.js';
import type { SimulatedRecord } from './generate.js';
import { Random } from './random.js';

export const DAY_MS = 86_400_000;

/** Units of consumption: kcal for households, minutes and GB for businesses. */
export type ConsumptionUnit = 'kcal' | 'minutes' | 'GB';
export const BUSINESS_UNITS = ['minutes', 'GB'] as const;
export type BusinessUnit = (typeof BUSINESS_UNITS)[number];

/** Industries of business customers: how common each is, its size mix and its usage per employee. */
export interface IndustrySpec {
  readonly weight: number;
  /** Weights of the size bands 1-9, 10-49, 50-249, 250-400. */
  readonly bandWeights: readonly [number, number, number, number];
  /** True usage per employee per day. */
  readonly usagePerEmployeePerDay: Readonly<Record<BusinessUnit, number>>;
}

export const INDUSTRIES: Readonly<Record<string, IndustrySpec>> = {
  retail: {
    weight: 0.25,
    bandWeights: [0.45, 0.3, 0.15, 0.1],
    usagePerEmployeePerDay: { minutes: 10, GB: 0.12 },
  },
  logistics: {
    weight: 0.2,
    bandWeights: [0.3, 0.35, 0.25, 0.1],
    usagePerEmployeePerDay: { minutes: 20, GB: 0.15 },
  },
  consulting: {
    weight: 0.2,
    bandWeights: [0.5, 0.3, 0.15, 0.05],
    usagePerEmployeePerDay: { minutes: 25, GB: 0.3 },
  },
  manufacturing: {
    weight: 0.2,
    bandWeights: [0.2, 0.3, 0.3, 0.2],
    usagePerEmployeePerDay: { minutes: 8, GB: 0.1 },
  },
  hospitality: {
    weight: 0.15,
    bandWeights: [0.5, 0.35, 0.12, 0.03],
    usagePerEmployeePerDay: { minutes: 6, GB: 0.08 },
  },
};

/** Headcount ranges of the size bands (the worker's default edges 10, 50, 250; at most 400). */
export const HEADCOUNT_BANDS: readonly (readonly [number, number])[] = [
  [1, 9],
  [10, 49],
  [50, 249],
  [250, 400],
];

export interface ConsumptionTrafficOptions {
  /** PRNG seed (default 1). */
  seed?: number;
  /** Number of customers (default 1000). */
  customers?: number;
  /** Start of simulated time, epoch ms (default 2024-01-01T00:00:00Z). */
  startTime?: number;
  /** Simulated span in days (default 240): nothing happens at or after startTime + span. */
  spanDays?: number;
  /** Share of the span over which customers join (default 0.1). */
  joinShare?: number;
  /** Share of business customers (default 0.25). */
  businessShare?: number;
  /** Share of customers who buy only part of their needs here (default 0.3). */
  partialShare?: number;
  /** Share of customers without any profile (default 0.03). */
  noProfileShare?: number;
  /** Share of customers with an unusable profile (default 0.02). */
  unusableProfileShare?: number;
  /** Share of households whose profile gets a second version (a member added; default 0.01). */
  changedProfileShare?: number;
  /** Share of grocery sales partly returned before the next trip (default 0.02). */
  returnShare?: number;
  /** Share of customers with marketing consent (default 0.7). */
  consentShare?: number;
  /** ISO 4217 currency of all amounts (default EUR). */
  currency?: string;
  /** ISO 3166-1 alpha-2 country of every profile (default DE). */
  country?: string;
  /** Number of stores (default 40). */
  stores?: number;
  /**
   * Fewest businesses with a usable profile in any peer segment (default 10): rarer segments are
   * left out and their share goes to the others, so every segment that occurs has peers.
   */
  minSegmentSize?: number;
  /** kcal per person and day by age band (default the worker's DEFAULT_KCAL_PER_DAY). */
  kcalPerDay?: Readonly<Record<AgeBand, number>>;
  /** Share of the energy need bought from a grocer (default 0.65, the worker's default). */
  grocerShare?: number;
  /** Prefix of customer ids (default "sow-": sow-000001). */
  customerIdPrefix?: string;
  /** Prefix of event ids (default "sow"). */
  eventIdPrefix?: string;
}

export type ResolvedConsumptionOptions = Required<ConsumptionTrafficOptions>;

/** A profile record, keyed by customerId (topic customer-profiles). */
export interface SimulatedProfileRecord {
  readonly key: string;
  /** Avro binary of the CustomerProfile. */
  readonly value: Buffer;
  readonly event: CustomerProfile;
  /** Simulated time the record is handed to Kafka: its occurredAt. */
  readonly emitAt: number;
}

/** A purchase record (topic purchases): always valid Avro, emitted at its event time. */
export type ConsumptionPurchaseRecord = SimulatedRecord & { readonly event: Purchase };

/**
 * ok: one usable profile. none: no profile at all. unusable: a household without members or a
 * business with headcount 0. changed: a household whose second version (one member more) applies
 * from `changedAt`; its need is higher from then on (see `needs`).
 */
export type ProfileStatus = 'ok' | 'none' | 'unusable' | 'changed';

/** A need in force from `from` (epoch ms) until the next version. */
export interface NeedVersion {
  readonly from: number;
  /** Need per day by unit: kcal for a household; minutes and GB for a business. */
  readonly perDay: Readonly<Partial<Record<ConsumptionUnit, number>>>;
}

export interface ConsumptionTruth {
  readonly customerId: string;
  readonly customerType: CustomerType;
  /** When the customer joined: its first profile's occurredAt (also without a profile). */
  readonly joinedAt: number;
  readonly profileStatus: ProfileStatus;
  /** For status changed: when the second profile version (and the higher need) applies. */
  readonly changedAt: number | null;
  readonly buyer: 'full' | 'partial';
  /** Share of its true need the customer buys here. */
  readonly shareHere: number;
  /** The customer's factor on the nominal need (household calories or industry usage), 0.9-1.1. */
  readonly needFactor: number;
  /** True need per day at joining, by unit. */
  readonly needPerDay: Readonly<Partial<Record<ConsumptionUnit, number>>>;
  /** Every need in force, oldest first: one version, two for a changed household. */
  readonly needs: readonly NeedVersion[];
  /** Mean days between purchases. */
  readonly meanIntervalDays: number;
  readonly marketingConsent: boolean;
  /** The real household (also when the profile shows none). */
  readonly household: {
    readonly members: readonly AgeBand[];
    readonly membersAfterChange: readonly AgeBand[] | null;
    /** Σ kcalPerDay x grocerShare of the first members: what the worker expects per day. */
    readonly nominalKcalPerDay: number;
  } | null;
  /** The real business (also when the profile shows headcount 0). */
  readonly business: {
    readonly industry: string;
    readonly headcount: number;
    readonly sizeBand: string;
    /** Peer segment as the worker keys it: industry|band. */
    readonly segment: string;
    readonly usagePerEmployeePerDay: Readonly<Record<BusinessUnit, number>>;
  } | null;
}

export interface ConsumptionTraffic {
  readonly options: ResolvedConsumptionOptions;
  /** Profile versions in event-time order. */
  readonly profiles: SimulatedProfileRecord[];
  /** Sales and returns in event-time order (ties: customer, then the customer's order). */
  readonly purchases: ConsumptionPurchaseRecord[];
  readonly truth: Map<string, ConsumptionTruth>;
}

export function resolveConsumptionOptions(
  options: ConsumptionTrafficOptions = {},
): ResolvedConsumptionOptions {
  const o: ResolvedConsumptionOptions = {
    seed: options.seed ?? 1,
    customers: options.customers ?? 1000,
    startTime: options.startTime ?? Date.UTC(2024, 0, 1),
    spanDays: options.spanDays ?? 240,
    joinShare: options.joinShare ?? 0.1,
    businessShare: options.businessShare ?? 0.25,
    partialShare: options.partialShare ?? 0.3,
    noProfileShare: options.noProfileShare ?? 0.03,
    unusableProfileShare: options.unusableProfileShare ?? 0.02,
    changedProfileShare: options.changedProfileShare ?? 0.01,
    returnShare: options.returnShare ?? 0.02,
    consentShare: options.consentShare ?? 0.7,
    currency: options.currency ?? 'EUR',
    country: options.country ?? 'DE',
    stores: options.stores ?? 40,
    minSegmentSize: options.minSegmentSize ?? 10,
    kcalPerDay: options.kcalPerDay ?? DEFAULT_KCAL_PER_DAY,
    grocerShare: options.grocerShare ?? defaultShareOfWalletSettings.grocerShare,
    customerIdPrefix: options.customerIdPrefix ?? 'sow-',
    eventIdPrefix: options.eventIdPrefix ?? 'sow',
  };
  const problems: string[] = [];
  const positiveInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) problems.push(`${name} must be a positive integer`);
  };
  const share = (name: string, v: number) => {
    if (!(v >= 0 && v <= 1)) problems.push(`${name} must be in [0, 1]`);
  };
  positiveInt('customers', o.customers);
  positiveInt('stores', o.stores);
  positiveInt('minSegmentSize', o.minSegmentSize);
  if (!Number.isSafeInteger(o.seed) || o.seed < 0) problems.push('seed must be a non-negative integer');
  if (!Number.isFinite(o.startTime)) problems.push('startTime must be finite');
  if (!(o.spanDays > 0 && Number.isFinite(o.spanDays))) problems.push('spanDays must be > 0');
  share('joinShare', o.joinShare);
  share('businessShare', o.businessShare);
  share('partialShare', o.partialShare);
  share('noProfileShare', o.noProfileShare);
  share('unusableProfileShare', o.unusableProfileShare);
  share('changedProfileShare', o.changedProfileShare);
  share('returnShare', o.returnShare);
  share('consentShare', o.consentShare);
  if (o.noProfileShare + o.unusableProfileShare + o.changedProfileShare > 1)
    problems.push('the profile shares must add up to at most 1');
  if (!(o.grocerShare > 0 && o.grocerShare <= 1)) problems.push('grocerShare must be in (0, 1]');
  for (const band of HOUSEHOLD_BANDS) {
    if (!(o.kcalPerDay[band] > 0)) problems.push(`kcalPerDay needs ${band} > 0`);
  }
  if (minorUnitsOf(o.currency) === undefined) problems.push('currency must be an active ISO 4217 code');
  if (!/^[A-Z]{2}$/.test(o.country)) problems.push('country must be an ISO 3166-1 alpha-2 code');
  if (problems.length > 0) throw new RangeError(`invalid consumption options: ${problems.join('; ')}`);
  return o;
}

const HOUSEHOLD_BANDS: readonly AgeBand[] = [
  'INFANT_0_3',
  'CHILD_4_8',
  'CHILD_9_13',
  'TEEN_14_18',
  'ADULT_19_64',
  'SENIOR_65_PLUS',
];
const CHILD_BANDS: readonly AgeBand[] = ['INFANT_0_3', 'CHILD_4_8', 'CHILD_9_13', 'TEEN_14_18'];
/** German household sizes 1-6 (Destatis, rounded): many singles and couples. */
const HOUSEHOLD_SIZE_WEIGHTS = [0.41, 0.33, 0.12, 0.1, 0.03, 0.01];
const SIZE_BAND_EDGES = defaultShareOfWalletSettings.sizeBandEdges;
const INDUSTRY_NAMES = Object.keys(INDUSTRIES);

/** Draws articles in proportion to their weights (binary search over cumulative weights). */
class ArticlePicker {
  private readonly cumulative: Float64Array;
  private readonly total: number;

  constructor(private readonly items: readonly WeightedArticle[]) {
    this.cumulative = new Float64Array(items.length);
    let sum = 0;
    items.forEach((item, i) => {
      sum += item.weight;
      this.cumulative[i] = sum;
    });
    this.total = sum;
  }

  pick(rng: Random): Article {
    const x = rng.next() * this.total;
    let lo = 0;
    let hi = this.items.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid]! <= x) lo = mid + 1;
      else hi = mid;
    }
    return this.items[lo]!.article;
  }
}

const FOOD_PICKER = new ArticlePicker(FOODS);
const SMALL_FOOD_PICKER = new ArticlePicker(FOODS.filter((f) => f.article.kcalPerUnit! <= 1000));
const ZERO_KCAL_PICKER = new ArticlePicker(ZERO_KCAL_FOODS);
const NON_FOOD_PICKER = new ArticlePicker(NON_FOODS);

/** kcal of the members per day, before the grocer share. */
function kcalOf(members: readonly AgeBand[], kcalPerDay: Readonly<Record<AgeBand, number>>): number {
  let sum = 0;
  for (const band of members) sum += kcalPerDay[band];
  return sum;
}

/** The true need of a customer in [from, to) (epoch ms), in `unit`, counted from its joining. */
export function needBetween(
  truth: ConsumptionTruth,
  unit: ConsumptionUnit,
  from: number,
  to: number,
): number {
  let total = 0;
  const start = Math.max(from, truth.joinedAt);
  for (let i = 0; i < truth.needs.length; i++) {
    const version = truth.needs[i]!;
    const next = i + 1 < truth.needs.length ? truth.needs[i + 1]!.from : Number.POSITIVE_INFINITY;
    const a = Math.max(start, version.from);
    const b = Math.min(to, next);
    if (b > a) total += ((version.perDay[unit] ?? 0) * (b - a)) / DAY_MS;
  }
  return total;
}

/** Sum of kcal (households) or usage amount (businesses) of a purchase, negative for a return. */
export function consumptionOf(event: Purchase, unit: ConsumptionUnit): number {
  let total = 0;
  for (const line of event.lines) {
    if (unit === 'kcal') total += (line.kcalPerUnit ?? 0) * line.quantity;
    else if (line.usage?.unit === unit) total += line.usage.amountPerUnit * line.quantity;
  }
  return event.kind === 'RETURN' ? -total : total;
}

interface Draft {
  index: number;
  customerId: string;
  rng: Random;
  type: CustomerType;
  joinedAt: number;
  status: ProfileStatus;
  buyer: 'full' | 'partial';
  /** U(0, 1) draw behind shareHere, kept so that the buyer kind can be reassigned. */
  shareDraw: number;
  shareHere: number;
  needFactor: number;
  consent: boolean;
  industry: string | null;
  band: number;
}

/** Generates the whole traffic: profiles, purchases (both in event-time order) and ground truth. */
export function generateConsumptionTraffic(options: ConsumptionTrafficOptions = {}): ConsumptionTraffic {
  const o = resolveConsumptionOptions(options);
  const end = o.startTime + o.spanDays * DAY_MS;
  const seedTag = (o.seed >>> 0).toString(16).padStart(8, '0');
  const minorFactor = 10 ** minorUnitsOf(o.currency)!;
  const purchaseCodec = codecFor('Purchase');
  const profileCodec = codecFor('CustomerProfile');

  // 1. Who every customer is, each from its own PRNG stream.
  const drafts: Draft[] = [];
  for (let index = 0; index < o.customers; index++) {
    const rng = new Random(mixSeed(o.seed, index));
    const type: CustomerType = rng.chance(o.businessShare) ? 'BUSINESS' : 'CONSUMER';
    const joinedAt = Math.floor(o.startTime + rng.next() * o.joinShare * o.spanDays * DAY_MS);
    const u = rng.next();
    let status: ProfileStatus = 'ok';
    if (u < o.noProfileShare) status = 'none';
    else if (u < o.noProfileShare + o.unusableProfileShare) status = 'unusable';
    else if (type === 'CONSUMER' && u < o.noProfileShare + o.unusableProfileShare + o.changedProfileShare)
      status = 'changed';
    const buyer = rng.chance(o.partialShare) ? 'partial' : 'full';
    const shareDraw = rng.next();
    drafts.push({
      index,
      customerId: `${o.customerIdPrefix}${String(index + 1).padStart(6, '0')}`,
      rng,
      type,
      joinedAt,
      status,
      buyer,
      shareDraw,
      shareHere: shareHereOf(buyer, shareDraw),
      needFactor: uniform(rng, 0.9, 1.1),
      consent: rng.chance(o.consentShare),
      industry: null,
      band: -1,
    });
  }

  // 2. Peer segments: businesses with a usable profile get segments by quota (shuffled), so that
  // every segment that occurs has at least minSegmentSize of them; the others draw freely.
  const segments = INDUSTRY_NAMES.flatMap((industry) =>
    INDUSTRIES[industry]!.bandWeights.map((w, band) => ({
      industry,
      band,
      weight: INDUSTRIES[industry]!.weight * w,
    })),
  );
  const usable = drafts.filter((d) => d.type === 'BUSINESS' && d.status === 'ok');
  const quotas = segmentQuotas(
    segments.map((s) => s.weight),
    usable.length,
    o.minSegmentSize,
  );
  const assigned: number[] = [];
  quotas.forEach((q, s) => {
    for (let k = 0; k < q; k++) assigned.push(s);
  });
  const segmentRng = new Random(mixSeed(o.seed ^ 0x5e9_3e47, 0x7fff_ffff));
  shuffle(segmentRng, assigned);
  const members = segments.map((): Draft[] => []);
  usable.forEach((d, k) => {
    const segment = segments[assigned[k]!]!;
    d.industry = segment.industry;
    d.band = segment.band;
    members[assigned[k]!]!.push(d);
  });
  // Partial buyers by quota in every segment too, so that the peers' median is a full buyer's.
  for (const group of members) {
    const partial = Math.round(o.partialShare * group.length);
    shuffle(segmentRng, group);
    group.forEach((d, k) => {
      d.buyer = k < partial ? 'partial' : 'full';
      d.shareHere = shareHereOf(d.buyer, d.shareDraw);
    });
  }
  const segmentWeights = segments.map((s) => s.weight);
  for (const d of drafts) {
    if (d.type !== 'BUSINESS' || d.industry !== null) continue;
    const segment = segments[d.rng.weightedIndex(segmentWeights)]!;
    d.industry = segment.industry;
    d.band = segment.band;
  }

  // 3. Every customer's profiles and purchases.
  const profiles: SimulatedProfileRecord[] = [];
  const purchases: ConsumptionPurchaseRecord[] = [];
  const truth = new Map<string, ConsumptionTruth>();
  for (const d of drafts) {
    let seq = 0;
    const eventId = () => `${o.eventIdPrefix}-${seedTag}-${d.index + 1}-${++seq}`;
    const push = (event: Purchase) =>
      purchases.push({
        key: d.customerId,
        value: purchaseCodec.encode(event),
        event,
        emitAt: event.occurredAt,
      });
    const profile = (
      version: number,
      at: number,
      fields: Pick<CustomerProfile, 'householdMembers' | 'business'>,
    ) => {
      const event: CustomerProfile = {
        eventId: `${o.eventIdPrefix}-${seedTag}-${d.index + 1}-profile-${version}`,
        customerId: d.customerId,
        occurredAt: at,
        customerType: d.type,
        displayName: null,
        householdMembers: fields.householdMembers,
        business: fields.business,
        marketingConsent: d.consent,
        signedUpAt: d.joinedAt,
        country: o.country,
      };
      profiles.push({ key: d.customerId, value: profileCodec.encode(event), event, emitAt: at });
    };
    const ctx: GenerationContext = { o, end, minorFactor, eventId, push };

    if (d.type === 'CONSUMER') {
      const members = householdOf(d.rng);
      const nominal = kcalOf(members, o.kcalPerDay) * o.grocerShare;
      const needs: NeedVersion[] = [{ from: d.joinedAt, perDay: { kcal: nominal * d.needFactor } }];
      let membersAfterChange: AgeBand[] | null = null;
      let changedAt: number | null = null;
      if (d.status === 'changed') {
        const room = end - d.joinedAt;
        changedAt = Math.floor(d.joinedAt + uniform(d.rng, 0.3, 0.7) * room);
        membersAfterChange = [...members, d.rng.chance(0.5) ? 'INFANT_0_3' : 'ADULT_19_64'];
        const after = kcalOf(membersAfterChange, o.kcalPerDay) * o.grocerShare * d.needFactor;
        needs.push({ from: changedAt, perDay: { kcal: after } });
      }
      if (d.status !== 'none') {
        profile(1, d.joinedAt, {
          householdMembers: d.status === 'unusable' ? [] : members.map((ageBand) => ({ ageBand })),
          business: null,
        });
      }
      if (changedAt !== null && membersAfterChange !== null) {
        profile(2, changedAt, {
          householdMembers: membersAfterChange.map((ageBand) => ({ ageBand })),
          business: null,
        });
      }
      const meanIntervalDays = uniform(d.rng, 2, 8);
      const t: ConsumptionTruth = {
        customerId: d.customerId,
        customerType: d.type,
        joinedAt: d.joinedAt,
        profileStatus: d.status,
        changedAt,
        buyer: d.buyer,
        shareHere: d.shareHere,
        needFactor: d.needFactor,
        needPerDay: needs[0]!.perDay,
        needs,
        meanIntervalDays,
        marketingConsent: d.consent,
        household: { members, membersAfterChange, nominalKcalPerDay: nominal },
        business: null,
      };
      truth.set(d.customerId, t);
      shopForHousehold(ctx, d, t);
    } else {
      const industry = d.industry!;
      const spec = INDUSTRIES[industry]!;
      const [lo, hi] = HEADCOUNT_BANDS[d.band]!;
      const headcount = Math.min(hi, Math.floor(Math.exp(uniform(d.rng, Math.log(lo), Math.log(hi + 1)))));
      const perDay = {
        minutes: headcount * spec.usagePerEmployeePerDay.minutes * d.needFactor,
        GB: headcount * spec.usagePerEmployeePerDay.GB * d.needFactor,
      };
      if (d.status !== 'none') {
        profile(1, d.joinedAt, {
          householdMembers: [],
          business: { headcount: d.status === 'unusable' ? 0 : headcount, industry },
        });
      }
      const meanIntervalDays = uniform(d.rng, 9, 24);
      const t: ConsumptionTruth = {
        customerId: d.customerId,
        customerType: d.type,
        joinedAt: d.joinedAt,
        profileStatus: d.status,
        changedAt: null,
        buyer: d.buyer,
        shareHere: d.shareHere,
        needFactor: d.needFactor,
        needPerDay: perDay,
        needs: [{ from: d.joinedAt, perDay }],
        meanIntervalDays,
        marketingConsent: d.consent,
        household: null,
        business: {
          industry,
          headcount,
          sizeBand: sizeBandOf(headcount, SIZE_BAND_EDGES),
          segment: peerSegmentOf(industry, headcount, SIZE_BAND_EDGES),
          usagePerEmployeePerDay: spec.usagePerEmployeePerDay,
        },
      };
      truth.set(d.customerId, t);
      buyServices(ctx, d, t);
    }
  }

  // Pushed by customer, each customer's in its order: a stable sort by time breaks ties by both.
  purchases.sort((a, b) => a.emitAt - b.emitAt);
  profiles.sort((a, b) => a.emitAt - b.emitAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { options: o, profiles, purchases, truth };
}

interface GenerationContext {
  readonly o: ResolvedConsumptionOptions;
  readonly end: number;
  readonly minorFactor: number;
  readonly eventId: () => string;
  readonly push: (event: Purchase) => void;
}

/** 1-6 members with at least one adult or senior. */
function householdOf(rng: Random): AgeBand[] {
  const size = 1 + rng.weightedIndex(HOUSEHOLD_SIZE_WEIGHTS);
  if (size === 1) return [rng.chance(0.72) ? 'ADULT_19_64' : 'SENIOR_65_PLUS'];
  if (size === 2) {
    const kind = rng.weightedIndex([0.55, 0.27, 0.18]);
    if (kind === 0) return ['ADULT_19_64', 'ADULT_19_64'];
    if (kind === 1) return ['SENIOR_65_PLUS', 'SENIOR_65_PLUS'];
    return ['ADULT_19_64', rng.pick(CHILD_BANDS)];
  }
  // Families: two adults (sometimes one), children, now and then a grandparent.
  const members: AgeBand[] = rng.chance(0.85) ? ['ADULT_19_64', 'ADULT_19_64'] : ['ADULT_19_64'];
  if (size >= 4 && rng.chance(0.15)) members.push('SENIOR_65_PLUS');
  while (members.length < size) members.push(rng.pick(CHILD_BANDS));
  return members;
}

/** Mean of 0.5 + 0.5 x min(2, Exp(1)). */
const JITTER_MEAN = 1 - 0.5 * Math.exp(-2);

/**
 * Interval to the next trip, mean `meanDays`: 0.5 + 0.5 x Exp(1) (capped at 2) times the mean over
 * JITTER_MEAN, so between 0.54 and 1.61 means: irregular, yet never a gap that empties a window.
 */
function nextInterval(rng: Random, meanDays: number): number {
  return (meanDays * DAY_MS * (0.5 + 0.5 * Math.min(2, rng.exponential(1)))) / JITTER_MEAN;
}

function shopForHousehold(ctx: GenerationContext, d: Draft, truth: ConsumptionTruth): void {
  const { o, end, minorFactor } = ctx;
  const rng = d.rng;
  const homeStore = storeId(rng.int(1, o.stores));
  const preferred = rng.pick(['store', 'store', 'store', 'store', 'app', 'web']);
  let owed = 0;
  let last = d.joinedAt;
  let t = d.joinedAt + nextInterval(rng, truth.meanIntervalDays);
  while (t < end) {
    const at = Math.floor(t);
    owed += d.shareHere * needBetween(truth, 'kcal', last, at);
    last = at;
    const next = t + nextInterval(rng, truth.meanIntervalDays);
    if (owed <= 0) {
      t = next;
      continue;
    }
    // Foods until the kcal owed are covered; the overshoot (part of one article) carries over.
    const lines: BasketLine[] = [];
    while (owed > 0) {
      // Small needs (a single partial buyer) take small articles: the overshoot stays small.
      let article = FOOD_PICKER.pick(rng);
      for (let tries = 0; tries < 3 && article.kcalPerUnit! > 1.5 * owed + 400; tries++) {
        article = FOOD_PICKER.pick(rng);
      }
      if (article.kcalPerUnit! > 1.5 * owed + 400) article = SMALL_FOOD_PICKER.pick(rng);
      const kcal = article.kcalPerUnit!;
      const quantity = rng.int(1, Math.max(1, Math.min(article.maxQuantity, Math.ceil(owed / kcal))));
      addToBasket(lines, article, quantity);
      owed -= quantity * kcal;
    }
    if (rng.chance(0.25)) addToBasket(lines, ZERO_KCAL_PICKER.pick(rng), 1);
    if (rng.chance(0.2)) addToBasket(lines, NON_FOOD_PICKER.pick(rng), rng.int(1, 2));
    const channel = rng.chance(0.85) ? preferred : rng.pick(['store', 'app', 'web']);
    const sale: Purchase = {
      eventId: ctx.eventId(),
      customerId: d.customerId,
      occurredAt: at,
      kind: 'SALE',
      currency: o.currency,
      lines: lines.map((line) => lineOf(rng, line.article, line.quantity, minorFactor)),
      channel,
      storeId: channel === 'store' ? (rng.chance(0.9) ? homeStore : storeId(rng.int(1, o.stores))) : null,
      returnOfEventId: null,
    };
    ctx.push(sale);
    // Now and then part of the basket goes back before the next trip, which replaces it.
    if (rng.chance(o.returnShare)) {
      const returnAt = Math.floor(t + uniform(rng, 0.2, 0.8) * (next - t));
      if (returnAt > at && returnAt < end) {
        const line = rng.pick(sale.lines);
        const quantity = rng.int(1, line.quantity);
        ctx.push({
          ...sale,
          eventId: ctx.eventId(),
          occurredAt: returnAt,
          kind: 'RETURN',
          lines: [{ ...line, quantity }],
          returnOfEventId: sale.eventId,
        });
        owed += (line.kcalPerUnit ?? 0) * quantity;
      }
    }
    t = next;
  }
}

interface BasketLine {
  readonly article: Article;
  quantity: number;
}

/** Adds to the basket's line of the article, or a new line. */
function addToBasket(lines: BasketLine[], article: Article, quantity: number): void {
  for (const line of lines) {
    if (line.article === article) {
      line.quantity += quantity;
      return;
    }
  }
  lines.push({ article, quantity });
}

function buyServices(ctx: GenerationContext, d: Draft, truth: ConsumptionTruth): void {
  const { o, end, minorFactor } = ctx;
  const rng = d.rng;
  const preferred = rng.chance(0.6) ? 'web' : 'call-centre';
  const owed: Record<BusinessUnit, number> = { minutes: 0, GB: 0 };
  const meanMs = truth.meanIntervalDays * DAY_MS;
  const interval = () => Math.min(30 * DAY_MS, Math.max(7 * DAY_MS, meanMs * uniform(rng, 0.75, 1.25)));
  let last = d.joinedAt;
  for (let t = d.joinedAt + interval(); t < end; t += interval()) {
    const at = Math.floor(t);
    const lines: PurchaseLine[] = [];
    for (const unit of BUSINESS_UNITS) {
      owed[unit] += d.shareHere * needBetween(truth, unit, last, at);
      // The fewest bundles: whole large ones, then the smallest rounded (the rest carries over).
      const bundles = SERVICE_BUNDLES[unit];
      bundles.forEach((article, i) => {
        const size = article.usage!.amountPerUnit;
        const n = i === bundles.length - 1 ? Math.round(owed[unit] / size) : Math.floor(owed[unit] / size);
        if (n <= 0) return;
        lines.push(lineOf(rng, article, n, minorFactor));
        owed[unit] -= n * size;
      });
    }
    last = at;
    if (lines.length === 0) continue;
    if (rng.chance(0.1)) lines.push(lineOf(rng, SUPPORT_HOUR, rng.int(1, 3), minorFactor));
    ctx.push({
      eventId: ctx.eventId(),
      customerId: d.customerId,
      occurredAt: at,
      kind: 'SALE',
      currency: o.currency,
      lines,
      channel: rng.chance(0.9) ? preferred : 'web',
      storeId: null,
      returnOfEventId: null,
    });
  }
}

function lineOf(rng: Random, article: Article, quantity: number, minorFactor: number): PurchaseLine {
  const list = Math.max(1, Math.round(article.price * minorFactor));
  // One line in ten is on promotion: 10-20 % off, out of the margin.
  const unitPriceMinor = rng.chance(0.1) ? Math.round(list * (1 - rng.int(1, 2) / 10)) : list;
  return {
    sku: article.sku,
    category: article.category,
    quantity,
    unitPriceMinor,
    marginMinor:
      article.marginRate === null ? null : Math.round(list * article.marginRate) - (list - unitPriceMinor),
    kcalPerUnit: article.kcalPerUnit,
    usage: article.usage ? { ...article.usage } : null,
  };
}

/**
 * Customers per segment for `n` businesses: largest-remainder quotas of the weights; while a
 * segment would get fewer than `minSize` (but some), the lightest such segment is left out.
 */
export function segmentQuotas(weights: readonly number[], n: number, minSize: number): number[] {
  const active = weights.map((w) => w > 0);
  for (;;) {
    const total = weights.reduce((sum, w, i) => sum + (active[i] ? w : 0), 0);
    const exact = weights.map((w, i) => (active[i] && total > 0 ? (n * w) / total : 0));
    const quotas = exact.map(Math.floor);
    let left = n - quotas.reduce((a, b) => a + b, 0);
    const byRemainder = exact
      .map((x, i) => ({ i, r: x - Math.floor(x) }))
      .filter(({ i }) => active[i])
      .sort((a, b) => b.r - a.r || a.i - b.i);
    for (const { i } of byRemainder) {
      if (left <= 0) break;
      quotas[i]!++;
      left--;
    }
    let lightest = -1;
    for (let i = 0; i < weights.length; i++) {
      if (!active[i] || quotas[i]! >= minSize) continue;
      if (lightest < 0 || weights[i]! < weights[lightest]!) lightest = i;
    }
    if (lightest < 0 || active.filter(Boolean).length <= 1) return quotas;
    active[lightest] = false;
  }
}

/** Full buyers buy 0.9-1.1 of their need here, partial buyers 0.1-0.5. */
function shareHereOf(buyer: 'full' | 'partial', draw: number): number {
  return buyer === 'full' ? 0.9 + 0.2 * draw : 0.1 + 0.4 * draw;
}

function uniform(rng: Random, lo: number, hi: number): number {
  return lo + (hi - lo) * rng.next();
}

function storeId(n: number): string {
  return `s-${String(n).padStart(3, '0')}`;
}

function shuffle<T>(rng: Random, items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

/** Seed of customer `index`'s own PRNG stream. */
function mixSeed(seed: number, index: number): number {
  let h = (seed >>> 0) ^ Math.imul(index + 1, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
