import type { Redis } from 'ioredis';
import type { RedisClient } from '../../shared/redis/connection.js';
import type { PartitionKeys } from '../../shared/redis/keys.js';

const globEscaped = (text: string) => text.replace(/[*?[\]\\]/g, '\\$&');

async function scanKeys(redis: Redis, glob: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', glob, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return [...new Set(found)].sort();
}

/**
 * Every key a partition has in Redis: the fixed ones of shared/redis/keys.ts and the index and
 * timer buckets (`<base>:<n>`), found by the partition's hash tag.
 */
export function keysOfPartition(redis: Redis, keyPrefix: string, worker: string, partition: number) {
  return scanKeys(redis, `${globEscaped(`${keyPrefix}:{${worker}:${partition}}`)}:*`);
}

/**
 * Entries in a partition's buckets `<base>:<n>` (index) or `<base>:<kind>:<n>` (timers,
 * shared/redis/keys.ts), counted from the buckets themselves (SCAN + HLEN), not from the counts
 * the functions keep in meta.
 */
export async function bucketEntries(redis: Redis, base: string): Promise<number> {
  let total = 0;
  for (const key of await scanKeys(redis, `${globEscaped(base)}:*`)) {
    if (/^(:[^:]+)?:\d+$/.test(key.slice(base.length))) total += await redis.hlen(key);
  }
  return total;
}

/**
 * A partition's population index (customerId -> score) and timers ("<kind>|<customerId>" -> due)
 * as its buckets hold them, the buckets found from meta (`buckets`, `timerKinds`), so that it
 * works on a Cluster client too (no SCAN across nodes).
 */
export async function readIndexAndTimers(
  redis: RedisClient,
  keys: PartitionKeys,
): Promise<{ index: Map<string, number>; timers: Map<string, number> }> {
  const [buckets, kinds] = await redis.hmget(keys.meta, 'buckets', 'timerKinds');
  const n = Number(buckets ?? 1);
  const index = new Map<string, number>();
  const timers = new Map<string, number>();
  for (let b = 0; b < n; b++) {
    for (const [id, score] of Object.entries(await redis.hgetall(`${keys.index}:${b}`))) {
      index.set(id, Number(score));
    }
    for (const kind of (kinds ?? '').split(',').filter((k) => k !== '')) {
      for (const [id, due] of Object.entries(await redis.hgetall(`${keys.timers}:${kind}:${b}`))) {
        timers.set(`${kind}|${id}`, Number(due));
      }
    }
  }
  return { index, timers };
}
