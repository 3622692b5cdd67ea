import { type EnvValues, env, envVariable, parseEnv } from './env.js';
import {
  resolveSchemaRegistry,
  type SchemaRegistrySettings,
  schemaRegistryEnvSpec,
} from './schema-registry-config.js';
import {
  type KafkaSecurity,
  type RedisSecurity,
  resolveKafkaSecurity,
  resolveRedisSecurity,
} from './secure-connections.js';

/** Kafka TLS and SASL (shared/config/secure-connections.ts); also read by the CLIs that reach Kafka. */
export const kafkaSecurityEnvSpec = {
  KAFKA_SSL: envVariable('Connect to Kafka over TLS (certificates are always verified)', env.bool(), 'false'),
  KAFKA_SSL_CA_FILE: envVariable(
    "PEM file of the CA that signed the brokers' certificates (default: the system CAs); needs KAFKA_SSL=true",
    env.text(),
    '',
  ),
  KAFKA_SSL_CERT_FILE: envVariable(
    'PEM client certificate for mutual TLS (with KAFKA_SSL_KEY_FILE)',
    env.text(),
    '',
  ),
  KAFKA_SSL_KEY_FILE: envVariable('PEM private key of KAFKA_SSL_CERT_FILE', env.text(), ''),
  KAFKA_SASL_MECHANISM: envVariable(
    'SASL mechanism: none, plain (only with KAFKA_SSL=true), scram-sha-256 or scram-sha-512',
    env.oneOf(['none', 'plain', 'scram-sha-256', 'scram-sha-512'] as const),
    'none',
  ),
  KAFKA_SASL_USERNAME: envVariable(
    'SASL user name (required unless KAFKA_SASL_MECHANISM=none)',
    env.text(),
    '',
  ),
  KAFKA_SASL_PASSWORD: envVariable('SASL password (or KAFKA_SASL_PASSWORD_FILE, not both)', env.text(), ''),
  KAFKA_SASL_PASSWORD_FILE: envVariable(
    'File holding the SASL password (a mounted secret; one trailing newline is ignored)',
    env.text(),
    '',
  ),
} as const;

/** Redis TLS material and ACL credentials (shared/config/secure-connections.ts). */
export const redisSecurityEnvSpec = {
  REDIS_TLS_CA_FILE: envVariable(
    'PEM file of the CA that signed the Redis certificate (default: the system CAs); needs rediss:// or REDIS_CLUSTER_TLS=true',
    env.text(),
    '',
  ),
  REDIS_TLS_CERT_FILE: envVariable(
    'PEM client certificate for Redis tls-auth-clients (with REDIS_TLS_KEY_FILE)',
    env.text(),
    '',
  ),
  REDIS_TLS_KEY_FILE: envVariable('PEM private key of REDIS_TLS_CERT_FILE', env.text(), ''),
  REDIS_USERNAME: envVariable(
    'Redis ACL user (instead of user:password@ in REDIS_URL); see deploy/redis/README.md',
    env.text(),
    '',
  ),
  REDIS_PASSWORD: envVariable('Redis password (or REDIS_PASSWORD_FILE, not both)', env.text(), ''),
  REDIS_PASSWORD_FILE: envVariable(
    'File holding the Redis password (a mounted secret; one trailing newline is ignored)',
    env.text(),
    '',
  ),
} as const;

