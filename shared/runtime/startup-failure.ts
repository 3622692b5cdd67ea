import { ConfigError, ValuestreamError } from '../errors.js';
import { kafkaConnectFailureReason } from '../kafka/client.js';
import { type Logger, scrubText } from '../observability/logger.js';

// A worker that cannot start must say why in one line an operator can act on: wrong credentials,
// a certificate that does not verify and a missing ACL permission do not heal by retrying.

const hints: Record<string, string> = {
  CONFIG_INVALID: 'configuration error',
  KAFKA_AUTHENTICATION_FAILED:
    'Kafka refused the SASL credentials (KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD[_FILE]); not retrying',
  KAFKA_TLS_FAILED: 'TLS to Kafka failed (KAFKA_SSL_CA_FILE, the brokers’ certificates and host names)',
  KAFKA_UNAVAILABLE: 'cannot reach Kafka (KAFKA_BROKERS)',
  INPUT_TOPICS_MISSING:
    'the input topics (TOPIC_PREFIX + catalogue names) do not exist on the cluster; create them first',
  REDIS_AUTHENTICATION_FAILED:
    'Redis refused the credentials (REDIS_USERNAME, REDIS_PASSWORD[_FILE] or those in REDIS_URL)',
  REDIS_PERMISSION_DENIED:
    'the Redis ACL user lacks a command or key the worker needs (deploy/redis/README.md lists them)',
  REDIS_TLS_FAILED: 'TLS to Redis failed (REDIS_TLS_CA_FILE, REDIS_TLS_CERT_FILE, the server certificate)',
  REDIS_UNAVAILABLE: 'cannot reach Redis (REDIS_URL, or REDIS_CLUSTER_NODES)',
  SCHEMA_INCOMPATIBLE:
    'the schema registry refuses an output schema of ours as incompatible with the subject’s earlier versions (subject in err); not retrying',
  SCHEMA_REGISTRY_UNAVAILABLE: 'cannot reach the schema registry (SCHEMA_REGISTRY_URL)',
  SCHEMA_REGISTRY_REJECTED:
    'the schema registry refused a request (the API path in SCHEMA_REGISTRY_URL, SCHEMA_REGISTRY_USERNAME, SCHEMA_REGISTRY_PASSWORD[_FILE])',
};

export function redisStartupFailureReason(error: unknown, lastConnectionError?: string): string {
  const text = `${(error as Error)?.message ?? String(error)} ${lastConnectionError ?? ''}`;
  if (/WRONGPASS|NOAUTH|invalid username-password/i.test(text)) return 'REDIS_AUTHENTICATION_FAILED';
  if (/NOPERM/i.test(text)) return 'REDIS_PERMISSION_DENIED';
  if (/certificate|self[- ]signed|SSL|TLS|altnames/i.test(text)) return 'REDIS_TLS_FAILED';
  return 'REDIS_UNAVAILABLE';
}

/** Logs one fatal line naming the cause of a failed start-up; returns the error to rethrow. */
export function logStartupFailure(
  logger: Logger,
  step: 'config' | 'redis' | 'kafka' | 'schema-registry',
  error: unknown,
  lastConnectionError?: string,
): unknown {
  const reasonCode =
    error instanceof ConfigError
      ? error.reasonCode
      : (step === 'schema-registry' || step === 'kafka') && error instanceof ValuestreamError
        ? error.reasonCode
        : step === 'kafka'
          ? kafkaConnectFailureReason(error)
          : step === 'redis'
            ? redisStartupFailureReason(error, lastConnectionError)
            : 'CONFIG_INVALID';
  logger.fatal(
    {
      reasonCode,
      step,
      err: scrubText((error as Error)?.message ?? String(error)),
      ...(error instanceof ConfigError ? { variable: error.variable } : {}),
      ...(lastConnectionError === undefined ? {} : { connectionError: scrubText(lastConnectionError) }),
    },
    `start-up failed: ${hints[reasonCode] ?? reasonCode}`,
  );
  return error;
}
