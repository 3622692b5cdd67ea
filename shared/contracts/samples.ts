// Valid sample events, one per schema, for tests and docs. Each call returns a fresh object.

import type {
  CustomerErasureRequested,
  CustomerProfile,
  ErasureCompleted,
  EventTypes,
  Interaction,
  NextBestOfferSuggested,
  Purchase,
  RetentionOfferIssued,
  SegmentChanged,
  UnderConsumptionDetected,
} from './generated.js';

const T0 = Date.UTC(2024, 2, 1, 10, 30);
const DAY = 86_400_000;

export function samplePurchase(): Purchase {
  return {
    eventId: 'pos-0001',
    customerId: 'c-000123',
    occurredAt: T0,
    kind: 'SALE',
    currency: 'EUR',
    lines: [
      {
        sku: 'G-MILK-1L',
        category: 'groceries/dairy',
        quantity: 2,
        unitPriceMinor: 119,
        marginMinor: 21,
        kcalPerUnit: 640,
        usage: null,
      },
      {
        sku: 'S-DATA-10GB',
        category: 'services/mobile-data',
        quantity: 1,
        unitPriceMinor: 1499,
        marginMinor: null,
        kcalPerUnit: null,
        usage: { unit: 'GB', amountPerUnit: 10 },
      },
    ],
    channel: 'store',
    storeId: 's-007',
    returnOfEventId: null,
  };
}

export function sampleReturn(): Purchase {
  const sale = samplePurchase();
  return {
    ...sale,
    eventId: 'pos-0002',
    occurredAt: T0 + 2 * DAY,
    kind: 'RETURN',
    lines: [{ ...sale.lines[0]!, quantity: 1 }],
    returnOfEventId: sale.eventId,
  };
}

export function sampleInteraction(): Interaction {
  return {
    eventId: 'crm-0001',
    customerId: 'c-000123',
    occurredAt: T0,
    kind: 'SURVEY',
    channel: 'email',
    surveyScore: 9,
    reviewRating: null,
    referredCustomerId: null,
    offerEventId: null,
  };
}

export function sampleConsumerProfile(): CustomerProfile {
  return {
    eventId: 'crm-p-0001',
    customerId: 'c-000123',
    occurredAt: T0,
    customerType: 'CONSUMER',
    displayName: 'Alex Example',
    householdMembers: [{ ageBand: 'ADULT_19_64' }, { ageBand: 'ADULT_19_64' }, { ageBand: 'CHILD_4_8' }],
    business: null,
    marketingConsent: true,
    signedUpAt: T0 - 400 * DAY,
    country: 'DE',
  };
}

export function sampleBusinessProfile(): CustomerProfile {
  return {
    ...sampleConsumerProfile(),
    eventId: 'crm-p-0002',
    customerId: 'c-000456',
    customerType: 'BUSINESS',
    displayName: 'Example Logistics GmbH',
    householdMembers: [],
    business: { headcount: 42, industry: 'H' },
  };
}

export function sampleSegmentChanged(): SegmentChanged {
  return {
    eventId: '3f1c0b6a9d2e4f5a8b7c6d5e4f3a2b1c',
    customerId: 'c-000123',
    occurredAt: T0,
    dimension: 'value-tier',
    fromSegment: 'middle',
    toSegment: 'top',
    cause: 'purchase',
    causationId: 'purchases/3/1042',
    evidence: {
      currency: 'EUR',
      rollingValues: [
        { windowDays: 30, valueMinor: 52_000, orders: 4 },
        { windowDays: 90, valueMinor: 120_000, orders: 9 },
        { windowDays: 365, valueMinor: 410_000, orders: 31 },
      ],
      rankingWindowDays: 365,
      rankingValueMinor: 410_000,
      percentile: 83.5,
      thresholds: [
        { tier: 'top', minValueMinor: 380_000, bandMinor: 19_000 },
        { tier: 'middle', minValueMinor: 40_000, bandMinor: 2_000 },
      ],
      hysteresisShare: 0.05,
      populationSize: 10_000,
      thresholdsBoundary: T0 - DAY,
      rule: 'value 410000 >= top threshold 380000 + band 19000',
    },
    clvMinor: 1_250_000,
    clvModelFittedAt: T0 - 9 * DAY,
  };
}

