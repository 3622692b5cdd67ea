// GENERATED from schemas/*.avsc by `npm run schemas:generate`. Do not edit by hand:
// shared/contracts/generated.test.ts fails when this file and the schemas disagree.

/** A customer asked to be forgotten (GDPR article 17). Topic: customer-erasures (compacted, keyed by customerId). Every worker deletes the customer's state, timers, index entry and remembered event ids, removes its contribution from the population counters, ignores the customer's later records until a newer profile re-admits it, and reports ErasureCompleted. */
export type CustomerErasureRequested = {
  /** Unique id of this request (the request id of the privacy process). */
  eventId: string;
  /** Customer to erase; equals the record key. */
  customerId: string;
  /** Event time: when the request was made, epoch milliseconds UTC. A customer-profiles record later than this re-admits the customer. */
  occurredAt: number;
};

/** The latest known profile of a customer. Topic: customer-profiles (compacted: the newest record per customerId wins; a tombstone deletes). */
export type CustomerProfile = {
  /** Unique id of this profile version. */
  eventId: string;
  /** Customer described; equals the record key. */
  customerId: string;
  /** Event time: when this version of the profile was recorded, epoch milliseconds UTC. */
  occurredAt: number;
  /** CONSUMER (household) or BUSINESS. */
  customerType: CustomerType;
  /** Name for display. Personal data: never log it, never put it in a metric or a dead-letter message. */
  displayName: string | null;
  /** Members of a consumer's household including the customer; empty when unknown and for businesses. */
  householdMembers: HouseholdMember[];
  /** Set for BUSINESS customers; null for consumers. */
  business: BusinessProfile | null;
  /** Whether the customer agreed to marketing contact; without it no offer reaches the customer. */
  marketingConsent: boolean;
  /** When the customer relationship began (registration), epoch milliseconds UTC. */
  signedUpAt: number;
  /** ISO 3166-1 alpha-2 country code of the customer, e.g. DE. */
  country: string;
};

/** Private household or business customer. */
export const CustomerType = ['CONSUMER', 'BUSINESS'] as const;
/** Private household or business customer. */
export type CustomerType = (typeof CustomerType)[number];

/** One person of a consumer's household (the customer included), by age band only. */
export type HouseholdMember = {
  /** Age band of the member. */
  ageBand: AgeBand;
};

/** Age band, matching the bands of dietary energy reference values. */
export const AgeBand = [
  'INFANT_0_3',
  'CHILD_4_8',
  'CHILD_9_13',
  'TEEN_14_18',
  'ADULT_19_64',
  'SENIOR_65_PLUS',
] as const;
/** Age band, matching the bands of dietary energy reference values. */
export type AgeBand = (typeof AgeBand)[number];

/** Size and sector of a business customer, the basis of its peer segment. */
export type BusinessProfile = {
  /** Number of employees, at least 1. */
  headcount: number;
  /** Industry code or name, e.g. a NACE section such as G or 'retail'. */
  industry: string;
};

/** A worker has erased a customer: nothing of it is left in the worker's state store and its population figures no longer count it. One per worker per request. Topic: erasures-completed, keyed by customerId. Holds no personal data besides the id. */
export type ErasureCompleted = {
  /** Deterministic id derived from the request's position and the worker: a re-delivery repeats it, so consumers dedupe on it. */
  eventId: string;
  /** Customer erased; equals the record key. */
  customerId: string;
  /** Stream time of the worker's partition when the erasure was applied, epoch milliseconds UTC. */
  occurredAt: number;
  /** eventId of the CustomerErasureRequested handled. */
  requestEventId: string;
  /** occurredAt of the request, epoch milliseconds UTC. */
  requestedAt: number;
  /** Worker that erased the customer: value-segmentation, share-of-wallet or retention. */
  worker: string;
  /** Position of the request: <topic>/<partition>/<offset>. */
  causationId: string;
  /** The worker held state of the customer (false: nothing to delete but the request is honoured). */
  hadState: boolean;
  /** Population counters the customer's contribution was removed from. */
  populationCountersRemoved: number;
};

