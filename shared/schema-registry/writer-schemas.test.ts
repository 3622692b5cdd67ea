import { describe, expect, it } from 'vitest';
import { RegistryUnavailableError, UnknownSchemaIdError } from './errors.js';
import type { WriterSchema } from './registry-client.js';
import { WriterSchemaCache } from './writer-schemas.js';

/** A registry stand-in at the level of the cache: ids 1..99 exist, 404 beyond; counts fetches. */
function source() {
  const fetched: number[] = [];
  let down = false;
  const fetchSchema = async (id: number): Promise<WriterSchema> => {
    fetched.push(id);
    await new Promise((r) => setImmediate(r));
    if (down) throw new RegistryUnavailableError('stand-in down');
    if (id >= 100) throw new UnknownSchemaIdError(id);
    return { schemaType: 'AVRO', schema: `{"type":"record","name":"S${id}","fields":[]}` };
  };
  return {
    fetched,
    fetchSchema,
    setDown: (value: boolean) => {
      down = value;
    },
  };
}

describe('WriterSchemaCache', () => {
  it('fetches each id once, counts hits and misses, and caches unknown ids too', async () => {
    const s = source();
    const lookups: string[] = [];
    const cache = new WriterSchemaCache(s.fetchSchema, { maxEntries: 10, onLookup: (r) => lookups.push(r) });
    (await cache.pin([1, 2, 1, 100]))();
    (await cache.pin([2, 100]))();
    expect(s.fetched.sort()).toEqual([1, 100, 2]);
    expect(lookups).toEqual(['miss', 'miss', 'miss', 'hit', 'hit']);
    expect(cache.get(1)).toMatchObject({ kind: 'schema', schemaId: 1 });
    expect(cache.get(100)).toEqual({ kind: 'unknown', schemaId: 100 });
  });

  it('is bounded: the least recently used id goes first', async () => {
    const s = source();
    const cache = new WriterSchemaCache(s.fetchSchema, { maxEntries: 3 });
    for (const id of [1, 2, 3]) (await cache.pin([id]))();
    cache.get(1); // 2 is now the least recently used
    (await cache.pin([4]))();
    expect(cache.size).toBe(3);
    expect(cache.get(2)).toBeUndefined();
    expect(cache.get(1)).toBeDefined();
    for (let id = 10; id < 60; id++) (await cache.pin([id]))();
    expect(cache.size).toBe(3);
  });

  it('keeps pinned ids whatever else is fetched, and shrinks back to its size when released', async () => {
    const s = source();
    const cache = new WriterSchemaCache(s.fetchSchema, { maxEntries: 2 });
    const release = await cache.pin([1, 2, 3, 4]);
    // Another partition's step in between: it cannot evict the ids the first step is decoding.
    (await cache.pin([5, 6]))();
    for (const id of [1, 2, 3, 4]) expect(cache.get(id), `id ${id}`).toBeDefined();
    release();
    release(); // twice is harmless
    expect(cache.size).toBe(2);
  });

  it('asks once for an id two steps want at the same time', async () => {
    const s = source();
    const cache = new WriterSchemaCache(s.fetchSchema, { maxEntries: 10 });
    const [a, b] = await Promise.all([cache.pin([7]), cache.pin([7])]);
    a();
    b();
    expect(s.fetched).toEqual([7]);
  });

  it('throws while the registry is down, pins nothing, and fetches again once it is back', async () => {
    const s = source();
    const cache = new WriterSchemaCache(s.fetchSchema, { maxEntries: 1 });
    s.setDown(true);
    await expect(cache.pin([1, 2])).rejects.toBeInstanceOf(RegistryUnavailableError);
    expect(cache.size).toBe(0);
    s.setDown(false);
    const release = await cache.pin([1, 2]);
    expect(cache.size).toBe(2);
    release();
    expect(cache.size).toBe(1);
  });

  it('refuses a size below one', () => {
    expect(() => new WriterSchemaCache(source().fetchSchema, { maxEntries: 0 })).toThrow(RangeError);
  });
});
