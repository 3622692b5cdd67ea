import { defaultSchemas } from '../avro/index.js';
import type { SchemaRegistrySettings } from '../config/schema-registry-config.js';
import type { Logger } from '../observability/logger.js';
import type { RuntimeEvents } from '../runtime/runtime-events.js';
import type { WorkerDefinition } from '../runtime/worker-definition.js';
import { topicCatalogue } from '../topics.js';
import { FramedInputs, type InputFraming } from './input-framing.js';
import { type OutputSchema, registerOutputSchemas, startupRetries, valueSubject } from './output-schemas.js';
import { RegistryClient } from './registry-client.js';
import { frameValue } from './wire-format.js';
import { WriterSchemaCache } from './writer-schemas.js';

// What a worker needs of the schema registry, set up in one place at start-up (README "Schema
// registry"): with SCHEMA_REGISTRY_URL, its output schemas registered under <topic>-value and a
// writer-schema cache for framed inputs; the decoders of its inputs by framing; the value to
// produce for an output. Without a registry every framing is plain and nothing is asked.

export interface WorkerSchemaRegistry {
  readonly inputs: FramedInputs;
  /** The value to produce for an output body: framed with its topic's id when outputs are framed. */
  outputValue(clusterTopic: string, body: Buffer): Buffer;
  close(): void;
}

export interface WorkerSchemaRegistryOptions {
  readonly settings: SchemaRegistrySettings | null;
  readonly outputFraming: 'plain' | 'registry';
  /** Framing per input topic as named on the cluster. */
  readonly inputFraming: ReadonlyMap<string, InputFraming>;
  /** Catalogue name → name on the cluster (TOPIC_PREFIX). */
  readonly clusterTopic: (logical: string) => string;
  readonly outputTopics: readonly string[];
  readonly events: RuntimeEvents;
  readonly logger: Logger;
}

/**
 * Connects to the registry (when configured) and registers the output schemas. Throws
 * IncompatibleSchemaError (naming the subject), RegistryRejectedError or, after about 2.5 minutes of
 * retries, RegistryUnavailableError: start-up must stop.
 */
export async function startWorkerSchemaRegistry(
  options: WorkerSchemaRegistryOptions,
): Promise<WorkerSchemaRegistry> {
  const { settings, events, logger } = options;
  if (settings === null) {
    return {
      inputs: new FramedInputs(options.inputFraming, null),
      outputValue: (_, body) => body,
      close: () => undefined,
    };
  }
  const client = new RegistryClient({
    url: settings.url,
    ...(settings.username === undefined ? {} : { username: settings.username }),
    ...(settings.password === undefined ? {} : { password: settings.password }),
    ...(settings.ca === undefined ? {} : { ca: settings.ca }),
    timeoutMs: settings.timeoutMs,
    onRequest: (operation, outcome, seconds) =>
      events.emit('schemaRegistryRequest', { operation, outcome, seconds }),
  });
  const outputs = options.outputTopics.map(
    (topic): OutputSchema => ({
      clusterTopic: options.clusterTopic(topic),
      schema: defaultSchemas().schema(schemaOf(topic)).schema,
    }),
  );
  let ids: Map<string, number>;
  try {
    ids = await registerOutputSchemas(client, outputs, startupRetries(logger));
  } catch (error) {
    client.close();
    throw error;
  }
  logger.info(
    {
      url: client.describe(),
      subjects: Object.fromEntries([...ids].map(([topic, id]) => [valueSubject(topic), id])),
    },
    'output schemas registered',
  );
  const cache = new WriterSchemaCache((id) => client.schemaById(id), {
    maxEntries: settings.cacheSize,
    onLookup: (result) => events.emit('schemaCacheLookup', { result }),
  });
  return {
    inputs: new FramedInputs(options.inputFraming, cache),
    outputValue(clusterTopic: string, body: Buffer): Buffer {
      if (options.outputFraming === 'plain') return body;
      const id = ids.get(clusterTopic);
      if (id === undefined)
        throw new Error(
          `output topic ${clusterTopic} has no registered schema id: add it to the worker's outputTopics`,
        );
      return frameValue(id, body);
    },
    close: () => client.close(),
  };
}

/**
 * The catalogue topics whose schemas a worker registers: what it declares (or, undeclared,
 * every catalogue topic with a schema that is not one of its inputs), and the erasure
 * completions the runtime writes for a worker that reads erasure requests.
 */
export function outputTopicsOf<E, S, G>(
  definition: Pick<WorkerDefinition<E, S, G>, 'inputs' | 'outputTopics'>,
): string[] {
  const inputs = new Set(definition.inputs.map((input) => input.topic));
  const declared =
    definition.outputTopics ??
    Object.values(topicCatalogue)
      .filter((t) => t.schema !== null && !inputs.has(t.name))
      .map((t) => t.name);
  const topics = new Set(declared);
  if (definition.inputs.some((input) => input.erasure)) topics.add(topicCatalogue.erasuresCompleted.name);
  for (const topic of topics) schemaOf(topic);
  return [...topics].sort();
}

function schemaOf(topic: string): string {
  const schema = Object.values(topicCatalogue).find((t) => t.name === topic)?.schema;
  if (!schema) throw new Error(`output topic ${topic} is not in the topic catalogue`);
  return schema;
}
