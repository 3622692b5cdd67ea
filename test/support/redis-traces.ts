import type { Redis } from 'ioredis';

// Every place a Redis database holds given strings: key names and values of every type, read as
// bytes (SCAN over the whole keyspace, then each key by its TYPE). For erasure: after a customer
// is forgotten, its id must be in no key and no value.

export interface Trace {
  readonly key: string;
  readonly needle: string;
  /** Where in the key it was found: its name, or its value (field, member, element, entry). */
  readonly where: 'name' | 'value';
}

async function valuesOf(redis: Redis, key: string): Promise<Buffer[]> {
  const type = await redis.type(key);
  switch (type) {
    case 'string':
      return [(await redis.getBuffer(key)) ?? Buffer.alloc(0)];
    case 'hash':
      return Object.entries(await redis.hgetallBuffer(key)).flatMap(([f, v]) => [Buffer.from(f), v]);
    case 'list':
      return redis.lrangeBuffer(key, 0, -1);
    case 'set':
      return redis.smembersBuffer(key);
    case 'zset':
      return redis.zrangeBuffer(key, 0, -1);
    case 'stream':
      return (await redis.xrangeBuffer(key, '-', '+')).flatMap(([id, fields]) => [id, ...fields]);
    case 'none':
      return []; // expired or deleted while scanning
    default:
      throw new Error(`key ${key} has type ${type}, which this scan cannot read`);
  }
}

/**
 * Every (key, needle) where a needle occurs in a key's name, over the whole keyspace, or anywhere
 * in its value, for the keys under `valuesUnder` (default: every key; on a Redis shared with other
 * tests, their values may be read by another test at the same time).
 */
export async function findTraces(
  redis: Redis,
  needles: Iterable<string>,
  valuesUnder = '',
): Promise<Trace[]> {
  const traces: Trace[] = [];
  const wanted = [...needles].map((n) => ({ needle: n, bytes: Buffer.from(n) }));
  let cursor = '0';
  do {
    const [next, keys] = await redis.scanBuffer(cursor, 'COUNT', 1000);
    cursor = String(next);
    for (const keyBytes of keys) {
      const key = keyBytes.toString();
      for (const { needle, bytes } of wanted)
        if (keyBytes.includes(bytes)) traces.push({ key, needle, where: 'name' });
      if (!key.startsWith(valuesUnder)) continue;
      const values = await valuesOf(redis, key);
      for (const { needle, bytes } of wanted)
        if (values.some((v) => v.includes(bytes))) traces.push({ key, needle, where: 'value' });
    }
  } while (cursor !== '0');
  return traces;
}
