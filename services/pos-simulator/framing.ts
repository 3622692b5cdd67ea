// Registry framing of what the simulator produces (--framing registry): the way a Kafka shop's
// own point-of-sale producer with a registry serializer writes. Each topic's schema is
// registered under TopicNameStrategy's `<topic>-value` through the runtime's registry client,
// with the same connection settings as the workers (SCHEMA_REGISTRY_URL, basic auth, CA), and
// every value is framed with the returned id. Malformed records are framed too: a registry
// serializer frames whatever body it is handed, so their bodies stay broken and the workers
// still dead-letter them with the reason the simulator expects.

import { defaultSchemas } from '../../shared/avro/index.js';
import type { SchemaRegistrySettings } from '../../shared/config/schema-registry-config.js';
import { ConfigError } from '../../shared/errors.js';
import type { Logger } from '../../shared/observability/logger.js';
import {
  registryClientOf,
  registryConnectionFromEnv,
} from '../../shared/schema-registry/connection-from-env.js';
import {
  registerOutputSchemas,
  startupRetries,
  valueSubject,
} from '../../shared/schema-registry/output-schemas.js';
import { frameValue } from '../../shared/schema-registry/wire-format.js';

export const SIMULATOR_FRAMINGS = ['plain', 'registry'] as const;
export type SimulatorFraming = (typeof SIMULATOR_FRAMINGS)[number];

/** The registry's connection settings from the workers' variables; required for --framing registry. */
export function registrySettingsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): SchemaRegistrySettings {
  const settings = registryConnectionFromEnv(env);
  if (settings === null)
    throw new ConfigError(
      'SCHEMA_REGISTRY_URL',
      'is required with --framing registry (the stack writes it to .stack/env)',
    );
  return settings;
}

/** Frames values by topic with their schema ids; a topic without an id is a programming error. */
export class RecordFramer {
  constructor(private readonly ids: ReadonlyMap<string, number>) {}

  frame<R extends { readonly topic: string; readonly value: Buffer }>(record: R): R {
    const id = this.ids.get(record.topic);
    if (id === undefined) throw new Error(`topic ${record.topic} has no registered schema id`);
    return { ...record, value: frameValue(id, record.value) };
  }

  /** Subject → id, for the start-up log. */
  subjects(): Record<string, number> {
    return Object.fromEntries([...this.ids].map(([topic, id]) => [valueSubject(topic), id]));
  }
}

export interface FramedTopic {
  /** The topic as named on the cluster. */
  readonly topic: string;
  /** Name of our Avro schema of its values. */
  readonly schema: string;
}

/**
 * Registers the topics' schemas (retrying for about 2.5 minutes while the registry is unavailable, as
 * the workers do) and returns their framer. Throws the registry's typed error otherwise.
 */
export async function connectRecordFramer(
  settings: SchemaRegistrySettings,
  topics: readonly FramedTopic[],
  logger: Logger,
): Promise<RecordFramer> {
  const client = registryClientOf(settings);
  try {
    const ids = await registerOutputSchemas(
      client,
      topics.map((t) => ({ clusterTopic: t.topic, schema: defaultSchemas().schema(t.schema).schema })),
      startupRetries(logger),
    );
    return new RecordFramer(ids);
  } finally {
    // The ids are all the simulator needs: nothing is asked of the registry afterwards.
    client.close();
  }
}
