// Reason codes of dead-lettered input records (header `vs.dlt.reason`), documented in
// schemas/dead-letter-headers.md. Stable strings: dashboards and alerts key on them.
// Until issue 6, AVRO_DECODE also covered truncated Avro and trailing bytes, and INVALID_FIELD
// an empty customerId: those now have codes of their own (TRUNCATED_AVRO, WRONG_SCHEMA,
// MISSING_CUSTOMER_ID). An alert on "undecodable input" should sum the three Avro codes.

export const ReasonCode = {
  /** The value is not Avro of the topic's schema (random bytes, corrupted bytes, no value at all). */
  AVRO_DECODE: 'AVRO_DECODE',
  /** Avro of the topic's schema cut short: the buffer ends inside a value after a well-formed start. */
  TRUNCATED_AVRO: 'TRUNCATED_AVRO',
  /** Avro of another schema: a whole record of another catalogue type, bytes left after a whole record, registry framing, or a `vs.schema` header naming another schema. */
  WRONG_SCHEMA: 'WRONG_SCHEMA',
  /** A schema-registry framed value (magic byte 0, 4-byte schema id) whose id the registry does not know (404). */
  UNKNOWN_SCHEMA_ID: 'UNKNOWN_SCHEMA_ID',
  /** A framed value whose writer schema cannot be resolved against the topic's schema (Avro schema resolution refuses the pair, or it is not Avro). */
  INCOMPATIBLE_WRITER_SCHEMA: 'INCOMPATIBLE_WRITER_SCHEMA',
  /** A value without the schema-registry frame on a topic read with INPUT_FRAMING registry. */
  NOT_REGISTRY_FRAMED: 'NOT_REGISTRY_FRAMED',
  /** The record's batch could not be decompressed (corrupt, or a codec or frame the consumer cannot read): each of its records is dead-lettered, the first with the batch's bytes as Kafka stored them. */
  UNDECODABLE_BATCH: 'UNDECODABLE_BATCH',
  /** The record has no key; input topics are keyed by customerId. */
  MISSING_KEY: 'MISSING_KEY',
  /** The record key differs from the event's customerId. */
  KEY_MISMATCH: 'KEY_MISMATCH',
  /** The event's customerId is empty or blank: the record belongs to no customer. */
  MISSING_CUSTOMER_ID: 'MISSING_CUSTOMER_ID',
  /** A field breaks the contract: empty eventId, over-long id, time before 2000-01-01, score out of range, ... */
  INVALID_FIELD: 'INVALID_FIELD',
  /** The currency is not an active ISO 4217 code. */
  UNKNOWN_CURRENCY: 'UNKNOWN_CURRENCY',
  /** The currency is valid but not the pipeline's value currency (no FX conversion is done). */
  CURRENCY_MISMATCH: 'CURRENCY_MISMATCH',
  /** A line quantity is zero or negative (returns carry positive quantities too). */
  NEGATIVE_QUANTITY: 'NEGATIVE_QUANTITY',
  /** A negative unit price, or a line amount or total beyond 10^12 minor units. */
  ABSURD_AMOUNT: 'ABSURD_AMOUNT',
  /** More than the allowed number of lines (500) in one purchase. */
  TOO_MANY_LINES: 'TOO_MANY_LINES',
  /** Event time too far ahead of the record's timestamp (checked by the runtime). */
  FUTURE_EVENT: 'FUTURE_EVENT',
  /** Event time older than stream time minus the allowed lateness (checked by the runtime). */
  LATE_EVENT: 'LATE_EVENT',
  /** The record is larger than the runtime accepts. */
  OVERSIZED_RECORD: 'OVERSIZED_RECORD',
  /** The worker's decision for the record failed or cannot be stored (it threw; a non-finite index score, a non-integer counter delta, a non-finite timer): a defect of the worker, parked so that the partition goes on. */
  INVALID_DECISION: 'INVALID_DECISION',
} as const;

export type ReasonCode = (typeof ReasonCode)[keyof typeof ReasonCode];

/** Every reason code, in documentation order. */
export const REASON_CODES: readonly ReasonCode[] = Object.values(ReasonCode);

export function isReasonCode(value: string): value is ReasonCode {
  return (REASON_CODES as readonly string[]).includes(value);
}
