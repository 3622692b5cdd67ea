import { createHash } from 'node:crypto';

// The Redis ACL of a worker: only the commands the runtime sends, only on the worker's own keys.
// Redis 7 checks the commands a function runs (FCALL) against the caller's ACL too, so the data
// commands of shared/redis/lua/*.lua are listed here as well as the ones sent directly.
// When the runtime starts sending a new command, add it here: the secure-connections
// integration test runs a worker as such a user and fails on any NOPERM.

/** Each allowed command and who sends it (for the generated file's comments and the docs). */
export const workerCommands: ReadonlyArray<readonly [command: string, why: string]> = [
  ['client|setname', 'ioredis names the connection (connectionName), visible in CLIENT LIST'],
  ['info', "ioredis's ready check; resolveDurability reads redis_version"],
  [
    'function|load',
    'FunctionCaller loads the valuestream_<hash> library at start-up and after a FUNCTION FLUSH',
  ],
  ['fcall', 'every partition step (claim, read, apply, snapshot, outbox ack)'],
  ['hget', 'population snapshots and applied boundary; Lua'],
  ['hmget', 'counters, meta and customer states; Lua'],
  ['hgetall', 'counter totals of the metric gauges and the retention fit; Lua'],
  ['hset', 'Lua (meta, states, snapshots)'],
  ['hdel', 'Lua (states, meta)'],
  ['hincrby', 'Lua (counters)'],
  ['hkeys', 'Lua (snapshot pruning)'],
  ['hscan', 'Lua (the sweep of recent event ids past the dedupe horizon)'],
  ['hvals', "Lua (a timer bucket's earliest due time)"],
  ['zadd', 'Lua (timer buckets by earliest due time)'],
  ['zrem', 'Lua (timer buckets by earliest due time)'],
  ['zrange', 'Lua (the timer buckets with due timers; sorted sets of earlier releases, moved on claim)'],
  ['zcard', 'Lua (claim: does the partition still hold the sorted sets of an earlier release?)'],
  ['zremrangebyrank', 'Lua (claim: empties the sorted sets of an earlier release, once moved into buckets)'],
  ['rpush', 'Lua (outbox)'],
  ['lrange', 'Lua (outbox on claim)'],
  ['ltrim', 'Lua (outbox ack)'],
  ['llen', 'Lua (outbox ack)'],
  ['get', 'population view'],
  ['set', 'population view (SET ... PX ... NX)'],
  [
    'publish',
    'population signals: the snapshot function (ACL-checked too) and a waiting partition announce on the worker’s channel',
  ],
  ['subscribe', 'population signals: wakes a partition waiting for a view the moment it can be merged'],
];

/** Only on Redis 7.2+ (an unknown command in an ACL file stops Redis 7.0 from starting). */
export const waitAofCommand = ['waitaof', 'REDIS_DURABILITY=waitaof (auto on Redis 7.2+)'] as const;

/** The pub/sub channel of one worker's population signals (shared/redis/keys.ts populationChannel). */
export function workerChannelPattern(keyPrefix: string, worker: string): string {
  return `${escapeGlob(keyPrefix)}:${escapeGlob(worker)}:population-events`;
}

/** Escapes the glob characters of a key prefix so it matches only itself. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/**
 * The key patterns of one worker: its partition keys `<prefix>:{<worker>:<partition>}:*` and its
 * population views `<prefix>:<worker>:population:<boundary>` (shared/redis/keys.ts).
 */
export function workerKeyPatterns(keyPrefix: string, worker: string): string[] {
  const prefix = escapeGlob(keyPrefix);
  const name = escapeGlob(worker);
  return [`${prefix}:{${name}:*`, `${prefix}:${name}:population:*`];
}

export interface WorkerAclOptions {
  readonly username: string;
  readonly password: string;
  readonly keyPrefix: string;
  /** Worker names whose keys the user may touch (one worker per user is the intent). */
  readonly workers: readonly string[];
  /** Adds WAITAOF (Redis 7.2+ only). */
  readonly waitAof: boolean;
  /** Read-only key access, for tools that only read (the retention fit command). */
  readonly readOnly?: boolean;
}

/** One `user ...` line of an ACL file; the password is stored as its SHA-256, never in clear. */
export function workerAclLine(options: WorkerAclOptions): string {
  if (!/^[A-Za-z0-9._-]+$/.test(options.username)) {
    throw new Error(`ACL user name '${options.username}' must be letters, digits, '.', '_' or '-'`);
  }
  if (options.password.length < 16) throw new Error('the ACL password must have at least 16 characters');
  const hash = createHash('sha256').update(options.password).digest('hex');
  const commands = [...workerCommands, ...(options.waitAof ? [waitAofCommand] : [])].map(([c]) => `+${c}`);
  const access = options.readOnly ? '%R~' : '~';
  const keys = options.workers.flatMap((w) => workerKeyPatterns(options.keyPrefix, w)).map((p) => access + p);
  const channels = options.workers.map((w) => `&${workerChannelPattern(options.keyPrefix, w)}`);
  return [
    'user',
    options.username,
    'reset',
    'on',
    `#${hash}`,
    'resetchannels',
    '-@all',
    ...commands,
    ...keys,
    ...channels,
  ].join(' ');
}

/** The allowed commands as a Markdown table (deploy/redis/README.md): Redis ACL files take no comments. */
export function commandTable(): string {
  const rows = [...workerCommands, waitAofCommand].map(
    ([c, why]) => `| \`${c.replace('|', '\\|')}\` | ${why} |`,
  );
  return ['| command | sent by |', '|---|---|', ...rows].join('\n');
}
