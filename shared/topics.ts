// The topic catalogue: every topic the product reads or writes. Customer-keyed topics share
// one partition count so that partition p of each holds the same customers (co-partitioning).

export interface TopicSpec {
  readonly name: string;
  /** Avro schema name (schemas/<schema>.avsc) of the record values. */
  readonly schema: string | null;
  readonly compacted: boolean;
  readonly doc: string;
}

export const topicCatalogue = {
  purchases: {
    name: 'purchases',
    schema: 'Purchase',
    compacted: false,
    doc: 'Sales and returns from point-of-sale and e-commerce',
  },
  interactions: {
    name: 'interactions',
    schema: 'Interaction',
    compacted: false,
    doc: 'App/web sessions, calls, complaints, surveys, referrals',
  },
  customerProfiles: {
    name: 'customer-profiles',
    schema: 'CustomerProfile',
    compacted: true,
    doc: 'Latest profile per customer (compacted)',
  },
  customerErasures: {
    name: 'customer-erasures',
    schema: 'CustomerErasureRequested',
    compacted: true,
    doc: 'Erasure requests (GDPR article 17), per customer (compacted)',
  },
  segmentChanges: {
    name: 'segment-changes',
    schema: 'SegmentChanged',
    compacted: false,
    doc: 'Value-tier and loyalty-ladder moves',
  },
  underConsumption: {
    name: 'under-consumption',
    schema: 'UnderConsumptionDetected',
    compacted: false,
    doc: 'Share-of-wallet alerts',
  },
  retentionOffers: {
    name: 'retention-offers',
    schema: 'RetentionOfferIssued',
    compacted: false,
    doc: 'Value-tiered retention offers',
  },
  nextBestOffers: {
    name: 'next-best-offers',
    schema: 'NextBestOfferSuggested',
    compacted: false,
    doc: 'Cross-sell and up-sell suggestions',
  },
  erasuresCompleted: {
    name: 'erasures-completed',
    schema: 'ErasureCompleted',
    compacted: false,
    doc: 'One per worker per erasure request it has applied',
  },
} as const satisfies Record<string, TopicSpec>;

export type TopicKey = keyof typeof topicCatalogue;

/** Dead-letter topic of an input topic. */
export function deadLetterTopicOf(topic: string): string {
  return `${topic}.dlq`;
}

/** Every topic to create: the catalogue plus a dead-letter topic per input topic. */
export function allTopicNames(): string[] {
  // Segment changes are an output of value segmentation and an input of the other workers;
  // share-of-wallet alerts an output of share of wallet and an input of next best offer.
  const inputs = [
    topicCatalogue.purchases,
    topicCatalogue.interactions,
    topicCatalogue.customerProfiles,
    topicCatalogue.customerErasures,
    topicCatalogue.segmentChanges,
    topicCatalogue.underConsumption,
  ];
  return [
    ...Object.values(topicCatalogue).map((t) => t.name),
    ...inputs.map((t) => deadLetterTopicOf(t.name)),
  ];
}

/**
 * Topics every worker reads or writes whatever else it does: erasure requests (GDPR article 17)
 * and their dead letters, the completions it writes, and customer profiles (a newer profile
 * re-admits an erased customer).
 */
export function topicsOfEveryWorker(): string[] {
  const { customerErasures, erasuresCompleted, customerProfiles } = topicCatalogue;
  return [
    customerErasures.name,
    deadLetterTopicOf(customerErasures.name),
    erasuresCompleted.name,
    customerProfiles.name,
    deadLetterTopicOf(customerProfiles.name),
  ];
}
