import type { Redis } from 'ioredis';

// Redis's own accounting of what a worker keeps: MEMORY USAGE <key> SAMPLES 0 (every element
// counted, allocator size classes included) for every key, grouped by key kind, i.e. the last
// segment of the key after its partition hash tag (shared/redis/keys.ts): customers, index,
// timers, recent-events, counters, meta, snapshots, outbox, ... Keys outside partitions
// (population views) are grouped by their last segment without the boundary.

export interface KeyMeasure {
  readonly key: string;
  readonly type: string;
  readonly encoding: string;
  readonly bytes: number;
  /** Elements: hash fields, set members, list items; 1 for a string. */
  readonly length: number;
}

export interface KindTotals {
  readonly kind: string;
  readonly keys: number;
  readonly elements: number;
  readonly bytes: number;
  readonly encodings: Readonly<Record<string, number>>;
}

/**
 * "vs:{value-segmentation:3}:recent-events" → "recent-events"; buckets "vs:{…:3}:index:17" →
 * "index", "vs:{…:3}:timers:age-out:17" → "timers:age-out"; views "vs:{w:population}:1700000"
 * and "p:w:population:1700000" → "population".
 */
export function kindOfKey(key: string): string {
  const tagEnd = key.lastIndexOf('}:');
  if (tagEnd >= 0) {
    const rest = key.slice(tagEnd + 2);
    if (/^\d+$/.test(rest)) return key.slice(key.lastIndexOf(':', tagEnd) + 1, tagEnd);
    return rest.replace(/:\d+$/, '');
  }
  const parts = key.split(':');
  const last = parts[parts.length - 1] ?? key;
  return /^\d+$/.test(last) && parts.length > 1 ? parts[parts.length - 2]! : last;
}

export function totalsByKind(measures: readonly KeyMeasure[]): KindTotals[] {
  const byKind = new Map<
    string,
    { keys: number; elements: number; bytes: number; encodings: Record<string, number> }
  >();
  for (const m of measures) {
    const kind = kindOfKey(m.key);
    const t = byKind.get(kind) ?? { keys: 0, elements: 0, bytes: 0, encodings: {} };
    t.keys += 1;
    t.elements += m.length;
    t.bytes += m.bytes;
    t.encodings[m.encoding] = (t.encodings[m.encoding] ?? 0) + 1;
    byKind.set(kind, t);
  }
  return [...byKind]
    .map(([kind, t]) => ({ kind, ...t }))
    .sort((a, b) => b.bytes - a.bytes || a.kind.localeCompare(b.kind));
}

const LENGTH_OF: Readonly<Record<string, string>> = {
  hash: 'HLEN',
  zset: 'ZCARD',
  list: 'LLEN',
  set: 'SCARD',
};

/** Every key of the server, measured; a pipeline per SCAN page. */
export async function measureKeys(redis: Redis): Promise<KeyMeasure[]> {
  const measures: KeyMeasure[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 500);
    cursor = next;
    if (keys.length === 0) continue;
    const types = (await Promise.all(keys.map((k) => redis.type(k)))) as string[];
    const pipeline = redis.pipeline();
    keys.forEach((key, i) => {
      pipeline.call('MEMORY', 'USAGE', key, 'SAMPLES', '0');
      pipeline.call('OBJECT', 'ENCODING', key);
      const lengthCommand = LENGTH_OF[types[i]!];
      if (lengthCommand) pipeline.call(lengthCommand, key);
      else pipeline.call('EXISTS', key);
    });
    const replies = (await pipeline.exec()) ?? [];
    keys.forEach((key, i) => {
      const [usage, encoding, length] = replies.slice(3 * i, 3 * i + 3).map(([error, value]) => {
        if (error) throw error;
        return value;
      });
      measures.push({
        key,
        type: types[i]!,
        encoding: String(encoding),
        bytes: Number(usage ?? 0),
        length: Number(length ?? 0),
      });
    });
  } while (cursor !== '0');
  return measures;
}

/** used_memory and friends from INFO memory. */
export async function memoryInfo(redis: Redis): Promise<Record<string, number>> {
  const info = String(await redis.info('memory'));
  const wanted = [
    'used_memory',
    'used_memory_dataset',
    'used_memory_overhead',
    'used_memory_rss',
    'mem_fragmentation_ratio',
  ];
  const out: Record<string, number> = {};
  for (const name of wanted) {
    const m = new RegExp(`^${name}:([^\\r\\n]+)`, 'm').exec(info);
    if (m) out[name] = Number(m[1]);
  }
  return out;
}
