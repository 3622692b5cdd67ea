/** An input record as fetched from Kafka, before decoding. Independent of the Kafka client. */
export interface RawRecord {
  /** Topic name as on the cluster (with any prefix). */
  readonly topic: string;
  /** Logical topic name from the catalogue (without prefix); used in causation ids. */
  readonly logicalTopic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, Buffer | string | undefined>>;
  /** Kafka record timestamp (CreateTime), epoch ms as a string. */
  readonly timestamp: string;
}

/**
 * Header the Kafka layer sets on the stand-ins for the records of a batch it could not decompress
 * (shared/kafka/undecodable-batch.ts): why. The runtime dead-letters them as UNDECODABLE_BATCH.
 */
export const UNDECODABLE_BATCH_HEADER = 'vs.consumer.undecodable-batch';
