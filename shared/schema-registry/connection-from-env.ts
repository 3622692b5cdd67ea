import { parseEnv } from '../config/env.js';
import {
  resolveSchemaRegistry,
  type SchemaRegistrySettings,
  schemaRegistryEnvSpec,
} from '../config/schema-registry-config.js';
import { RegistryClient, type RegistryClientOptions } from './registry-client.js';

// The registry connection of a tool beside the workers (the simulator, the demo's console): the
// workers' SCHEMA_REGISTRY_* connection variables, checked the same way, without their framing
// variables, which say how a worker reads and writes, not how a tool does.

/** The registry's settings from the connection variables, or null without SCHEMA_REGISTRY_URL. */
export function registryConnectionFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): SchemaRegistrySettings | null {
  // The framing variables say how a worker reads and writes; a tool ignores them.
  const {
    INPUT_FRAMING: _input,
    INPUT_FRAMING_BY_TOPIC: _byTopic,
    OUTPUT_FRAMING: _output,
    ...connection
  } = schemaRegistryEnvSpec;
  const values = parseEnv(connection, env);
  return resolveSchemaRegistry({
    ...values,
    INPUT_FRAMING: 'plain',
    INPUT_FRAMING_BY_TOPIC: new Map(),
    OUTPUT_FRAMING: 'plain',
  });
}

/** A client of the registry these settings describe. */
export function registryClientOf(
  settings: SchemaRegistrySettings,
  onRequest?: RegistryClientOptions['onRequest'],
): RegistryClient {
  return new RegistryClient({
    url: settings.url,
    ...(settings.username === undefined ? {} : { username: settings.username }),
    ...(settings.password === undefined ? {} : { password: settings.password }),
    ...(settings.ca === undefined ? {} : { ca: settings.ca }),
    timeoutMs: settings.timeoutMs,
    ...(onRequest === undefined ? {} : { onRequest }),
  });
}
