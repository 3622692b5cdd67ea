// The hostile-input corpus: for each input topic a worker reads, records with one defect each
// and the reason code the runtime must dead-letter them with (schemas/dead-letter-headers.md).
// Built from the contract samples by a seeded generator, so a run is repeatable; the builder
// only uses the strict Avro codec to make sure an undecodable case really is undecodable,
// never the runtime's classifier it is meant to test.

import { codecFor } from '../../shared/avro/index.js';
import type { CustomerProfile, Interaction, Purchase } from '../../shared/contracts/generated.js';
import { ReasonCode } from '../../shared/contracts/reason-codes.js';
import {
  sampleConsumerProfile,
  sampleInteraction,
  samplePurchase,
  sampleSegmentChanged,
} from '../../shared/contracts/samples.js';
import { topicCatalogue } from '../../shared/topics.js';
import { seededRandom } from './seeded-random.js';

export const HOSTILE_TOPICS = [
  topicCatalogue.purchases.name,
  topicCatalogue.customerProfiles.name,
  topicCatalogue.interactions.name,
] as const;
export type HostileTopic = (typeof HOSTILE_TOPICS)[number];

export interface HostileRecord {
  /** What is wrong with it, e.g. "truncated". */
  readonly kind: string;
  readonly topic: HostileTopic;
  /** The reason code it must be dead-lettered with. */
  readonly reason: ReasonCode;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, Buffer>>;
  /** Kafka record timestamp to produce it with (epoch ms). */
  readonly timestamp: number;
  /** Only stream time makes it bad (LATE_EVENT): the intake alone accepts it. */
  readonly needsStreamTime: boolean;
}

export interface CorpusOptions {
  /** The customer the records are about (their key, unless the defect is the key). */
  readonly customerId: string;
  /** Event time of the records whose defect is not their time: the stream's current time. */
  readonly eventTime: number;
  /** Kafka timestamp to produce them with; FUTURE_EVENT is judged against it. */
  readonly recordTimestamp: number;
  /** For LATE_EVENT: an event time older than stream time minus the allowed lateness. */
  readonly lateEventTime: number;
  /** The worker's MAX_RECORD_BYTES: the oversized record is one byte more than this allows. */
  readonly maxRecordBytes: number;
  /** Tolerance of the worker's future check (FUTURE_TOLERANCE_MS, default one day). */
  readonly futureToleranceMs?: number;
  /** Makes eventIds unique across corpora of one run. */
  readonly idPrefix: string;
  readonly seed: number;
}

export function randomBytes(random: () => number, length: number): Buffer {
  return Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)));
}

/** Bytes of an Avro string: zigzag varint length, then UTF-8. */
function avroStringSize(s: string): number {
  let n = Buffer.byteLength(s) * 2;
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size += 1;
  }
  return size + Buffer.byteLength(s);
}

function strictlyDecodes(schema: string, value: Buffer): boolean {
  try {
    codecFor(schema).decode(value);
    return true;
  } catch {
    return false;
  }
}

type TopicEvent = Purchase | CustomerProfile | Interaction;

interface TopicShape {
  readonly schema: string;
  readonly sample: () => TopicEvent;
  /** A whole record of another catalogue type, as a producer writing to the wrong topic sends. */
  readonly otherSchema: { readonly name: string; readonly value: () => Buffer };
  /** The same event with a text field padded to `bytes` characters, valid in every other way. */
  readonly padded: (event: TopicEvent, bytes: number) => TopicEvent;
}