/** A non-purchase contact between the customer and the business, from CRM, apps and contact centres. Topic: interactions, keyed by customerId. */
export type Interaction = {
  /** Unique id of this fact, stable across re-deliveries; consumers dedupe on it. */
  eventId: string;
  /** Customer who interacted; equals the record key. */
  customerId: string;
  /** Event time: when the interaction happened, epoch milliseconds UTC. */
  occurredAt: number;
  /** Kind of interaction. */
  kind: InteractionKind;
  /** Where it happened: app, web, phone, email, store, ... */
  channel: string;
  /** For SURVEY: likelihood-to-recommend score 0-10 (9-10 promoter); null otherwise. */
  surveyScore: number | null;
  /** For REVIEW: star rating 1-5; null otherwise. */
  reviewRating: number | null;
  /** For REFERRAL: the customer id of the person referred; null otherwise. */
  referredCustomerId: string | null;
  /** For OFFER_ACCEPTED and OFFER_DECLINED: eventId of the RetentionOfferIssued answered; null otherwise. */
  offerEventId: string | null;
};

/** What kind of contact this was; the kind decides which optional fields are set. */
export const InteractionKind = [
  'APP_SESSION',
  'WEB_SESSION',
  'SUPPORT_CALL',
  'COMPLAINT',
  'CANCELLATION_REQUEST',
  'SURVEY',
  'REVIEW',
  'REFERRAL',
  'PARTNERSHIP_AGREEMENT',
  'OFFER_ACCEPTED',
  'OFFER_DECLINED',
] as const;
/** What kind of contact this was; the kind decides which optional fields are set. */
export type InteractionKind = (typeof InteractionKind)[number];

/** What to offer a customer next (cross-sell and up-sell), with the evidence for each suggestion, or that the customer fell in the holdout. Decided on a purchase or when a learned up-sell step falls due. Keyed by customerId. */
export type NextBestOfferSuggested = {
  /** Deterministic id derived from the cause (causationId) and the trigger: a re-delivery or a replay repeats it, so consumers dedupe on it. */
  eventId: string;
  /** Customer the suggestions are for; equals the record key. */
  customerId: string;
  /** Stream time of the decision, epoch milliseconds UTC: the purchase's time, or the time the due-step timer was set for. */
  occurredAt: number;
  /** PURCHASE: a purchase by the customer; DUE_STEP: the timer of a learned up-sell step the customer started (first purchase of its first item + its typical gap). */
  trigger: NextBestOfferTrigger;
  /** Identity of the cause: topic (as on the cluster, TOPIC_PREFIX included)/partition/offset of the purchase, or the due-step timer's id prefixed with TOPIC_PREFIX. */
  causationId: string;
  /** Customer's value tier whose holdout share applied, e.g. top2, top, middle, bottom, unknown. */
  valueTier: string;
  /** True when the customer fell in the tier's control group: recorded with the suggestions they would have got, but nothing must be sent. */
  holdout: boolean;
  /** The top suggestions, best first (at most the configured K). */
  suggestions: NextBestOfferSuggestion[];
  /** The model version: the population-view refresh boundary whose rules, steps and item economics were in force, epoch milliseconds UTC; null before the first view (ladders only). */
  modelViewBoundary: number | null;
};

/** What made the worker decide. */
export const NextBestOfferTrigger = ['PURCHASE', 'DUE_STEP'] as const;
/** What made the worker decide. */
export type NextBestOfferTrigger = (typeof NextBestOfferTrigger)[number];

