import kafkajs, {
  type ICustomPartitioner,
  type Message,
  type Producer,
  type ProducerBatch,
  type RecordMetadata,
  type TopicMessages,
} from 'kafkajs';
import { ValuestreamError } from '../errors.js';

// kafkajs is CommonJS: Node's ESM loader does not see Partitioners as a named export.
const { Partitioners } = kafkajs;

/**
 * kafkajs's sendBatch can resolve without having sent every message. When a request to one
 * broker fails, its retry sends only to brokers that have not answered within the same call: if
 * a partition that broker led has moved to a broker that already answered (for its own
 * partitions), that partition's messages are never sent, and sendBatch resolves as if they had
 * been (seen in the three-broker fault run: a step's dead letters produced, its segment changes to
 * the same partition number gone, after the leader was SIGKILLed; kafkajs #1798 is about the same
 * answer map kept across retries). So each message's partition is noted as kafkajs's default
 * partitioner picks it, and after sendBatch every message whose topic-partition the answer does
 * not acknowledge is sent again, to that partition.
 */
export class PartitionLedger {
  private readonly chosen = new WeakMap<Message, number>();

  /** For kafka.producer({ createPartitioner }): kafkajs's default partitioner, noting each choice. */
  readonly createPartitioner: ICustomPartitioner = () => {
    const partitioner = Partitioners.DefaultPartitioner();
    return (args) => {
      const partition = partitioner(args);
      this.chosen.set(args.message, partition);
      return partition;
    };
  };

  /** The partition kafkajs's partitioner last picked for this message object (undefined: never asked). */
  partitionOf(message: Message): number | undefined {
    return this.chosen.get(message);
  }
}

/** Messages of a sendBatch that kafkajs reported as sent, but no broker acknowledged, resend after resend. */
export class OutputsNotAcknowledgedError extends ValuestreamError {
  constructor(readonly unacknowledged: number) {
    super(
      'OUTPUTS_NOT_ACKNOWLEDGED',
      `${unacknowledged} message(s) of a batch were never acknowledged by a partition leader`,
      { retriable: true },
    );
  }
}

export interface CompleteSendOptions {
  /** Sends of the unacknowledged messages before giving up with OutputsNotAcknowledgedError. */
  readonly maxResends?: number;
  /** Told how many messages are sent again (for a log line). */
  readonly onResend?: (messages: number) => void;
}

const topicPartition = (topic: string, partition: number): string => `${partition}\u0000${topic}`;

/**
 * sendBatch, then again for whatever the answer did not acknowledge, until every message's
 * topic-partition is acknowledged. `producer` must have been made with `ledger.createPartitioner`.
 */
export async function sendBatchCompletely(
  producer: Pick<Producer, 'sendBatch'>,
  ledger: PartitionLedger,
  batch: ProducerBatch & { readonly topicMessages: TopicMessages[] },
  options: CompleteSendOptions = {},
): Promise<RecordMetadata[]> {
  const maxResends = options.maxResends ?? 5;
  const acknowledged: RecordMetadata[] = [];
  let pending = batch.topicMessages;
  for (let resends = 0; ; resends++) {
    const answer = await producer.sendBatch({ ...batch, topicMessages: pending });
    acknowledged.push(...answer);
    const unsent = unacknowledged(pending, answer, ledger);
    if (unsent.length === 0) return acknowledged;
    const count = unsent.reduce((sum, t) => sum + t.messages.length, 0);
    if (resends >= maxResends) throw new OutputsNotAcknowledgedError(count);
    options.onResend?.(count);
    pending = unsent;
  }
}

/**
 * The messages whose topic-partition has no error-free entry in the answer, each pinned to the
 * partition it was meant for (a keyless message must not move to a partition that answered).
 * A message the partitioner never saw counts as not sent.
 */
export function unacknowledged(
  sent: readonly TopicMessages[],
  answer: readonly RecordMetadata[],
  ledger: PartitionLedger,
): TopicMessages[] {
  const acked = new Set(
    answer.filter((m) => m.errorCode === 0).map((m) => topicPartition(m.topicName, m.partition)),
  );
  const result: TopicMessages[] = [];
  for (const { topic, messages } of sent) {
    const missing: Message[] = [];
    for (const message of messages) {
      const partition = ledger.partitionOf(message);
      if (partition !== undefined && acked.has(topicPartition(topic, partition))) continue;
      missing.push(partition === undefined ? message : { ...message, partition });
    }
    if (missing.length > 0) result.push({ topic, messages: missing });
  }
  return result;
}
