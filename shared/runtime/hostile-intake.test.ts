import { describe, expect, it } from 'vitest';
import { HOSTILE_TOPICS, type HostileRecord, hostileCorpus } from '../../test/support/hostile-corpus.js';
import { codecFor } from '../avro/index.js';
import { customerProfilesInput, interactionsInput, purchasesInput } from '../contracts/inputs.js';
import { ReasonCode } from '../contracts/reason-codes.js';
import type { RawRecord } from './raw-record.js';
import { prepareRecord } from './record-intake.js';
import type { InputDefinition } from './worker-definition.js';

// The hostile corpus through the intake alone (no Kafka, no Redis): every kind of bad record
// gets the reason code the corpus says, on every input topic. LATE_EVENT needs stream time and
// is the processor's check: the intake lets that record through.

const T = Date.UTC(2024, 5, 1);
const MAX_RECORD_BYTES = 16_384;
const inputs: Record<string, InputDefinition<unknown>> = {
  purchases: purchasesInput('EUR') as InputDefinition<unknown>,
  'customer-profiles': customerProfilesInput() as InputDefinition<unknown>,
  interactions: interactionsInput() as InputDefinition<unknown>,
};

function raw(r: HostileRecord): RawRecord {
  return {
    topic: `t.${r.topic}`,
    logicalTopic: r.topic,
    partition: 0,
    offset: '0',
    key: r.key,
    value: r.value,
    headers: r.headers,
    timestamp: String(r.timestamp),
  };
}

function reasonOf(r: HostileRecord): string {
  const input = inputs[r.topic]!;
  const codec = codecFor(input.schema);
  const prepared = prepareRecord(raw(r), input, (v) => codec.decode(v), {
    maxRecordBytes: MAX_RECORD_BYTES,
    futureToleranceMs: 86_400_000,
  });
  return prepared.kind === 'rejected' ? prepared.reasonCode : 'accepted';
}

const corpus = (topic: (typeof HOSTILE_TOPICS)[number]) =>
  hostileCorpus(topic, {
    customerId: 'c-000777',
    eventTime: T,
    recordTimestamp: T + 3_600_000,
    lateEventTime: T - 30 * 86_400_000,
    maxRecordBytes: MAX_RECORD_BYTES,
    idPrefix: 'unit',
    seed: 6,
  });

describe('hostile corpus through the record intake', () => {
  for (const topic of HOSTILE_TOPICS) {
    it(`gives every bad ${topic} record its own reason code`, () => {
      const records = corpus(topic);
      const got = records.map((r) => `${r.kind}: ${r.needsStreamTime ? 'accepted' : reasonOf(r)}`);
      const want = records.map((r) => `${r.kind}: ${r.needsStreamTime ? reasonOf(r) : r.reason}`);
      expect(got).toEqual(want);
    });
  }

  it('covers every kind the issue lists, each with a code of its own', () => {
    const byKind = new Map(corpus('purchases').map((r) => [r.kind, r.reason]));
    const expected: Record<string, ReasonCode> = {
      'random-bytes': ReasonCode.AVRO_DECODE,
      truncated: ReasonCode.TRUNCATED_AVRO,
      'other-schema': ReasonCode.WRONG_SCHEMA,
      'unknown-currency': ReasonCode.UNKNOWN_CURRENCY,
      'negative-quantity-sale': ReasonCode.NEGATIVE_QUANTITY,
      'absurd-amount': ReasonCode.ABSURD_AMOUNT,
      'far-future': ReasonCode.FUTURE_EVENT,
      'beyond-lateness': ReasonCode.LATE_EVENT,
      'missing-customer-id': ReasonCode.MISSING_CUSTOMER_ID,
      'huge-line-array': ReasonCode.TOO_MANY_LINES,
      oversized: ReasonCode.OVERSIZED_RECORD,
      'missing-key': ReasonCode.MISSING_KEY,
      'key-mismatch': ReasonCode.KEY_MISMATCH,
    };
    for (const [kind, reason] of Object.entries(expected)) expect(byKind.get(kind), kind).toBe(reason);
    expect(new Set(Object.values(expected)).size).toBe(Object.keys(expected).length);
  });

  it('lets the valid version of each record through (the defect alone rejects it)', () => {
    for (const topic of HOSTILE_TOPICS) {
      const input = inputs[topic]!;
      const codec = codecFor<Record<string, unknown>>(input.schema);
      const valid = corpus(topic).find((r) => r.kind === 'declared-other-schema')!;
      const { 'vs.schema': _declared, ...headers } = valid.headers;
      expect(reasonOf({ ...valid, headers }), topic).toBe('accepted');
      expect(codec.decode(valid.value!).customerId).toBe('c-000777');
    }
  });
});