/** One suggested item and the evidence that valued it highest; fields the evidence kind does not have are null. */
export type NextBestOfferSuggestion = {
  /** Suggested item: a SKU or a category, per the worker's item level. */
  item: string;
  /** RULE: a basket association rule; SEQUENCE: a learned up-sell step; LADDER: the next rung of a configured life-cycle ladder; POPULAR: one of the window's most-bought items, only filling places the other kinds left empty (never above them). */
  kind: SuggestionKind;
  /** Items of the customer's that led to it: the rule's antecedent, the step's first item, or the highest ladder rung owned. */
  antecedent: string[];
  /** Name of the ladder (LADDER only). */
  ladder: string | null;
  /** Share of baskets in the window holding the rule's items (RULE), or the item (POPULAR: its factor in expectedValueMinor). */
  support: number | null;
  /** Share of baskets holding the antecedent that also hold the item (RULE only). */
  confidence: number | null;
  /** Confidence divided by the item's own support (RULE only); its factor in expectedValueMinor. */
  lift: number | null;
  /** Baskets in the window holding the rule's items (RULE), or the item (POPULAR). */
  basketCount: number | null;
  /** Customers whose first purchase of the antecedent item was followed by a first purchase of this item within the horizon (SEQUENCE only). */
  customers: number | null;
  /** Customers who bought the antecedent item: the denominator of stepShare (SEQUENCE only). */
  customersWithFrom: number | null;
  /** customers / customersWithFrom, 0-1 (SEQUENCE only); its factor in expectedValueMinor. */
  stepShare: number | null;
  /** Median days from the first antecedent purchase to the first purchase of this item, to its gap bucket's lower bound (exact to 7 days, within 6 days to 56, within 27 beyond) (SEQUENCE only). */
  typicalGapDays: number | null;
  /** Configured chance of taking the next rung (LADDER only); its factor in expectedValueMinor. */
  ladderProbability: number | null;
  /** True when the item's category is one the customer's peers buy and the customer does not (share-of-wallet gap), and expectedValueMinor was raised by the configured factor. */
  walletGapBoosted: boolean;
  /** Expected margin of the suggestion, minor units of currency: (lift, stepShare, ladderProbability or, for POPULAR, support) x unit price x margin share (the configured default where no margin is known), times the wallet-gap factor when boosted. Suggestions are ordered by it, best first, ties by item; POPULAR ones come after the others, most-bought first. */
  expectedValueMinor: number;
  /** ISO 4217 code of expectedValueMinor. */
  currency: string;
};

/** Which evidence the suggestion comes from. */
export const SuggestionKind = ['RULE', 'SEQUENCE', 'LADDER', 'POPULAR'] as const;
/** Which evidence the suggestion comes from. */
export type SuggestionKind = (typeof SuggestionKind)[number];

/** A sale or a return recorded by a point-of-sale or e-commerce system. Topic: purchases, keyed by customerId. */
export type Purchase = {
  /** Unique id of this fact, stable across re-deliveries; consumers dedupe on it. */
  eventId: string;
  /** Customer who bought or returned; equals the record key. */
  customerId: string;
  /** Event time: when the sale or return happened at the till or checkout, epoch milliseconds UTC. */
  occurredAt: number;
  /** SALE or RETURN. A RETURN carries positive quantities; its value counts negatively. */
  kind: PurchaseKind;
  /** ISO 4217 alphabetic code (e.g. EUR) of every amount in this purchase. */
  currency: string;
  /** Articles of the purchase, at least one. */
  lines: PurchaseLine[];
  /** Where the purchase happened: store, web, app, call-centre, ... */
  channel: string;
  /** Physical store of an in-store purchase; null for remote channels. */
  storeId: string | null;
  /** For a RETURN, the eventId of the SALE it reverses, when known; null for sales. */
  returnOfEventId: string | null;
};

/** Whether money came in (SALE) or went back (RETURN). */
export const PurchaseKind = ['SALE', 'RETURN'] as const;
/** Whether money came in (SALE) or went back (RETURN). */
export type PurchaseKind = (typeof PurchaseKind)[number];

/** One article (SKU) of a purchase with its quantity and unit economics. */
export type PurchaseLine = {
  /** Stock keeping unit: the article's identifier in the catalogue. */
  sku: string;
  /** Product category, e.g. groceries/dairy or services/mobile-data. */
  category: string;
  /** Number of units, always > 0 (also for returns). */
  quantity: number;
  /** Price paid per unit, in minor units of the purchase currency (e.g. cents), after discounts. */
  unitPriceMinor: number;
  /** Gross margin per unit in minor units, when the seller knows it; null when unknown. */
  marginMinor: number | null;
  /** Food energy per unit in kilocalories, for food and drink; null for everything else. */
  kcalPerUnit: number | null;
  /** Service usage (minutes, GB...) per unit, for service articles; null otherwise. */
  usage: ServiceUsage | null;
};

/** Consumable service units bought with one unit of a service article. */
export type ServiceUsage = {
  /** Unit of usage, e.g. minutes or GB. */
  unit: string;
  /** Usage units per article unit, e.g. 10 (GB). */
  amountPerUnit: number;
};