/** Variables every worker reads: connections, naming, batching, liveness, observability. */
export const runtimeEnvSpec = {
  KAFKA_BROKERS: envVariable(
    'Kafka bootstrap servers, host:port[,host:port]',
    env.brokers(),
    '127.0.0.1:19092',
  ),
  KAFKA_CLIENT_ID: envVariable('Kafka client id prefix', env.string(), 'valuestream'),
  ...kafkaSecurityEnvSpec,
  REDIS_URL: envVariable(
    'Redis URL (redis:// or rediss:// for TLS, user:password@ for ACL users)',
    env.redisUrl(),
    'redis://127.0.0.1:16379',
  ),
  REDIS_CLUSTER_NODES: envVariable(
    'Redis Cluster nodes to start from, host:port[,host:port]; when set, the workers use a Cluster client and REDIS_URL is not used (credentials from REDIS_USERNAME, REDIS_PASSWORD)',
    env.hostPorts(),
    '',
  ),
  REDIS_CLUSTER_TLS: envVariable(
    'Connect to the REDIS_CLUSTER_NODES over TLS (what rediss:// is for one server; REDIS_TLS_* files as for one server, certificates always verified)',
    env.bool(),
    'false',
  ),
  ...redisSecurityEnvSpec,
  ...schemaRegistryEnvSpec,
  TOPIC_PREFIX: envVariable(
    'Prefix added to every topic name (isolates environments and tests)',
    env.text(),
    '',
  ),
  KEY_PREFIX: envVariable('Prefix of every Redis key', env.string(), 'vs'),
  CONSUMER_GROUP_PREFIX: envVariable('Consumer group = <prefix>.<worker>', env.string(), 'valuestream'),
  TOPIC_PARTITIONS: envVariable(
    'Partition count of the customer-keyed topics (co-partitioned)',
    env.int(1, 10_000),
    '12',
  ),
  FROM_BEGINNING: envVariable(
    'Start from the earliest offset when a group has none committed',
    env.bool(),
    'true',
  ),
  MAX_BATCH_RECORDS: envVariable(
    'Records applied per atomic Redis step (bounds script time)',
    env.int(1, 50_000),
    '2000',
  ),
  STATE_CACHE_MB: envVariable(
    'Customer states a worker process keeps decoded, in MB of their stored text (least recently used go first): a state read back unchanged is not decoded again; 0 = off',
    env.int(0, 1_048_576),
    '64',
  ),
  MAX_BYTES_PER_PARTITION: envVariable(
    'Kafka fetch size per partition in bytes; the buffer holds up to two fetches per partition, which a rebalance may take away unapplied (read amplification)',
    env.int(1024, 64 * 1024 * 1024),
    '262144',
  ),
  FETCH_MAX_WAIT_MS: envVariable(
    'Kafka fetch wait (kafkajs maxWaitTimeInMs): how long the broker holds a fetch with nothing new, and how long the consumer sleeps while every partition is paused (its buffers full) before fetching a resumed one',
    env.int(10, 30_000),
    '100',
  ),
  OUTPUT_COMPRESSION: envVariable(
    'Compression of the records the worker produces (decisions, dead letters): none, gzip or snappy; every codec Kafka has (lz4 and zstd too) is read on input',
    env.oneOf(['none', 'gzip', 'snappy'] as const),
    'none',
  ),
  MAX_RECORD_BYTES: envVariable(
    'Larger input records are dead-lettered as OVERSIZED_RECORD',
    env.int(64, 64 * 1024 * 1024),
    '262144',
  ),
  FUTURE_TOLERANCE_MS: envVariable(
    'Event times later than the record timestamp by more than this are dead-lettered',
    env.int(0, 365 * 86_400_000),
    '86400000',
  ),
  DEDUPE_HORIZON: envVariable(
    "A purchase or interaction whose eventId its customer had applied within this much stream time is skipped (a producer's re-send); at least the worker's allowed lateness; 0s = off",
    env.duration(),
    '7d',
  ),
  DEDUPE_MAX_EVENTS_PER_CUSTOMER: envVariable(
    'Event ids kept per customer for DEDUPE_HORIZON (22 bytes each); beyond it the oldest go',
    env.int(1, 10_000),
    '64',
  ),
  IDLE_ADVANCE_MS: envVariable(
    'After this idle time a partition whose every record is applied follows the wall clock in stream time (0 = off, for replays)',
    env.int(0, 7 * 86_400_000),
    '0',
  ),
  QUIET_PARTITION_WAIT_MS: envVariable(
    "A partition that other partitions wait for (a population view needs its snapshot) and has every record in Kafka applied is moved to the view's boundary once Kafka has handed it no record for this long (Kafka Streams' max.task.idle.ms): a send still being retried is applied in order, not late; 0 = at once",
    env.int(0, 600_000),
    '3000',
  ),
  SESSION_TIMEOUT_MS: envVariable('Kafka consumer session timeout', env.int(6000, 300_000), '30000'),
  HEARTBEAT_INTERVAL_MS: envVariable('Kafka consumer heartbeat interval', env.int(500, 60_000), '3000'),
  SHUTDOWN_TIMEOUT_MS: envVariable(
    'Graceful shutdown bound before forced exit',
    env.int(1000, 300_000),
    '20000',
  ),
  REDIS_COMMAND_TIMEOUT_MS: envVariable(
    'Redis command timeout; the outcome of a timed-out apply is re-read, never assumed',
    env.int(100, 120_000),
    '10000',
  ),
  REDIS_DURABILITY: envVariable(
    'How an applied batch is made durable before the Kafka commit: auto (WAITAOF on Redis 7.2+, else require appendfsync always), waitaof, fsync-always (checked with CONFIG GET; taken as declared for an ACL user without CONFIG), none',
    env.oneOf(['auto', 'waitaof', 'fsync-always', 'none'] as const),
    'auto',
  ),
  BARRIER_RETRY_MS: envVariable(
    'A step waits inside this long for the snapshots of partitions of this process before it ends at a population view; a waiting partition is woken by a signal when the view can be merged, and without one (a lost pub/sub message, an ACL user without pub/sub) re-checks Redis after this long',
    env.int(10, 60_000),
    '1000',
  ),
  STEP_CONCURRENCY: envVariable(
    'Steps of different partitions in flight at once (one per partition; a step may wait inside for the snapshots of partitions of this process, so keep it at least the partitions a process owns)',
    env.int(1, 1024),
    '64',
  ),
  COMMIT_INTERVAL_MS: envVariable(
    'Kafka offsets of a partition with records still buffered are committed at most this often (Redis holds the applied offset; a partition that drained commits at once)',
    env.int(0, 60_000),
    '1000',
  ),
  METRICS_PORT: envVariable(
    'Port of /metrics, /healthz and /readyz (0 = any free port)',
    env.int(0, 65_535),
    '9464',
  ),
  METRICS_HOST: envVariable('Address the metrics server binds to', env.string(), '0.0.0.0'),
  READINESS_STALE_MS: envVariable(
    'Not ready when no fetch completed for this long',
    env.int(1000, 600_000),
    '60000',
  ),
  STALL_AFTER_MS: envVariable(
    'A partition with records waiting and none applied or dead-lettered for this long is stalled: /readyz 503, vs_partition_stalled 1 (0 = off)',
    env.int(0, 86_400_000).refine((ms) => ms === 0 || ms >= 1000, 'must be 0 (off) or at least 1000'),
    '60000',
  ),
  LOG_LEVEL: envVariable(
    'pino log level',
    env.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
    'info',
  ),
} as const;

export type RuntimeConfig = EnvValues<typeof runtimeEnvSpec> & {
  /** TLS/SASL of the Kafka clients, files read (serialises without secrets). */
  readonly kafkaSecurity: KafkaSecurity;
  /** TLS/ACL credentials of the Redis connection, files read (serialises without secrets). */
  readonly redisSecurity: RedisSecurity;
  /** The schema registry (SCHEMA_REGISTRY_*), files read; null without SCHEMA_REGISTRY_URL. */
  readonly schemaRegistry: SchemaRegistrySettings | null;
};

export function parseRuntimeConfig(environment: Readonly<Record<string, string | undefined>>): RuntimeConfig {
  const values = parseEnv(runtimeEnvSpec, environment);
  return Object.freeze({
    ...values,
    kafkaSecurity: resolveKafkaSecurity(values),
    redisSecurity: resolveRedisSecurity(values),
    schemaRegistry: resolveSchemaRegistry(values),
  });
}

/** Kafka's TLS/SASL from the environment, for the tools that do not read the whole runtime config. */
export function kafkaSecurityFromEnv(
  environment: Readonly<Record<string, string | undefined>>,
): KafkaSecurity {
  return resolveKafkaSecurity(parseEnv(kafkaSecurityEnvSpec, environment));
}
