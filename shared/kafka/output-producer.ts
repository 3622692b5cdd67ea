import type { Kafka, Producer } from 'kafkajs';
import type { RuntimeEvents } from '../runtime/runtime-events.js';
import type { OutboxEntry } from '../runtime/state-store.js';

/**
 * Produces outbox entries with one sendBatch per batch (kafkajs has no linger: every send is a
 * request, PITFALLS 9). Idempotent, acks from all in-sync replicas.
 */
export class OutputProducer {
  private readonly producer: Producer;

  constructor(
    kafka: Kafka,
    private readonly events: RuntimeEvents,
  ) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    this.producer.on(this.producer.events.REQUEST, (e) => {
      if (e.payload.apiName === 'Produce') this.produceRequests += 1;
    });
  }

  /** Produce requests sent to brokers so far (one per broker per batch, PITFALLS 9). */
  produceRequests = 0;

  connect(): Promise<void> {
    return this.producer.connect();
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }

  async produce(entries: readonly OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const started = performance.now();
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
    await this.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
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