/** A customer is at risk of leaving and the tier's policy chose a retention treatment (or the holdout). Topic: retention-offers, keyed by customerId. */
export type RetentionOfferIssued = {
  /** Deterministic id derived from the cause and the decision kind: a re-delivery repeats it, so consumers dedupe on it. */
  eventId: string;
  /** Customer at risk; equals the record key. */
  customerId: string;
  /** Stream time at which the risk was decided, epoch milliseconds UTC. */
  occurredAt: number;
  /** Value tier whose policy applied, e.g. top, middle, bottom. */
  valueTier: string;
  /** Risk of having left, 0-1: 1 - P(alive) under the churn model, raised by complaints and cancellation requests. */
  riskScore: number;
  /** Why the customer is at risk, e.g. overdue-purchase, complaint, cancellation-request, spend-drop. */
  reasons: string[];
  /** True when the customer fell in the control group: recorded, but no offer is sent (offer is null). */
  holdout: boolean;
  /** The offer; null for the holdout and for tiers whose policy gives no paid offer. */
  offer: RetentionOffer | null;
  /** Handling priority, 1 = most urgent (e.g. call-queue priority). */
  priority: number;
  /** After this time the offer must not be sent or honoured, epoch milliseconds UTC. */
  expiresAt: number;
  /** ISO 4217 code of clvMinor (the pipeline's value currency). */
  currency: string;
  /** Customer lifetime value estimate in minor units of currency; null when not estimated. */
  clvMinor: number | null;
  /** Model version the decision used; null before the first usable fit (a complaint alone made the customer at risk). */
  model: RetentionModelVersion | null;
};

/** The treatment chosen by the tier's offer policy. */
export type RetentionOffer = {
  /** Offer code in the policy, e.g. FREE_DEVICE_TICKETS. */
  code: string;
  /** What the customer gets, human-readable. */
  description: string;
  /** Most the business may spend on this offer, minor units of currency. */
  costCeilingMinor: number;
  /** ISO 4217 code of costCeilingMinor. */
  currency: string;
};

/** The fitted population models the decision used (riskScore from BG/NBD, clvMinor from Gamma-Gamma with it). */
export type RetentionModelVersion = {
  /** The model version: the fit-period boundary whose population view was in force, epoch milliseconds UTC. */
  viewBoundary: number;
  /** Boundary at which the BG/NBD fit in force was made, epoch milliseconds UTC. */
  churnModelFittedAt: number;
  /** Boundary at which the Gamma-Gamma fit in force was made (earlier than viewBoundary when later refits were rejected); null before the first usable spend fit. */
  clvModelFittedAt: number | null;
};

/** A customer moved from one segment to another on one dimension (value tier or loyalty rung), with the evidence that led to it. Topic: segment-changes, keyed by customerId. */
export type SegmentChanged = {
  /** Deterministic id derived from the cause and the decision kind: a re-delivery repeats it, so consumers dedupe on it. */
  eventId: string;
  /** Customer who moved; equals the record key. */
  customerId: string;
  /** Stream time at which the move was decided, epoch milliseconds UTC. */
  occurredAt: number;
  /** Segmentation dimension: value-tier or loyalty-ladder. */
  dimension: string;
  /** Segment left (e.g. middle, client); null on first placement. */
  fromSegment: string | null;
  /** Segment entered, e.g. top, bottom, lapsed, supporter. */
  toSegment: string;
  /** What triggered the evaluation: purchase, return, value-aged-out, threshold-refresh or interaction. */
  cause: string;
  /** Identity of the cause: topic (as on the cluster, TOPIC_PREFIX included)/partition/offset of the input record, or the timer or population-view id, both prefixed with TOPIC_PREFIX. */
  causationId: string;
  /** Evidence: rolling values, rank, thresholds and the rule. */
  evidence: SegmentEvidence;
  /** Customer lifetime value estimate in minor units of evidence.currency; null when not estimated. */
  clvMinor: number | null;
  /** Model version behind clvMinor: the boundary at which the Gamma-Gamma fit in force was made, epoch milliseconds UTC; null when clvMinor is. */
  clvModelFittedAt: number | null;
};

