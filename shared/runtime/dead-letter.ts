import type { RawRecord } from './raw-record.js';
import type { OutboxEntry } from './state-store.js';

/**
 * Builds the dead letter of a record: original key, value and headers kept byte for byte,
 * plus our own `vs.dlt.*` headers modelled on Kafka Connect's `__connect.errors.*` and
 * Spring's `kafka_dlt-*` (see schemas/dead-letter-headers.md). Messages must already be free
 * of personal data: they describe the failure, never the record's content.
 */
export function deadLetterEntry(args: {
  record: RawRecord;
  deadLetterTopic: string;
  reasonCode: string;
  message: string;
  worker: string;
  consumerGroup: string;
  failedAt: number;
}): OutboxEntry {
  const { record } = args;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(record.headers)) {
    if (value === undefined) continue;
    headers[name] = Buffer.from(value).toString('base64');
  }
  const ours: Record<string, string> = {
    'vs.dlt.reason': args.reasonCode,
    'vs.dlt.message': args.message,
    'vs.dlt.original.topic': record.topic,
    'vs.dlt.original.partition': String(record.partition),
    'vs.dlt.original.offset': record.offset,
    'vs.dlt.original.timestamp': record.timestamp,
    'vs.dlt.consumer.group': args.consumerGroup,
    'vs.dlt.worker': args.worker,
    'vs.dlt.failed.at': String(args.failedAt),
  };
  for (const [name, value] of Object.entries(ours)) headers[name] = Buffer.from(value).toString('base64');
  return {
    topic: args.deadLetterTopic,
    key: record.key === null ? null : record.key.toString('base64'),
    value: record.value === null ? null : record.value.toString('base64'),
    headers,
    decisionKind: 'dead-letter',
    decisionLabel: args.reasonCode,
  };
}
