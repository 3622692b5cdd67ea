import calculateSlot from 'cluster-key-slot';
import { Cluster, type Command, Redis, type RedisOptions } from 'ioredis';
import { type RedisSecurity, redisConnectionOptions } from '../config/secure-connections.js';
import { ConfigError, RedisUnavailableError } from '../errors.js';
import { isRedisConnectionError } from './connection-errors.js';
import type { DurabilityMode } from './partition-store.js';

/** One Redis server, or a Redis Cluster (REDIS_CLUSTER_NODES): the commands the runtime sends are alike. */
export type RedisClient = Redis | Cluster;

export interface RedisConnectionOptions {
  readonly url: string;
  /** Set and not empty: a Cluster client that starts from these host:port nodes; `url` is not used. */
  readonly clusterNodes?: readonly string[];
  readonly commandTimeoutMs: number;
  readonly connectionName: string;
  /** TLS material and ACL credentials (REDIS_TLS_*, REDIS_USERNAME, REDIS_PASSWORD*). */
  readonly security?: RedisSecurity;
}

const reconnectDelay = (attempt: number) => Math.min(100 * 2 ** Math.min(attempt, 6), 5000);

/**
 * The connection that applies batches. No offline queue and no automatic re-send: a command
 * whose reply was lost must not be sent again behind our back, because the runtime re-reads
 * the applied offset and retries under the epoch/version guard itself (ioredis #2130).
 *
 * On a Cluster, a MOVED, ASK, TRYAGAIN or CLUSTERDOWN reply means the node did not run the
 * command, so ioredis follows it (to the slot's new owner, after a pause); a reply lost with its
 * connection (a primary killed mid-call) is not re-sent (retryDelayOnFailover 0): it reaches the
 * runtime as "outcome unknown", which re-reads and retries under the guard as on one server.
 */
export function connectRedis(options: RedisConnectionOptions): RedisClient {
  const perNode: RedisOptions = {
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs,
    connectionName: options.connectionName,
    enableReadyCheck: true,
    reconnectOnError: () => false,
    ...(options.security === undefined ? {} : redisConnectionOptions(options.security)),
  };
  if (options.clusterNodes !== undefined && options.clusterNodes.length > 0) {
    const cluster = new Cluster(
      options.clusterNodes.map((node) => {
        const at = node.lastIndexOf(':');
        return { host: node.slice(0, at), port: Number(node.slice(at + 1)) };
      }),
      {
        lazyConnect: true,
        enableOfflineQueue: false,
        enableReadyCheck: true,
        scaleReads: 'master',
        maxRedirections: 16,
        retryDelayOnTryAgain: 100,
        retryDelayOnClusterDown: 200,
        retryDelayOnFailover: 0,
        clusterRetryStrategy: reconnectDelay,
        slotsRefreshTimeout: options.commandTimeoutMs,
        redisOptions: perNode,
      },
    );
    countCommandsSent(cluster, options.connectionName);
    return cluster;
  }
  const redis = new Redis(options.url, { lazyConnect: true, retryStrategy: reconnectDelay, ...perNode });
  countCommandsSent(redis, options.connectionName);
  return redis;
}

/**
 * Connects. A Cluster is waited for until it is ready: when its first ready check finds
 * `cluster_state:fail` (a worker started while a primary fails over), ioredis reconnects by
 * itself but never settles the promise connect() returned, and start-up hung there for good.
 * Rejects when no node answers, or when the Cluster is not ready within `timeoutMs`.
 */
export async function openRedis(redis: RedisClient, timeoutMs = 60_000): Promise<void> {
  if (!(redis instanceof Cluster)) {
    await redis.connect();
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const done = (error?: Error): void => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      if (error) reject(error);
      else resolve();
    };
    const onReady = (): void => done();
    const timer = setTimeout(
      () =>
        done(
          new RedisUnavailableError(
            `the Redis Cluster was not ready within ${timeoutMs} ms (CLUSTER INFO: cluster_state not ok, or slots not served)`,
          ),
        ),
      timeoutMs,
    );
    redis.once('ready', onReady);
    redis.connect().then(onReady, (error: Error) => done(error));
  });
}

/** The primaries of a Cluster, or the one server. */
export function primariesOf(redis: RedisClient): Redis[] {
  return redis instanceof Cluster ? redis.nodes('master') : [redis];
}

/**
 * The connection to the primary that holds `key`'s slot (the one server otherwise): commands
 * without a key that must reach that node, such as WAITAOF after a partition's step.
 */