/** The numbers behind a segment change, enough to re-check the decision by hand. */
export type SegmentEvidence = {
  /** ISO 4217 code of every money amount in the evidence. */
  currency: string;
  /** Rolling value per window, shortest window first. */
  rollingValues: RollingValue[];
  /** Window whose value ranks customers across the population. */
  rankingWindowDays: number;
  /** The customer's value in the ranking window, minor units. */
  rankingValueMinor: number;
  /** Approximate percentile 0-100 of the customer's ranking value in the population (100 = highest); null when unknown. */
  percentile: number | null;
  /** Tier thresholds in force, highest tier first; empty for loyalty-ladder changes. */
  thresholds: TierThreshold[];
  /** Band as a share of the threshold, e.g. 0.05. */
  hysteresisShare: number;
  /** Number of active customers ranked when the thresholds were computed. */
  populationSize: number;
  /** Stream-time boundary at which the thresholds in force were computed; null if none. */
  thresholdsBoundary: number | null;
  /** Human-readable statement of the rule that fired. */
  rule: string;
};

/** The customer's value over one sliding event-time window ending at occurredAt. */
export type RollingValue = {
  /** Window length in days, e.g. 30, 90, 365. */
  windowDays: number;
  /** Value in the window in minor units (net of returns). */
  valueMinor: number;
  /** Number of sales in the window. */
  orders: number;
};

/** Lower bound of one value tier and its hysteresis band, as in force when the decision was made. */
export type TierThreshold = {
  /** Tier name, e.g. top2, top, middle. */
  tier: string;
  /** Lowest ranking value (minor units) that belongs to the tier. */
  minValueMinor: number;
  /** Hysteresis band around the threshold, minor units. */
  bandMinor: number;
};

/** Share of wallet fell below the alert threshold: the customer buys much less here than they must consume. Topic: under-consumption, keyed by customerId. */
export type UnderConsumptionDetected = {
  /** Deterministic id derived from the cause and the decision kind: a re-delivery repeats it, so consumers dedupe on it. */
  eventId: string;
  /** Customer under-consuming; equals the record key. */
  customerId: string;
  /** Stream time at which the alert was decided, epoch milliseconds UTC. */
  occurredAt: number;
  /** Window compared. */
  window: ConsumptionWindow;
  /** Consumption bought here in the window, in unit. */
  actual: number;
  /** Consumption the customer must have in the window, in unit. */
  expected: number;
  /** Unit of actual and expected, e.g. kcal, minutes, GB. */
  unit: string;
  /** Share of wallet: actual / expected. */
  share: number;
  /** How expected was estimated: household-calories or headcount-peer-usage. */
  basis: string;
  /** Human-readable derivation of expected, e.g. '2 adults x 2500 kcal + 1 child x 1600 kcal, x 30 days'. */
  basisDetail: string;
  /** For headcount-peer-usage: number of peer customers behind the benchmark; null otherwise. */
  peerCount: number | null;
  /** For headcount-peer-usage: the peer segment's usage per employee in the window, in unit; null otherwise. */
  peerUsagePerEmployee: number | null;
  /** Missing consumption: expected - actual, in unit. */
  gapUnits: number;
  /** Estimated money value of the gap, in minor units of currency. */
  gapMinor: number;
  /** ISO 4217 code of gapMinor. */
  currency: string;
  /** The customer's value tier when known, for prioritising the up-sell; null otherwise. */
  valueTier: string | null;
};

/** The event-time window over which consumption was compared. */
export type ConsumptionWindow = {
  /** Length of the window in days. */
  windowDays: number;
  /** Inclusive start of the window, epoch milliseconds UTC. */
  windowStart: number;
  /** Exclusive end of the window, epoch milliseconds UTC. */
  windowEnd: number;
};

/** The top-level schema of each file in schemas/, by short name. */
export const SCHEMA_NAMES = [
  'CustomerErasureRequested',
  'CustomerProfile',
  'ErasureCompleted',
  'Interaction',
  'NextBestOfferSuggested',
  'Purchase',
  'RetentionOfferIssued',
  'SegmentChanged',
  'UnderConsumptionDetected',
] as const;

/** Value type of each top-level schema, by short name. */
export interface EventTypes {
  CustomerErasureRequested: CustomerErasureRequested;
  CustomerProfile: CustomerProfile;
  ErasureCompleted: ErasureCompleted;
  Interaction: Interaction;
  NextBestOfferSuggested: NextBestOfferSuggested;
  Purchase: Purchase;
  RetentionOfferIssued: RetentionOfferIssued;
  SegmentChanged: SegmentChanged;
  UnderConsumptionDetected: UnderConsumptionDetected;
}
