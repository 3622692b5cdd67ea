// Synthetic traffic for the next-best-offer worker's tests: baskets whose items go together by
// construction (beer with pizza, pasta with sauce), an up-sell life cycle (prepaid, then a
// contract weeks later), profiles with and without consent, value tiers. Seeded; nothing from
// the worker's code.

import type { CustomerProfile, Purchase, SegmentChanged } from '../../shared/contracts/generated.js';
import {
  sampleConsumerProfile,
  samplePurchase,
  sampleSegmentChanged,
} from '../../shared/contracts/samples.js';
import { seededRandom } from './seeded-random.js';

const DAY = 86_400_000;
/** 2026-01-05 00:00 UTC. */
export const TRAFFIC_START = Date.UTC(2026, 0, 5);

export const PRICES: Readonly<Record<string, number>> = {
  beer: 600,
  pizza: 450,
  pasta: 180,
  sauce: 220,
  bread: 250,
  milk: 119,
  coffee: 899,
  prepaid: 1500,
  contract: 3000,
};
const EVERYDAY = ['bread', 'milk', 'coffee', 'pasta', 'beer'];

export interface NextBestOfferTraffic {
  readonly profiles: Array<{ key: string; event: CustomerProfile }>;
  readonly tiers: Array<{ key: string; event: SegmentChanged }>;
  readonly purchases: Array<{ key: string; event: Purchase }>;
}

function sale(customerId: string, n: number, at: number, items: readonly string[]): Purchase {
  const base = samplePurchase();
  return {
    ...base,
    eventId: `${customerId}-p${n}`,
    customerId,
    occurredAt: at,
    lines: items.map((item) => ({
      sku: `sku-${item}`,
      category: item,
      quantity: 1,
      unitPriceMinor: PRICES[item]!,
      marginMinor: Math.round(PRICES[item]! * 0.3),
      kcalPerUnit: null,
      usage: null,
    })),
    channel: 'web',
    storeId: null,
  };
}

export function nextBestOfferTraffic(options: {
  seed: number;
  customers: number;
  days: number;
}): NextBestOfferTraffic {
  const random = seededRandom(options.seed);
  const rng = { next: random };
  const traffic: NextBestOfferTraffic = { profiles: [], tiers: [], purchases: [] };
  for (let c = 0; c < options.customers; c += 1) {
    const customerId = `nbo-${c}`;
    traffic.profiles.push({
      key: customerId,
      event: {
        ...sampleConsumerProfile(),
        eventId: `${customerId}-profile`,
        customerId,
        occurredAt: TRAFFIC_START - DAY,
        marketingConsent: rng.next() < 0.8,
      },
    });
    traffic.tiers.push({
      key: customerId,
      event: {
        ...sampleSegmentChanged(),
        eventId: `${customerId}-tier`,
        customerId,
        occurredAt: TRAFFIC_START - DAY,
        dimension: 'value-tier',
        fromSegment: null,
        toSegment: ['top', 'middle', 'bottom'][c % 3]!,
      },
    });
    let t = TRAFFIC_START + rng.next() * 3 * DAY;
    let n = 0;
    const prepaidBuyer = rng.next() < 0.5;
    let contractAt: number | null = null;
    while (t < TRAFFIC_START + options.days * DAY) {
      const items = new Set<string>([EVERYDAY[Math.floor(rng.next() * EVERYDAY.length)]!]);
      if (rng.next() < 0.5) items.add(EVERYDAY[Math.floor(rng.next() * EVERYDAY.length)]!);
      if (items.has('beer') && rng.next() < 0.7) items.add('pizza');
      if (items.has('pasta') && rng.next() < 0.6) items.add('sauce');
      if (prepaidBuyer && n === 1) {
        items.add('prepaid');
        if (rng.next() < 0.6) contractAt = t + (20 + rng.next() * 20) * DAY;
      }
      if (contractAt !== null && t >= contractAt) {
        items.add('contract');
        contractAt = null;
      }
      traffic.purchases.push({ key: customerId, event: sale(customerId, n, Math.floor(t), [...items]) });
      n += 1;
      t += (1 + rng.next() * 6) * DAY;
    }
  }
  traffic.purchases.sort((a, b) => a.event.occurredAt - b.event.occurredAt);
  return traffic;
}
