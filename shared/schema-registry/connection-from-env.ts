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
  const {
    SCHEMA_REGISTRY_URL,
    SCHEMA_REGISTRY_USERNAME,
    SCHEMA_REGISTRY_PASSWORD,
    SCHEMA_REGISTRY_PASSWORD_FILE,
    SCHEMA_REGISTRY_CA_FILE,
    SCHEMA_REGISTRY_TIMEOUT_MS,
    SCHEMA_REGISTRY_CACHE_SIZE,
  } = schemaRegistryEnvSpec;
  const values = parseEnv(
    {
      SCHEMA_REGISTRY_URL,
      SCHEMA_REGISTRY_USERNAME,
      SCHEMA_REGISTRY_PASSWORD,
      SCHEMA_REGISTRY_PASSWORD_FILE,
      SCHEMA_REGISTRY_CA_FILE,
      SCHEMA_REGISTRY_TIMEOUT_MS,
      SCHEMA_REGISTRY_CACHE_SIZE,
    },
    env,
  );
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