export function primaryOfKey(redis: RedisClient, key: string): Redis {
  if (!(redis instanceof Cluster)) return redis;
  const slot = calculateSlot(key);
  const owner = redis.slots[slot]?.[0];
  const node = redis.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === owner);
  if (!node)
    throw new RedisUnavailableError(`no primary of the Redis Cluster is known for slot ${slot} (key ${key})`);
  return node;
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
function countCommandsSent(redis: RedisClient, connectionName: string): void {
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
    const counting = (error: Error) => {
      refused = true;
      reject(error);
    };
    command.reject = counting;
    try {
      return send(command, ...rest);
    } finally {
      // A Cluster client puts its own reject in (it follows MOVED and ASK, calling ours in
      // turn): putting the first one back would drop it, and every redirection with it.
      if (command.reject === counting) command.reject = reject;
      if (!refused) {
        const name = command.name.toLowerCase();
        byCommand.set(name, (byCommand.get(name) ?? 0) + 1);
      }
    }
  };
  redis.sendCommand = counted as RedisClient['sendCommand'];
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
export interface ResolvedDurability {
  readonly mode: DurabilityMode;
  readonly redisVersion: string;
  readonly checked: boolean;
}

/**
 * The durability of a Redis, or of every primary of a Cluster (they must agree: a partition's
 * slot may move to any of them). A single-node URL that reaches a Cluster node stops start-up
 * here, naming REDIS_CLUSTER_NODES, instead of failing later on the first MOVED.
 */
export async function resolveDurability(
  redis: RedisClient,
  requested: 'auto' | DurabilityMode,
): Promise<ResolvedDurability> {
  if (!(redis instanceof Cluster)) {
    if (/cluster_enabled:1/.test(String(await redis.info('cluster')))) {
      throw new ConfigError(
        'REDIS_URL',
        'reaches a node of a Redis Cluster: set REDIS_CLUSTER_NODES=host:port[,host:port] to use the Cluster',
      );
    }
    return resolveServerDurability(redis, requested);
  }
  const primaries = redis.nodes('master');
  const each = await Promise.all(primaries.map((node) => resolveServerDurability(node, requested)));
  const modes = new Set(each.map((d) => d.mode));
  if (modes.size > 1) {
    const listed = primaries.map((node, i) => `${node.options.host}:${node.options.port} ${each[i]!.mode}`);
    throw new ConfigError(
      'REDIS_DURABILITY',
      `the Cluster's primaries differ (${listed.join(', ')}); configure them alike`,
    );
  }
  return {
    mode: each[0]!.mode,
    redisVersion: [...new Set(each.map((d) => d.redisVersion))].join(','),
    checked: each.every((d) => d.checked),
  };
}

async function resolveServerDurability(
  redis: Redis,
  requested: 'auto' | DurabilityMode,
): Promise<ResolvedDurability> {
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

/**
 * Waits until every write so far is fsynced (WAITAOF); a no-op under appendfsync always. WAITAOF
 * counts the writes of the connection it is sent on: with `key`, the primary of its slot (one
 * partition's step); without, every primary (all partitions before offsets are committed).
 */
export async function waitDurable(
  redis: RedisClient,
  mode: DurabilityMode,
  timeoutMs: number,
  key?: string,
): Promise<void> {
  if (mode !== 'waitaof') return;
  const nodes = key === undefined ? primariesOf(redis) : [primaryOfKey(redis, key)];
  await Promise.all(
    nodes.map(async (node) => {
      const reply = (await node.call('WAITAOF', '1', '0', String(timeoutMs))) as [number, number];
      if (Number(reply[0]) < 1)
        throw new RedisUnavailableError('WAITAOF: writes were not fsynced to the local AOF in time');
    }),
  );
}

/** Replies of a Cluster that is failing over or resharding: nothing ran, asking again later may work. */
const CLUSTER_IN_FLUX =
  /CLUSTERDOWN|TRYAGAIN|Too many Cluster redirections|Cluster isn't ready|Failed to refresh slots cache/i;

/**
 * Runs a start-up step again while Redis is unreachable or a Cluster is failing over (16 tries,
 * from 250 ms apart to 5 s, about a minute), each logged; then, or on any other error, throws.
 */
export async function whileRedisUnavailable<T>(
  redis: RedisClient,
  logger: { warn(obj: object, msg: string): void },
  step: () => Promise<T>,
  attempts = 16,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      const transient =
        isRedisConnectionError(error) || CLUSTER_IN_FLUX.test((error as Error)?.message ?? '');
      if (!transient || attempt >= attempts) throw error;
      logger.warn(
        { reasonCode: 'REDIS_UNAVAILABLE', attempt, err: (error as Error).message },
        'redis not ready for start-up; retrying',
      );
      await new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** (attempt - 1), 5000)));
      // The slots as the Cluster sees them now: a failed primary's replica may have taken over.
      if (redis instanceof Cluster)
        await new Promise<void>((resolve) => redis.refreshSlotsCache(() => resolve()));
    }
  }
}
