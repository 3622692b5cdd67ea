import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaSecurityFromEnv } from '../../shared/config/runtime-config.js';
import { kafkaConnectionOptions } from '../../shared/config/secure-connections.js';
import { ConfigError } from '../../shared/errors.js';
import { topicCatalogue } from '../../shared/topics.js';
import { type DecisionDecoder, decisionDecoder } from './decision-decoder.js';

// Prints decisions as they are produced, one line each, for the demo. Customer ids are
// shown masked: this is a console, but it should not teach anyone to print personal data.
// A secured cluster: the workers' KAFKA_SSL* / KAFKA_SASL_* variables. Values framed by the
// schema registry (OUTPUT_FRAMING=registry) are read with their writer schema, fetched by id
// from SCHEMA_REGISTRY_URL (and SCHEMA_REGISTRY_USERNAME & co, as the workers); plain ones as
// before.

const { values } = parseArgs({
  options: {
    brokers: { type: 'string', default: process.env.KAFKA_BROKERS ?? '127.0.0.1:19092' },
    prefix: { type: 'string', default: process.env.TOPIC_PREFIX ?? '' },
    'from-beginning': { type: 'boolean', default: false },
    limit: { type: 'string', default: '0' },
  },
});

const watched = [
  topicCatalogue.segmentChanges,
  topicCatalogue.underConsumption,
  topicCatalogue.retentionOffers,
  topicCatalogue.nextBestOffers,
];
const mask = (id: string) => (id.length <= 4 ? '****' : `${id.slice(0, 3)}…${id.slice(-2)}`);
const limit = Number(values.limit);
let printed = 0;

let security: ReturnType<typeof kafkaSecurityFromEnv>;
let decode: DecisionDecoder;
try {
  security = kafkaSecurityFromEnv(process.env);
  decode = decisionDecoder(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`watch-decisions: configuration error: ${error.message}\n`);
  process.exit(2);
}
const kafka = new Kafka({
  clientId: 'valuestream-watch',
  brokers: values.brokers!.split(','),
  logLevel: logLevel.NOTHING,
  ...kafkaConnectionOptions(security),
});
const consumer = kafka.consumer({ groupId: `valuestream-watch-${process.pid}-${Date.now()}` });
await consumer.connect();
await consumer.subscribe({
  topics: watched.map((t) => `${values.prefix}${t.name}`),
  fromBeginning: values['from-beginning'],
});
const stop = async () => {
  await consumer.disconnect().catch(() => undefined);
  decode.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
await consumer.run({
  eachMessage: async ({ topic, message }) => {
    const spec = watched.find((t) => `${values.prefix}${t.name}` === topic)!;
    if (!message.value || !spec.schema) return;
    let event: Record<string, unknown>;
    try {
      event = (await decode(spec.schema, message.value)) as Record<string, unknown>;
    } catch (error) {
      // One unreadable value must not stop the console (kafkajs would retry it forever).
      process.stderr.write(
        `watch-decisions: ${topic} offset ${message.offset}: ${(error as Error).message}\n`,
      );
      return;
    }
    const when = new Date(Number(event.occurredAt)).toISOString().slice(0, 16).replace('T', ' ');
    let line: string;
    if (spec === topicCatalogue.segmentChanges) {
      const evidence = event.evidence as { rankingValueMinor: number; currency: string; rule: string };
      line = `${when}  ${String(event.dimension).padEnd(14)} ${mask(String(event.customerId))}  ${String(event.fromSegment ?? '(new)').padStart(7)} → ${String(event.toSegment).padEnd(7)} ${String(event.cause).padEnd(17)} value ${(evidence.rankingValueMinor / 100).toFixed(2)} ${evidence.currency}`;
    } else if (spec === topicCatalogue.underConsumption) {
      const window = event.window as { windowDays: number };
      const gap = `${(Number(event.gapMinor) / 100).toFixed(2)} ${String(event.currency)}`;
      line = `${when}  ${'share-of-wallet'.padEnd(14)} ${mask(String(event.customerId))}  share ${Number(event.share).toFixed(2)} of ${Math.round(Number(event.expected))} ${String(event.unit)} in ${window.windowDays}d (${String(event.basis)}), gap ${gap}`;
    } else if (spec === topicCatalogue.retentionOffers) {
      const offer = event.offer as { code: string; costCeilingMinor: number } | null;
      const clv =
        event.clvMinor === null
          ? 'n/a'
          : `${(Number(event.clvMinor) / 100).toFixed(2)} ${String(event.currency)}`;
      const treatment = event.holdout ? 'HOLDOUT (no offer, control group)' : (offer?.code ?? 'no offer');
      line = `${when}  ${'retention'.padEnd(14)} ${mask(String(event.customerId))}  ${String(event.valueTier).padEnd(7)} risk ${Number(event.riskScore).toFixed(2)} (${(event.reasons as string[]).join(', ')}) → ${treatment}, CLV ${clv}`;
    } else if (spec === topicCatalogue.nextBestOffers) {
      const suggestions = event.suggestions as Array<{
        item: string;
        kind: string;
        lift: number | null;
        stepShare: number | null;
        expectedValueMinor: number;
      }>;
      const what = suggestions
        .map(
          (s) =>
            `${s.item} (${s.kind.toLowerCase()}${s.lift !== null ? ` lift ${s.lift.toFixed(1)}` : s.stepShare !== null ? ` ${Math.round(s.stepShare * 100)}%` : ''})`,
        )
        .join(', ');
      const treatment = event.holdout ? 'HOLDOUT (not sent, control group)' : what;
      line = `${when}  ${'next-best-offer'.padEnd(14)} ${mask(String(event.customerId))}  ${String(event.valueTier).padEnd(7)} ${String(event.trigger).toLowerCase()} → ${treatment}`;
    } else {
      line = `${when}  ${spec.name.padEnd(14)} ${mask(String(event.customerId))}  ${JSON.stringify(event).slice(0, 120)}`;
    }
    process.stdout.write(`${line}\n`);
    printed += 1;
    if (limit > 0 && printed >= limit) await stop();
  },
});
