// A simulated BG/NBD customer base for retention tests: purchases drawn from the model, a
// profile per customer (70 % with marketing consent) and a value tier per customer.

import type { BgNbdParams } from '../../services/retention/models/bgnbd.js';
import {
  sampleGamma,
  seededUniform,
  simulateBgNbdCustomer,
} from '../../services/retention/models/simulate.js';
import type {
  CustomerProfile,
  Interaction,
  Purchase,
  SegmentChanged,
} from '../../shared/contracts/generated.js';
import {
  sampleConsumerProfile,
  sampleInteraction,
  samplePurchase,
  sampleSegmentChanged,
} from '../../shared/contracts/samples.js';

const DAY_MS = 86_400_000;
const WEEK = 7 * DAY_MS;
/** CDNOW's published BG/NBD parameters (Fader, Hardie & Lee 2005), rounded. */
export const CDNOW_LIKE: BgNbdParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };

export interface RetentionPopulation {
  readonly purchases: Purchase[];
  readonly profiles: CustomerProfile[];
  readonly tiers: SegmentChanged[];
  readonly complaints: Interaction[];
  readonly consent: ReadonlyMap<string, boolean>;
  readonly end: number;
}

export function retentionPopulation(options: {
  customers: number;
  start: number;
  weeks: number;
  seed?: number;
}): RetentionPopulation {
  const uniform = seededUniform(options.seed ?? 1516);
  const end = options.start + options.weeks * WEEK;
  const purchases: Purchase[] = [];
  const profiles: CustomerProfile[] = [];
  const tiers: SegmentChanged[] = [];
  const complaints: Interaction[] = [];
  const consent = new Map<string, boolean>();
  for (let i = 0; i < options.customers; i += 1) {
    const customerId = `c-${String(i).padStart(5, '0')}`;
    const first = options.start + Math.floor(uniform() * 84) * DAY_MS + 10 * 3_600_000;
    const simulated = simulateBgNbdCustomer(CDNOW_LIKE, (end - first) / WEEK, uniform);
    // Gamma-Gamma spend (Fader & Hardie 2013): amounts ~ Gamma(p = 6, ν), ν ~ Gamma(q = 4, γ = 1500)
    // per customer, in minor units (CDNOW's fit is p 6.25, q 3.74, γ 15.44 dollars).
    const nu = sampleGamma(uniform, 4, 1500);
    simulated.purchases.forEach((t, n) => {
      const sale = samplePurchase();
      purchases.push({
        ...sale,
        eventId: `${customerId}-${n}`,
        customerId,
        occurredAt: first + Math.round(t * WEEK),
        lines: [
          {
            ...sale.lines[0]!,
            quantity: 1,
            unitPriceMinor: Math.max(1, Math.round(sampleGamma(uniform, 6, nu))),
          },
        ],
      });
    });
    const agreed = uniform() < 0.7;
    consent.set(customerId, agreed);
    profiles.push({
      ...sampleConsumerProfile(),
      customerId,
      eventId: `p-${customerId}`,
      occurredAt: first,
      signedUpAt: first,
      marketingConsent: agreed,
    });
    tiers.push({
      ...sampleSegmentChanged(),
      customerId,
      eventId: `t-${customerId}`,
      occurredAt: first,
      dimension: 'value-tier',
      toSegment: ['top', 'middle', 'bottom'][i % 3]!,
    });
    if (i % 25 === 0) {
      complaints.push({
        ...sampleInteraction(),
        customerId,
        eventId: `i-${customerId}`,
        occurredAt: end - DAY_MS,
        kind: 'COMPLAINT',
        surveyScore: null,
        reviewRating: null,
        referredCustomerId: null,
        offerEventId: null,
      });
    }
  }
  purchases.sort((p, q) => p.occurredAt - q.occurredAt);
  return { purchases, profiles, tiers, complaints, consent, end };
}
