// npx tsx shared/kafka/create-topics-cli.ts
// Env: KAFKA_BROKERS (required), TOPIC_PARTITIONS (default 12), TOPIC_REPLICATION_FACTOR (default 1),
// TOPIC_PREFIX (default none: the catalogue's names).
// Exit code 0 when every topic exists afterwards, 1 otherwise (the reason on stderr).
import { createTopics, topicSettingsFromEnv } from './create-topics.js';

async function main(): Promise<void> {
  const settings = topicSettingsFromEnv(process.env);
  const result = await createTopics(settings);
  const shape = `${settings.partitions} partitions, replication factor ${settings.replicationFactor}`;
  for (const topic of result.created) process.stderr.write(`topics: created ${topic} (${shape})\n`);
  if (result.existing.length > 0) {
    process.stderr.write(`topics: already present: ${result.existing.join(', ')}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`topics: error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
