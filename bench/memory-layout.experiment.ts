import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { parseTimerMember } from '../shared/redis/keys.js';
import { measureKeys, memoryInfo } from './lib/memory-usage.js';
import { startOwnRedis } from './lib/redis-server.js';

// What a different key layout would save, measured, not implemented: takes the per-customer keys
// a real worker left in a Redis (npm run bench:memory -- --keep-redis), writes the same entries
// into a fresh redis-server in each candidate layout, and measures them with MEMORY USAGE.
//
//   as-is          the runtime's layout today (checks that the copy measures as the original)
//   short-timers   timer members "a|<id>" instead of "age-out|<id>"
//   bucketed-<S>   every per-customer key split into small keys of about S customers each
//                  (bucket = FNV-1a(customerId) mod ceil(n / S) within the partition), so each
//                  stays listpack-encoded; timers keyed by bucket with members "<id>", plus one
//                  small sorted set per partition of bucket -> earliest due time
//
// usage: tsx bench/memory-layout.experiment.ts --from redis://127.0.0.1:<port> [--sizes 64,128,256]

const PER_CUSTOMER = ['customers', 'index', 'timers', 'recent-events'] as const;
type Kind = (typeof PER_CUSTOMER)[number];

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { from: { type: 'string' }, sizes: { type: 'string', default: '64,128,256' } },
});
if (!values.from) {
  process.stderr.write(
    'usage: tsx bench/memory-layout.experiment.ts --from <redis url> [--sizes 64,128,256]\n',
  );
  process.exit(2);
}
const sizes = values.sizes!.split(',').map(Number);

interface Entry {
  readonly customerId: string;
  readonly member: string;
  readonly value: string;
}
type Source = Map<string, Map<Kind, Entry[]>>; // hash tag -> kind -> entries

async function readSource(redis: Redis): Promise<Source> {
  const source: Source = new Map();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const m = /\{([^}]*)\}:([a-z-]+)$/.exec(key);
      if (!m || !PER_CUSTOMER.includes(m[2] as Kind)) continue;
      const kind = m[2] as Kind;
      const entries: Entry[] = [];
      if (kind === 'customers' || kind === 'recent-events') {
        const hash = await redis.hgetall(key);
        for (const [field, value] of Object.entries(hash))
          entries.push({ customerId: field, member: field, value });
      } else {
        const flat = await redis.zrange(key, 0, -1, 'WITHSCORES');
        for (let i = 0; i < flat.length; i += 2) {
          const member = flat[i]!;
          const customerId = kind === 'timers' ? parseTimerMember(member).customerId : member;
          entries.push({ customerId, member, value: flat[i + 1]! });
        }
      }
      const byKind = source.get(m[1]!) ?? new Map<Kind, Entry[]>();
      byKind.set(kind, entries);
      source.set(m[1]!, byKind);
    }
  } while (cursor !== '0');
  return source;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

type Layout = (
  tag: string,
  kind: Kind,
  entries: readonly Entry[],
) => Array<{ key: string; entries: Entry[] }>;

const asIs: Layout = (tag, kind, entries) => [{ key: `x:{${tag}}:${kind}`, entries: [...entries] }];

const shortTimers: Layout = (tag, kind, entries) => [
  {
    key: `x:{${tag}}:${kind}`,
    entries: kind === 'timers' ? entries.map((e) => ({ ...e, member: `a|${e.customerId}` })) : [...entries],
  },
];

function bucketed(size: number): Layout {
  return (tag, kind, entries) => {
    const buckets = Math.max(1, Math.ceil(entries.length / size));
    const split = Array.from({ length: buckets }, () => [] as Entry[]);
    for (const e of entries)
      split[fnv1a(e.customerId) % buckets]!.push(kind === 'timers' ? { ...e, member: e.customerId } : e);
    const keys = split.map((bucketEntries, b) => ({
      key: `x:{${tag}}:${kind}:${b}`,
      entries: bucketEntries,
    }));
    if (kind === 'timers') {
      // The runtime would find due buckets through one small sorted set per partition.
      const due = split.map((bucketEntries, b) => ({
        customerId: String(b),
        member: String(b),
        value: String(bucketEntries.reduce((m, e) => Math.min(m, Number(e.value)), Infinity)),
      }));
      keys.push({ key: `x:{${tag}}:timer-buckets`, entries: due.filter((d) => d.value !== 'Infinity') });
    }
    return keys;
  };
}

