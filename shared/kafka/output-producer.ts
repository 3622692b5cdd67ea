import kafkajs, { type Kafka, type Producer } from 'kafkajs';
import type { RuntimeEvents } from '../runtime/runtime-events.js';
import type { OutboxEntry } from '../runtime/state-store.js';
import { PartitionLedger, sendBatchCompletely } from './complete-send.js';

export type OutputCompression = 'none' | 'gzip' | 'snappy';

// kafkajs is CommonJS: Node's ESM loader does not see CompressionTypes as a named export.
const { CompressionTypes } = kafkajs;

const COMPRESSION: Record<OutputCompression, kafkajs.CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
};

/**
 * Produces outbox entries with one sendBatch per batch (kafkajs has no linger: every send is a
 * request, PITFALLS 9). Idempotent, acks from all in-sync replicas.
 */
export class OutputProducer {
  private producer: Producer;
  /** Which partition each message went to, to check kafkajs's answer against (complete-send.ts). */
  private readonly ledger = new PartitionLedger();

  constructor(
    private readonly kafka: Kafka,
    private readonly events: RuntimeEvents,
    private readonly options: {
      /** Most bytes of keys, values and headers in one produce request (below message.max.bytes). */
      readonly maxRequestBytes?: number;
      /** OUTPUT_COMPRESSION (the snappy codec comes from compression.ts). */
      readonly compression?: OutputCompression;
      /** Told when the producer was replaced because its sequence numbers were lost (for a log line). */
      readonly onReplaced?: (reason: string) => void;
      /** Told how many messages kafkajs reported sent but no leader acknowledged, sent again (complete-send.ts). */
      readonly onResent?: (messages: number) => void;
    } = {},
  ) {
    this.maxRequestBytes = options.maxRequestBytes ?? 768 * 1024;
    this.compression = COMPRESSION[options.compression ?? 'none'];
    this.producer = this.newProducer();
  }

  private newProducer(): Producer {
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: this.ledger.createPartitioner,
    });
    producer.on(producer.events.REQUEST, (e) => {
      if (e.payload.apiName === 'Produce') this.produceRequests += 1;
    });
    return producer;
  }

  private readonly maxRequestBytes: number;
  private readonly compression: kafkajs.CompressionTypes;

  /** Produce requests sent to brokers so far (one per broker per batch, PITFALLS 9). */
  produceRequests = 0;

  private async sendChunk(entries: readonly OutboxEntry[]): Promise<void> {
    const byTopic = new Map<
      string,
      Array<{ key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer> }>
    >();
    for (const entry of entries) {
      const headers: Record<string, Buffer> = {};
      for (const [name, value] of Object.entries(entry.headers)) headers[name] = Buffer.from(value, 'base64');
      const list = byTopic.get(entry.topic) ?? [];
      list.push({
        key: entry.key === null ? null : Buffer.from(entry.key, 'base64'),
        value: entry.value === null ? null : Buffer.from(entry.value, 'base64'),
        headers,
      });
      byTopic.set(entry.topic, list);
    }
    await (this.connection ?? this.connect());
    await sendBatchCompletely(
      this.producer,
      this.ledger,
      {
        acks: -1,
        compression: this.compression,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      },
      { onResend: (messages) => this.options.onResent?.(messages) },
    );
  }

  /** The current producer's connection (null: not connected, or its connect failed). */
  private connection: Promise<void> | null = null;

  connect(): Promise<void> {
    const producer = this.producer;
    const connecting = producer.connect().catch((error: unknown) => {
      if (this.producer === producer) this.connection = null;
      throw error;
    });
    this.connection = connecting;
    return connecting;
  }

  /** A new producer (new id, sequences from 0) in place of one whose sequence the broker lost. */
  private async replace(reason: string): Promise<void> {
    const old = this.producer;
    this.producer = this.newProducer();
    this.options.onReplaced?.(reason);
    this.connection = null;
    await old.disconnect().catch(() => undefined);
    // If this fails, the next send connects it.
    await this.connect().catch(() => undefined);
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }

  async produce(entries: readonly OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const started = performance.now();
    // One sendBatch per batch (PITFALLS 9), but no request may carry a record batch larger than
    // the broker's message.max.bytes (1 MiB by default): a step that decides thousands of events
    // (a population refresh) is cut into requests of at most maxRequestBytes.
    try {
      for (const chunk of chunksOfBytes(entries, this.maxRequestBytes)) await this.sendChunk(chunk);
    } catch (error) {
      const lost = producerSequenceLost(error);
      if (lost !== null) await this.replace(lost);
      throw error;
    }
    this.events.emit('outputsProduced', {
      entries: entries.map((e) => ({
        topic: e.topic,
        decisionKind: e.decisionKind,
        ...(e.decisionLabel === undefined ? {} : { decisionLabel: e.decisionLabel }),
        ...(e.causedAtEventTime === undefined ? {} : { causedAtEventTime: e.causedAtEventTime }),
      })),
      durationMs: performance.now() - started,
    });
  }
}

/**
 * Why the idempotent producer can send nothing any more, or null. After a partition leader dies
 * with a batch in flight, the new leader may answer OUT_OF_ORDER_SEQUENCE_NUMBER to every retry:
 * kafkajs keeps the producer id and its sequence numbers, so each step's produce failed the same
 * way and the worker stood still (the three-broker fault scenario). A new producer gets a new id.
 */
const SEQUENCE_LOST = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
]);

export function producerSequenceLost(error: unknown): string | null {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; depth++) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string' && SEQUENCE_LOST.has(type)) return type;
    e = (e as { cause?: unknown }).cause ?? (e as { originalError?: unknown }).originalError;
  }
  return null;
}

/** Approximate encoded size of an entry: its key, value and headers (base64 is 4/3 of the bytes). */
function sizeOf(entry: OutboxEntry): number {
  let base64 = (entry.key?.length ?? 0) + (entry.value?.length ?? 0);
  for (const [name, value] of Object.entries(entry.headers)) base64 += name.length + value.length;
  return Math.ceil((base64 * 3) / 4) + 64;
}

/** Consecutive chunks of at most `maxBytes` each (an entry larger than that goes alone). */
export function chunksOfBytes(entries: readonly OutboxEntry[], maxBytes: number): OutboxEntry[][] {
  const chunks: OutboxEntry[][] = [];
  let current: OutboxEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = sizeOf(entry);
    if (current.length > 0 && bytes + size > maxBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