const SHAPES: Record<HostileTopic, TopicShape> = {
  purchases: {
    schema: 'Purchase',
    sample: samplePurchase,
    otherSchema: {
      name: 'SegmentChanged',
      value: () => codecFor('SegmentChanged').encode(sampleSegmentChanged()),
    },
    padded: (e, bytes) => ({ ...(e as Purchase), channel: 'x'.repeat(bytes) }),
  },
  'customer-profiles': {
    schema: 'CustomerProfile',
    sample: sampleConsumerProfile,
    otherSchema: { name: 'Purchase', value: () => codecFor('Purchase').encode(samplePurchase()) },
    padded: (e, bytes) => ({ ...(e as CustomerProfile), displayName: 'x'.repeat(bytes) }),
  },
  interactions: {
    schema: 'Interaction',
    sample: sampleInteraction,
    otherSchema: { name: 'Purchase', value: () => codecFor('Purchase').encode(samplePurchase()) },
    padded: (e, bytes) => ({ ...(e as Interaction), channel: 'x'.repeat(bytes) }),
  },
};

/** One record of every defect for `topic`, each with the reason code it must get. */
export function hostileCorpus(topic: HostileTopic, options: CorpusOptions): HostileRecord[] {
  const shape = SHAPES[topic];
  const codec = codecFor<TopicEvent>(shape.schema);
  const random = seededRandom(options.seed);
  const customerKey = Buffer.from(options.customerId);
  let n = 0;
  const event = (changes: Partial<TopicEvent> = {}): TopicEvent => {
    n += 1;
    return {
      ...shape.sample(),
      eventId: `${options.idPrefix}-${topic}-${n}`,
      customerId: options.customerId,
      occurredAt: options.eventTime,
      ...changes,
    } as TopicEvent;
  };
  const valid = () => codec.encode(event());
  const records: HostileRecord[] = [];
  const add = (
    kind: string,
    reason: ReasonCode,
    value: Buffer | null,
    extra: { key?: Buffer | null; headers?: Record<string, Buffer>; needsStreamTime?: boolean } = {},
  ) => {
    records.push({
      kind,
      topic,
      reason,
      key: extra.key === undefined ? customerKey : extra.key,
      value,
      headers: { 'x-hostile-kind': Buffer.from(kind), ...extra.headers },
      timestamp: options.recordTimestamp,
      needsStreamTime: extra.needsStreamTime ?? false,
    });
  };
  const undecodable = (kind: string, value: Buffer): Buffer => {
    if (strictlyDecodes(shape.schema, value))
      throw new Error(`corpus ${topic}/${kind} decodes as ${shape.schema}`);
    return value;
  };

  // --- bytes that are not (this) Avro ---
  for (const length of [1, 7, 33, 64]) {
    add('random-bytes', ReasonCode.AVRO_DECODE, undecodable('random-bytes', randomBytes(random, length)));
  }
  add('empty-value', ReasonCode.AVRO_DECODE, null);
  {
    // A flipped byte where the record's first enum sits: an index no symbol has.
    const e = event();
    const bytes = Buffer.from(codec.encode(e));
    const enumAt = avroStringSize(e.eventId) + avroStringSize(e.customerId) + zigzagSize(e.occurredAt);
    bytes[enumAt] = 0x7e; // index 63
    add('corrupted-enum', ReasonCode.AVRO_DECODE, undecodable('corrupted-enum', bytes));
  }
  {
    // Cut after the two ids (the envelope) at a few places: the buffer ends inside a value.
    const e = event();
    const full = codec.encode(e);
    const envelope = avroStringSize(e.eventId) + avroStringSize(e.customerId);
    for (const share of [0, 0.5, 0.95]) {
      const cut = envelope + Math.floor(share * (full.length - 1 - envelope));
      add(
        'truncated',
        ReasonCode.TRUNCATED_AVRO,
        undecodable('truncated', Buffer.from(full.subarray(0, cut))),
      );
    }
  }
  add('other-schema', ReasonCode.WRONG_SCHEMA, undecodable('other-schema', shape.otherSchema.value()));
  add(
    'newer-schema',
    ReasonCode.WRONG_SCHEMA,
    // A field appended by a newer writer schema (a string), unknown to this reader.
    undecodable('newer-schema', Buffer.concat([valid(), Buffer.from([0x08]), Buffer.from('v2-x')])),
  );
  add(
    'registry-framed',
    ReasonCode.WRONG_SCHEMA,
    undecodable('registry-framed', Buffer.concat([Buffer.from([0, 0, 0, 0, 42]), valid()])),
  );
  add('declared-other-schema', ReasonCode.WRONG_SCHEMA, valid(), {
    headers: { 'vs.schema': Buffer.from(shape.otherSchema.name) },
  });

  // --- keys and ids ---
  add('missing-key', ReasonCode.MISSING_KEY, valid(), { key: null });
  add('empty-key', ReasonCode.MISSING_KEY, valid(), { key: Buffer.alloc(0) });
  add('key-mismatch', ReasonCode.KEY_MISMATCH, valid(), { key: Buffer.from(`${options.customerId}-other`) });
  add('missing-customer-id', ReasonCode.MISSING_CUSTOMER_ID, codec.encode(event({ customerId: '' })));
  add('blank-customer-id', ReasonCode.MISSING_CUSTOMER_ID, codec.encode(event({ customerId: '  ' })));

  // --- time and size ---
  const tolerance = options.futureToleranceMs ?? 86_400_000;
  add(
    'far-future',
    ReasonCode.FUTURE_EVENT,
    codec.encode(event({ occurredAt: options.recordTimestamp + tolerance + 30 * 86_400_000 })),
  );
  if (topic === 'purchases') {
    // Tables (profiles, interactions) are applied on arrival and never late.
    add(
      'beyond-lateness',
      ReasonCode.LATE_EVENT,
      codec.encode(event({ occurredAt: options.lateEventTime })),
      {
        needsStreamTime: true,
      },
    );
  }
  {
    const base = event();
    const overhead = codec.encode(shape.padded(base, 0)).length + customerKey.length;
    const oversized = codec.encode(shape.padded(base, options.maxRecordBytes - overhead + 1));
    add('oversized', ReasonCode.OVERSIZED_RECORD, oversized);
  }

  // --- valid Avro, bad meaning (purchases) ---
  if (topic === 'purchases') {
    const p = () => event() as Purchase;
    const line = samplePurchase().lines[0]!;
    add('unknown-currency', ReasonCode.UNKNOWN_CURRENCY, codec.encode({ ...p(), currency: 'ZZZ' }));
    add('currency-mismatch', ReasonCode.CURRENCY_MISMATCH, codec.encode({ ...p(), currency: 'USD' }));
    add(
      'negative-quantity-sale',
      ReasonCode.NEGATIVE_QUANTITY,
      codec.encode({ ...p(), kind: 'SALE', lines: [{ ...line, quantity: -2 }] }),
    );
    add(
      'zero-quantity-sale',
      ReasonCode.NEGATIVE_QUANTITY,
      codec.encode({ ...p(), kind: 'SALE', lines: [{ ...line, quantity: 0 }] }),
    );
    add(
      'absurd-amount',
      ReasonCode.ABSURD_AMOUNT,
      codec.encode({ ...p(), lines: [{ ...line, quantity: 1, unitPriceMinor: 10 ** 13 }] }),
    );
    add(
      'negative-price',
      ReasonCode.ABSURD_AMOUNT,
      codec.encode({ ...p(), lines: [{ ...line, unitPriceMinor: -100 }] }),
    );
    const tiny = { ...line, sku: 'S', category: 'c', marginMinor: null, kcalPerUnit: null, usage: null };
    const huge = codec.encode({ ...p(), lines: Array.from({ length: 501 }, () => tiny) });
    if (huge.length + customerKey.length > options.maxRecordBytes)
      throw new Error('maxRecordBytes too small for 501 lines');
    add('huge-line-array', ReasonCode.TOO_MANY_LINES, huge);
  }
  return records;
}

function zigzagSize(n: number): number {
  let z = n >= 0 ? 2 * n : -2 * n - 1;
  let size = 1;
  while (z >= 128) {
    z = Math.floor(z / 128);
    size += 1;
  }
  return size;
}
