import { type Command, Redis } from 'ioredis';
import { type RedisSecurity, redisConnectionOptions } from '../config/secure-connections.js';
import { ConfigError, RedisUnavailableError } from '../errors.js';
import type { DurabilityMode } from './partition-store.js';

export interface RedisConnectionOptions {
  readonly url: string;
  readonly commandTimeoutMs: number;
  readonly connectionName: string;
  /** TLS material and ACL credentials (REDIS_TLS_*, REDIS_USERNAME, REDIS_PASSWORD*). */
  readonly security?: RedisSecurity;
}

/**
 * The connection that applies batches. No offline queue and no automatic re-send: a command
 * whose reply was lost must not be sent again behind our back, because the runtime re-reads
 * the applied offset and retries under the epoch/version guard itself (ioredis #2130).
 */
export function connectRedis(options: RedisConnectionOptions): Redis {
  const redis = new Redis(options.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs,
    connectionName: options.connectionName,
    enableReadyCheck: true,
    retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 6), 5000),
    reconnectOnError: () => false,
    ...(options.security === undefined ? {} : redisConnectionOptions(options.security)),
  });
  countCommandsSent(redis, options.connectionName);
  return redis;
}

/** Commands sent by the connections connectRedis made in this process: connection name → command → count. */
const commandsSent = new Map<string, Map<string, number>>();

/**
 * Counts every command the connection writes to Redis, as Redis receives them: a pipeline's
 * commands one by one (ioredis hands each to sendCommand), an FCALL or EVAL as one whatever its
 * script calls inside, the handshake's CLIENT SETNAME and INFO on every (re)connect. A command
 * refused at once without being written (the connection is down and there is no offline queue)
 * is not counted. Server-side figures cannot give this: INFO commandstats and INFO stats
 * total_commands_processed both count the commands scripts run, and every client of the server.
 */
function countCommandsSent(redis: Redis, connectionName: string): void {
  let counts = commandsSent.get(connectionName);
  if (!counts) {
    counts = new Map();
    commandsSent.set(connectionName, counts);
  }
  const byCommand = counts;
  const send = redis.sendCommand.bind(redis) as (command: Command, ...rest: unknown[]) => unknown;
  const counted = (command: Command, ...rest: unknown[]): unknown => {
    // Without an offline queue, a command that cannot be written is rejected synchronously.
    const reject = command.reject;
    let refused = false;
    command.reject = (error) => {
      refused = true;
      reject(error);
    };
    try {
      return send(command, ...rest);
    } finally {
      command.reject = reject;
      if (!refused) {
        const name = command.name.toLowerCase();
        byCommand.set(name, (byCommand.get(name) ?? 0) + 1);
      }
    }
  };
  redis.sendCommand = counted as Redis['sendCommand'];
}

/** What every connection made by connectRedis in this process has sent so far (vs_redis_commands_total). */
export function redisCommandsSent(): Array<{ connection: string; command: string; count: number }> {
  return [...commandsSent].flatMap(([connection, counts]) =>
    [...counts].map(([command, count]) => ({ connection, command, count })),
  );
}

/**
 * Decides how applied batches become durable before offsets are committed (PITFALLS 1).
 * `checked` is false when REDIS_DURABILITY=fsync-always was declared but the server's
 * appendfsync could not be read (an ACL user without CONFIG, as deploy/redis/users.acl makes).
 */
export async function resolveDurability(
  redis: Redis,
  requested: 'auto' | DurabilityMode,
): Promise<{ mode: DurabilityMode; redisVersion: string; checked: boolean }> {
  const info = String(await redis.info('server'));
  const redisVersion = /redis_version:([^\r\n]+)/.exec(info)?.[1] ?? 'unknown';
  const [major = 0, minor = 0] = redisVersion.split('.').map(Number);
  const hasWaitAof = major > 7 || (major === 7 && minor >= 2);
  if (requested === 'none') return { mode: 'none', redisVersion, checked: true };
  if (requested === 'waitaof' || (requested === 'auto' && hasWaitAof)) {
    if (!hasWaitAof)
      throw new ConfigError('REDIS_DURABILITY', `waitaof needs Redis 7.2+, server is ${redisVersion}`);
    return { mode: 'waitaof', redisVersion, checked: true };
  }
  let appendfsync: string | undefined;
  let appendonly: string | undefined;
  try {
    const fsync = (await redis.config('GET', 'appendfsync')) as string[];
    const aof = (await redis.config('GET', 'appendonly')) as string[];
    appendfsync = fsync[1];
    appendonly = aof[1];
  } catch (error) {
    const reason = (error as Error)?.message ?? String(error);
    // CONFIG GET can also read secrets (requirepass, masterauth): restricted users lack it on purpose.
    if (requested === 'fsync-always' && /NOPERM/i.test(reason)) {
      return { mode: 'fsync-always', redisVersion, checked: false };
    }
    throw new ConfigError(
      'REDIS_DURABILITY',
      `cannot read CONFIG GET appendfsync on Redis ${redisVersion} (${reason}), so ${requested} cannot check that ` +
        'acknowledged writes survive a crash. If the server runs appendonly yes + appendfsync always, declare it ' +
        'with REDIS_DURABILITY=fsync-always (not checked then); REDIS_DURABILITY=none accepts replaying from Kafka ' +
        'after a Redis crash; Redis 7.2+ uses WAITAOF instead',
    );
  }
  if (appendonly !== 'yes' || appendfsync !== 'always') {
    throw new ConfigError(
      'REDIS_DURABILITY',
      `Redis ${redisVersion} has no WAITAOF and runs appendonly=${appendonly} appendfsync=${appendfsync}: ` +
        'offsets could be committed for writes Redis then loses. Run Redis with appendonly yes and appendfsync always, ' +
        'use Redis 7.2+, or set REDIS_DURABILITY=none to accept replaying from Kafka after a Redis crash',
    );
  }
  return { mode: 'fsync-always', redisVersion, checked: true };
}

/** Waits until every write so far is fsynced (WAITAOF); a no-op under appendfsync always. */
export async function waitDurable(redis: Redis, mode: DurabilityMode, timeoutMs: number): Promise<void> {
  if (mode !== 'waitaof') return;
  const reply = (await redis.call('WAITAOF', '1', '0', String(timeoutMs))) as [number, number];
  if (Number(reply[0]) < 1)
    throw new RedisUnavailableError('WAITAOF: writes were not fsynced to the local AOF in time');
}