async function write(redis: Redis, source: Source, layout: Layout): Promise<void> {
  for (const [tag, byKind] of source)
    for (const [kind, entries] of byKind)
      for (const { key, entries: keyEntries } of layout(tag, kind, entries)) {
        const zset = kind === 'index' || kind === 'timers';
        for (let i = 0; i < keyEntries.length; i += 1000) {
          const chunk = keyEntries.slice(i, i + 1000);
          if (zset) await redis.zadd(key, ...chunk.flatMap((e) => [e.value, e.member]));
          else await redis.hset(key, ...chunk.flatMap((e) => [e.member, e.value]));
        }
      }
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const from = new Redis(values.from);
const source = await readSource(from);
await from.quit();
const customers = [...source.values()].reduce((n, byKind) => n + (byKind.get('customers')?.length ?? 0), 0);
const longestValue = (kind: Kind) => {
  let longest = 0;
  for (const byKind of source.values())
    for (const e of byKind.get(kind) ?? []) longest = Math.max(longest, e.value.length);
  return longest;
};
process.stdout.write(
  `${customers.toLocaleString('en-US')} customers read from ${values.from}; longest state ${longestValue('customers')} B, ` +
    `longest recent-events ${longestValue('recent-events')} B\n`,
);

const target = await startOwnRedis();
const redis = new Redis(target.url);
const variants: Array<{ name: string; layout: Layout; config: Record<string, string> }> = [
  { name: 'as-is', layout: asIs, config: {} },
  { name: 'short-timers', layout: shortTimers, config: {} },
  ...sizes.map((size) => ({
    name: `bucketed-${size}`,
    layout: bucketed(size),
    // Twice the mean, so that a bucket of a random split stays listpack; values as long as the
    // longest seen (a customer with many buckets has a state far longer than the default 64
    // allows: 380 B at 2 purchases a customer, 1,130 B at 9), else one long state turns its
    // whole bucket into a hashtable.
    config: {
      'hash-max-listpack-entries': String(2 * size),
      'zset-max-listpack-entries': String(2 * size),
      'hash-max-listpack-value': String(
        Math.max(64, longestValue('customers'), longestValue('recent-events')),
      ),
    },
  })),
];
const results = [];
try {
  for (const variant of variants) {
    await redis.flushall();
    await redis.config('SET', 'hash-max-listpack-entries', '128');
    await redis.config('SET', 'zset-max-listpack-entries', '128');
    await redis.config('SET', 'hash-max-listpack-value', '64');
    for (const [name, value] of Object.entries(variant.config)) await redis.config('SET', name, value);
    const before = await memoryInfo(redis);
    await write(redis, source, variant.layout);
    const after = await memoryInfo(redis);
    const keys = await measureKeys(redis);
    const byKind: Record<string, { keys: number; bytes: number; encodings: Record<string, number> }> = {};
    for (const k of keys) {
      const kind = /\}:([a-z-]+)/.exec(k.key)?.[1] ?? k.key;
      const t = byKind[kind] ?? { keys: 0, bytes: 0, encodings: {} };
      byKind[kind] = t;
      t.keys += 1;
      t.bytes += k.bytes;
      t.encodings[k.encoding] = (t.encodings[k.encoding] ?? 0) + 1;
    }
    const total = keys.reduce((a, k) => a + k.bytes, 0);
    const result = {
      variant: variant.name,
      config: variant.config,
      perCustomer: Object.fromEntries(Object.entries(byKind).map(([k, t]) => [k, t.bytes / customers])),
      kinds: byKind,
      totalPerCustomer: total / customers,
      usedMemoryPerCustomer: ((after.used_memory ?? 0) - (before.used_memory ?? 0)) / customers,
    };
    results.push(result);
    process.stdout.write(
      `${variant.name.padEnd(14)} ${Object.entries(result.perCustomer)
        .map(([k, v]) => `${k} ${v.toFixed(1)}`)
        .join(
          ', ',
        )} | keys ${result.totalPerCustomer.toFixed(1)} B, used_memory ${result.usedMemoryPerCustomer.toFixed(1)} B per customer\n`,
    );
  }
} finally {
  await redis.quit();
  await target.stop();
}
const outDir = join(root, 'bench', 'results');
mkdirSync(outDir, { recursive: true });
const file = join(
  outDir,
  `memory-layout-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}.json`,
);
writeFileSync(file, `${JSON.stringify({ from: values.from, customers, results }, null, 2)}\n`);
process.stdout.write(`written ${file}\n`);
