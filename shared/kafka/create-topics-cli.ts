// npx tsx shared/kafka/create-topics-cli.ts
// Env: KAFKA_BROKERS (required), TOPIC_PARTITIONS (default 12), TOPIC_REPLICATION_FACTOR (default 1),
// TOPIC_PREFIX (default none: the catalogue's names), and the workers' KAFKA_SSL* / KAFKA_SASL_*.
// Exit code 0 when every topic exists afterwards, 2 on a configuration error, 1 otherwise (the
// reason on stderr).
import { kafkaSecurityFromEnv } from '../config/runtime-config.js';
import { ConfigError } from '../errors.js';
import { createTopics, topicSettingsFromEnv } from './create-topics.js';

async function main(): Promise<void> {
  const settings = topicSettingsFromEnv(process.env);
  const result = await createTopics({ ...settings, security: kafkaSecurityFromEnv(process.env) });
  const shape = `${settings.partitions} partitions, replication factor ${settings.replicationFactor}`;
  for (const topic of result.created) process.stderr.write(`topics: created ${topic} (${shape})\n`);
  if (result.existing.length > 0) {
    process.stderr.write(`topics: already present: ${result.existing.join(', ')}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`topics: error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = error instanceof ConfigError ? 2 : 1;
});