export function sampleUnderConsumption(): UnderConsumptionDetected {
  return {
    eventId: '9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d',
    customerId: 'c-000123',
    occurredAt: T0,
    window: { windowDays: 30, windowStart: T0 - 30 * DAY, windowEnd: T0 },
    actual: 95_000,
    expected: 198_000,
    unit: 'kcal',
    share: 95_000 / 198_000,
    basis: 'household-calories',
    basisDetail: '2 adults x 2500 kcal + 1 child x 1600 kcal, x 30 days',
    peerCount: null,
    peerUsagePerEmployee: null,
    gapUnits: 103_000,
    gapMinor: 41_200,
    currency: 'EUR',
    valueTier: 'middle',
  };
}

export function sampleRetentionOffer(): RetentionOfferIssued {
  return {
    eventId: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
    customerId: 'c-000123',
    occurredAt: T0,
    valueTier: 'top',
    riskScore: 0.72,
    reasons: ['overdue-purchase', 'complaint'],
    holdout: false,
    offer: {
      code: 'FREE_DEVICE_TICKETS',
      description: 'A free device and two event tickets',
      costCeilingMinor: 30_000,
      currency: 'EUR',
    },
    priority: 1,
    expiresAt: T0 + 14 * DAY,
    currency: 'EUR',
    clvMinor: 1_250_000,
    model: { viewBoundary: T0 - 2 * DAY, churnModelFittedAt: T0 - 2 * DAY, clvModelFittedAt: T0 - 9 * DAY },
  };
}

export function sampleErasureRequest(): CustomerErasureRequested {
  return { eventId: 'erasure-2024-000042', customerId: 'c-000123', occurredAt: T0 };
}

export function sampleErasureCompleted(): ErasureCompleted {
  return {
    eventId: '7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d',
    customerId: 'c-000123',
    occurredAt: T0 + 60_000,
    requestEventId: 'erasure-2024-000042',
    requestedAt: T0,
    worker: 'value-segmentation',
    causationId: 'customer-erasures/3/17',
    hadState: true,
    populationCountersRemoved: 4,
  };
}

export function sampleNextBestOffer(): NextBestOfferSuggested {
  return {
    eventId: '3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f',
    customerId: 'c-000123',
    occurredAt: T0,
    trigger: 'PURCHASE',
    causationId: 'purchases/3/1042',
    valueTier: 'middle',
    holdout: false,
    suggestions: [
      {
        item: 'groceries/frozen-pizza',
        kind: 'RULE',
        antecedent: ['groceries/baked-beans', 'groceries/canned-beer'],
        ladder: null,
        support: 0.021,
        confidence: 0.46,
        lift: 3.1,
        basketCount: 412,
        customers: null,
        customersWithFrom: null,
        stepShare: null,
        typicalGapDays: null,
        ladderProbability: null,
        walletGapBoosted: true,
        expectedValueMinor: 233,
        currency: 'EUR',
      },
      {
        item: 'services/family-account',
        kind: 'LADDER',
        antecedent: ['services/youth-account'],
        ladder: 'savings',
        support: null,
        confidence: null,
        lift: null,
        basketCount: null,
        customers: null,
        customersWithFrom: null,
        stepShare: null,
        typicalGapDays: null,
        ladderProbability: 0.2,
        walletGapBoosted: false,
        expectedValueMinor: 120,
        currency: 'EUR',
      },
      {
        item: 'services/mobile-data',
        kind: 'SEQUENCE',
        antecedent: ['services/mobile-voice'],
        ladder: null,
        support: null,
        confidence: null,
        lift: null,
        basketCount: null,
        customers: 310,
        customersWithFrom: 1240,
        stepShare: 0.25,
        typicalGapDays: 15,
        ladderProbability: null,
        walletGapBoosted: false,
        expectedValueMinor: 94,
        currency: 'EUR',
      },
    ],
    modelViewBoundary: T0 - DAY,
  };
}

/** One valid sample per top-level schema. */
export function sampleEvents(): { [K in keyof EventTypes]: EventTypes[K] } {
  return {
    CustomerErasureRequested: sampleErasureRequest(),
    CustomerProfile: sampleConsumerProfile(),
    ErasureCompleted: sampleErasureCompleted(),
    Interaction: sampleInteraction(),
    NextBestOfferSuggested: sampleNextBestOffer(),
    Purchase: samplePurchase(),
    RetentionOfferIssued: sampleRetentionOffer(),
    SegmentChanged: sampleSegmentChanged(),
    UnderConsumptionDetected: sampleUnderConsumption(),
  };
}
