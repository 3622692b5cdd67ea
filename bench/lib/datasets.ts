import { SimulatorStream } from '../../services/pos-simulator/cli.js';
import { generateConsumptionTraffic } from '../../services/pos-simulator/consumption.js';
import { PurchaseSimulation } from '../../services/pos-simulator/generate.js';
import { codecFor } from '../../shared/avro/index.js';
import { sampleInteraction, sampleSegmentChanged } from '../../shared/contracts/samples.js';
import { topicCatalogue } from '../../shared/topics.js';

// What the bench feeds the workers, generated once per run and kept in memory (about 220 bytes a
// record). Every record is keyed by customer id, as the product's producers key them.

export interface BenchRecord {
  readonly key: string;
  readonly value: Buffer;
}

/** Logical topic → its records, in the order they are produced. */
export type Dataset = ReadonlyMap<string, readonly BenchRecord[]>;

export interface DatasetOptions {
  readonly seed: number;
  readonly customers: number;
  readonly events: number;
  readonly consumptionCustomers: number;
}

const DAY_MS = 86_400_000;
const YEAR_START = Date.UTC(2024, 0, 1);
const YEAR_MS = 365 * DAY_MS;

function posSimulation(o: DatasetOptions): PurchaseSimulation {
  // The old bench's stream: one year, rates calibrated so that `events` records fall in it,
  // 0.5 % malformed records (dead letters) and 3 % returns, the simulator's defaults.
  return new PurchaseSimulation({
    seed: o.seed,
    customers: o.customers,
    events: o.events,
    startTime: YEAR_START,
    spanMs: YEAR_MS,
  });
}

/** Value segmentation: one year of point-of-sale purchases. */
export function purchasesDataset(o: DatasetOptions): Dataset {
  const sim = posSimulation(o);
  const purchases: BenchRecord[] = [];
  for (let r = sim.next(); r !== undefined; r = sim.next()) purchases.push({ key: r.key, value: r.value });
  return new Map([[topicCatalogue.purchases.name, purchases]]);
}

/**
 * Share of wallet and retention, fed as deploy/demo.sh feeds them: the same point-of-sale year
 * with a profile per customer at its first purchase (--pos-profiles), merged with the
 * consumption-driven traffic of `consumptionCustomers` households and businesses (profiles and
 * grocery purchases, --consumption-customers); plus a value tier per customer at its first
 * record (segment-changes, which value segmentation produces in the demo) and, for retention, a
 * complaint from one customer in 25 (interactions), as test/support/retention-population.ts does.
 */
export function crmDataset(o: DatasetOptions, withInteractions: boolean): Dataset {
  const purchasesTopic = topicCatalogue.purchases.name;
  const profilesTopic = topicCatalogue.customerProfiles.name;
  const consumption =
    o.consumptionCustomers > 0
      ? generateConsumptionTraffic({
          seed: o.seed,
          customers: o.consumptionCustomers,
          startTime: YEAR_START,
          spanDays: 365,
        })
      : null;
  const stream = new SimulatorStream(
    posSimulation(o),
    consumption,
    { purchases: purchasesTopic, profiles: profilesTopic },
    true,
  );
  const purchases: BenchRecord[] = [];
  const profiles: BenchRecord[] = [];
  const firstSeen = new Map<string, number>();
  for (let r = stream.next(); r !== undefined; r = stream.next()) {
    (r.topic === profilesTopic ? profiles : purchases).push({ key: r.key, value: r.value });
    if (!firstSeen.has(r.key)) firstSeen.set(r.key, r.emitAt);
  }
  const tierCodec = codecFor('SegmentChanged');
  const interactionCodec = codecFor('Interaction');
  const tiers: BenchRecord[] = [];
  const interactions: BenchRecord[] = [];
  let i = 0;
  for (const [customerId, at] of firstSeen) {
    tiers.push({
      key: customerId,
      value: tierCodec.encode({
        ...sampleSegmentChanged(),
        eventId: `bench-tier-${customerId}`,
        customerId,
        occurredAt: at,
        fromSegment: null,
        toSegment: ['top', 'middle', 'bottom'][i % 3]!,
        cause: 'purchase',
        causationId: `bench/${i}`,
      }),
    });
    if (withInteractions && i % 25 === 0) {
      interactions.push({
        key: customerId,
        value: interactionCodec.encode({
          ...sampleInteraction(),
          eventId: `bench-complaint-${customerId}`,
          customerId,
          occurredAt: Math.min(at + 120 * DAY_MS, YEAR_START + YEAR_MS - DAY_MS),
          kind: 'COMPLAINT',
          surveyScore: null,
        }),
      });
    }
    i += 1;
  }
  const dataset = new Map<string, readonly BenchRecord[]>([
    [purchasesTopic, purchases],
    [profilesTopic, profiles],
    [topicCatalogue.segmentChanges.name, tiers],
  ]);
  if (withInteractions) dataset.set(topicCatalogue.interactions.name, interactions);
  return dataset;
}

export function recordCount(dataset: Dataset): number {
  let n = 0;
  for (const records of dataset.values()) n += records.length;
  return n;
}
