import { ReasonCode } from '../contracts/reason-codes.js';
import { RejectedRecordError, ValuestreamError } from '../errors.js';
import { type RawRecord, UNDECODABLE_BATCH_HEADER } from './raw-record.js';
import { declaredSchemaMismatch, diagnoseUndecodable, SCHEMA_HEADER } from './undecodable.js';
import type { InputDefinition, InputRecord } from './worker-definition.js';

/**
 * Decodes an input value; throws on undecodable bytes (message free of record content): a
 * RejectedRecordError carries its own reason code, a retriable error retries the step.
 */
export type ValueDecoder = (value: Buffer) => unknown;

export interface IntakeLimits {
  readonly maxRecordBytes: number;
  readonly futureToleranceMs: number;
}

export type PreparedRecord<E> =
  | { readonly kind: 'event'; readonly record: RawRecord; readonly input: InputRecord<E> }
  | {
      readonly kind: 'rejected';
      readonly record: RawRecord;
      readonly reasonCode: string;
      readonly message: string;
    };

/**
 * Everything that can be checked about a record without state: size, key, declared schema, Avro
 * (undecodable values classified by shared/runtime/undecodable.ts), meaning,
 * and event time against the record's own timestamp (not the wall clock, so a replay
 * rejects exactly what the live run rejected). Lateness needs stream time: the processor.
 */
export function prepareRecord<E>(
  record: RawRecord,
  input: InputDefinition<E>,
  decode: ValueDecoder,
  limits: IntakeLimits,
): PreparedRecord<E> {
  const reject = (reasonCode: string, message: string): PreparedRecord<E> => ({
    kind: 'rejected',
    record,
    reasonCode,
    message,
  });
  // A stand-in for a record of a batch the consumer could not decompress: its value is the batch.
  const unreadable = record.headers[UNDECODABLE_BATCH_HEADER];
  if (unreadable !== undefined) return reject(ReasonCode.UNDECODABLE_BATCH, unreadable.toString());
  const size = (record.value?.length ?? 0) + (record.key?.length ?? 0);
  if (size > limits.maxRecordBytes)
    return reject(ReasonCode.OVERSIZED_RECORD, `record of ${size} bytes exceeds ${limits.maxRecordBytes}`);
  if (record.value === null || record.value.length === 0)
    return reject(ReasonCode.AVRO_DECODE, 'record has no value');
  if (record.key === null || record.key.length === 0)
    return reject(ReasonCode.MISSING_KEY, 'record has no key (customerId expected)');
  // A producer that names another schema is believed, whatever the bytes would decode as.
  const declared = declaredSchemaMismatch(record.headers[SCHEMA_HEADER], input.schema);
  if (declared) return reject(declared.reasonCode, declared.message);
  let event: E;
  try {
    event = decode(record.value) as E;
  } catch (error) {
    // The decoder's own verdict (schema-registry framing: unknown id, incompatible writer, ...).
    if (error instanceof RejectedRecordError) return reject(error.reasonCode, error.message);
    // Not the record's fault (a writer schema not fetched yet): the step is retried, nothing parked.
    if (error instanceof ValuestreamError && error.retriable) throw error;
    const diagnosis = diagnoseUndecodable(record.value, input.schema, (error as Error).message);
    return reject(diagnosis.reasonCode, diagnosis.message);
  }
  const rejection = input.validate(event);
  if (rejection) return reject(rejection.reasonCode, rejection.message);
  const customerId = input.customerIdOf(event);
  if (record.key.toString('utf8') !== customerId)
    return reject(ReasonCode.KEY_MISMATCH, 'record key differs from its customerId');
  const eventTime = input.eventTimeOf(event);
  const recordTime = Number(record.timestamp);
  if (Number.isFinite(recordTime) && eventTime > recordTime + limits.futureToleranceMs) {
    return reject(
      ReasonCode.FUTURE_EVENT,
      `event time is ${eventTime - recordTime} ms after the record timestamp`,
    );
  }
  return {
    kind: 'event',
    record,
    input: {
      source: { topic: record.logicalTopic, partition: record.partition, offset: record.offset },
      customerId,
      eventTime,
      event,
    },
  };
}
