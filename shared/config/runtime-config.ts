import { type EnvValues, env, envVariable, parseEnv } from './env.js';

/** Variables every worker reads: connections, naming, batching, liveness, observability. */
export const runtimeEnvSpec = {
  KAFKA_BROKERS: envVariable(
    'Kafka bootstrap servers, host:port[,host:port]',
    env.brokers(),
    '127.0.0.1:19092',
  ),
  KAFKA_CLIENT_ID: envVariable('Kafka client id prefix', env.string(), 'valuestream'),
  REDIS_URL: envVariable(
    'Redis URL (redis:// or rediss://, user:password@ for ACL users)',
    env.redisUrl(),
    'redis://127.0.0.1:16379',
  ),
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
  MAX_BYTES_PER_PARTITION: envVariable(
    'Kafka fetch size per partition in bytes',
    env.int(1024, 64 * 1024 * 1024),
    '1048576',
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
  IDLE_ADVANCE_MS: envVariable(
    "After this idle time a partition's stream time follows the wall clock (0 = off, for replays)",
    env.int(0, 7 * 86_400_000),
    '0',
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
    'How an applied batch is made durable before the Kafka commit: auto (WAITAOF on Redis 7.2+, else require appendfsync always), waitaof, fsync-always, none',
    env.oneOf(['auto', 'waitaof', 'fsync-always', 'none'] as const),
    'auto',
  ),
  BARRIER_RETRY_MS: envVariable(
    'Pause before retrying a partition waiting for a population view',
    env.int(10, 60_000),
    '200',
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
  LOG_LEVEL: envVariable(
    'pino log level',
    env.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
    'info',
  ),
} as const;

export type RuntimeConfig = EnvValues<typeof runtimeEnvSpec>;

export function parseRuntimeConfig(environment: Readonly<Record<string, string | undefined>>): RuntimeConfig {
  return parseEnv(runtimeEnvSpec, environment);
}
