import { RegistryUnavailableError } from './errors.js';
import type { RegistryClient } from './registry-client.js';

// Our output schemas in the registry, under the subject names registry clients look up by
// default (TopicNameStrategy: `<topic>-value`, the topic as named on the cluster). Registering
// an already registered schema returns its id, so every start-up registers: a changed schema of
// ours that the subject's compatibility rule refuses stops start-up (IncompatibleSchemaError
// names the subject) instead of reaching consumers. The text sent is the schema file's JSON
// without whitespace: registries that compare text (Apicurio) then give the same id each time.

export interface OutputSchema {
  /** The output topic as named on the cluster (TOPIC_PREFIX included). */
  readonly clusterTopic: string;
  /** Avro schema JSON of its values. */
  readonly schema: unknown;
}

/** TopicNameStrategy's subject of a topic's values. */
export function valueSubject(clusterTopic: string): string {
  return `${clusterTopic}-value`;
}

export interface RetryPolicy {
  /** Attempts while the registry is unavailable (the last error is thrown after them). */
  readonly attempts: number;
  readonly firstDelayMs: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly onRetry?: (attempt: number, error: RegistryUnavailableError) => void;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `call` again while the registry is unavailable, with exponential backoff (capped at 10 s). */
export async function whileUnavailable<T>(call: () => Promise<T>, policy: RetryPolicy): Promise<T> {
  const sleep = policy.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof RegistryUnavailableError) || attempt >= policy.attempts) throw error;
      policy.onRetry?.(attempt, error);
      await sleep(Math.min(policy.firstDelayMs * 2 ** (attempt - 1), 10_000));
    }
  }
}

/**
 * How a process waits for a registry that is still starting or busy (the stack's, next to the
 * workers): 16 tries from 500 ms apart (about 2.5 minutes with the 10 s cap), each logged.
 */
export function startupRetries(logger: { warn(obj: object, msg: string): void }): RetryPolicy {
  return {
    attempts: 16,
    firstDelayMs: 500,
    onRetry: (attempt, error) =>
      logger.warn(
        { attempt, reasonCode: error.reasonCode, err: error.message },
        'schema registry unavailable; retrying',
      ),
  };
}

/**
 * Checks that the URL is a registry (GET /subjects), then registers every output schema; returns
 * the id of each output topic. Throws IncompatibleSchemaError (409), RegistryRejectedError or,
 * after the retries, RegistryUnavailableError.
 */
export async function registerOutputSchemas(
  client: RegistryClient,
  outputs: readonly OutputSchema[],
  policy: RetryPolicy,
): Promise<Map<string, number>> {
  await whileUnavailable(() => client.probe(), policy);
  const ids = new Map<string, number>();
  for (const output of outputs) {
    const text = JSON.stringify(output.schema);
    const id = await whileUnavailable(() => client.register(valueSubject(output.clusterTopic), text), policy);
    ids.set(output.clusterTopic, id);
  }
  return ids;
}
