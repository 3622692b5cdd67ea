import { UnknownSchemaIdError } from './errors.js';
import type { WriterSchema } from './registry-client.js';

// Writer schemas by id, fetched from the registry before the records that name them are decoded
// (decoding is synchronous), kept in a bounded least-recently-used cache. A schema id never
// changes meaning in a registry, so entries never go stale; an id the registry does not know is
// cached as unknown too (its records are dead-lettered, and a topic full of them must not cost a
// request each). The ids a step is about to decode are pinned until it has decoded them: another
// partition's step cannot evict them in between, whatever the cache size.

export type WriterEntry =
  | {
      readonly kind: 'schema';
      readonly schemaId: number;
      readonly writer: WriterSchema;
      /** Per reader schema: what decoding with this writer needs (built once, by input-framing.ts). */
      readonly readers: Map<string, unknown>;
    }
  | { readonly kind: 'unknown'; readonly schemaId: number };

export interface WriterSchemaCacheOptions {
  readonly maxEntries: number;
  /** Requests to the registry at once when a step names many new ids. */
  readonly concurrency?: number;
  /** Each id a step looks up: found in the cache, or fetched. */
  readonly onLookup?: (result: 'hit' | 'miss') => void;
}

/** Releases the ids a pin() kept from eviction. */
export type Release = () => void;

export class WriterSchemaCache {
  private readonly entries = new Map<number, WriterEntry>();
  private readonly pins = new Map<number, number>();
  private readonly inFlight = new Map<number, Promise<WriterEntry>>();

  constructor(
    private readonly fetchSchema: (id: number) => Promise<WriterSchema>,
    private readonly options: WriterSchemaCacheOptions,
  ) {
    if (!(options.maxEntries >= 1)) throw new RangeError('maxEntries must be at least 1');
  }

  get size(): number {
    return this.entries.size;
  }

  /** The entry of a cached id (and marks it recently used), or undefined. */
  get(id: number): WriterEntry | undefined {
    const entry = this.entries.get(id);
    if (entry !== undefined) {
      this.entries.delete(id);
      this.entries.set(id, entry);
    }
    return entry;
  }

  /**
   * Makes every id present and pins it until the returned release is called. Throws the
   * registry's error (unavailable, rejected) when an id cannot be looked up; then nothing stays
   * pinned, and the ids fetched so far stay cached.
   */
  async pin(ids: Iterable<number>): Promise<Release> {
    const wanted = [...new Set(ids)];
    for (const id of wanted) this.pins.set(id, (this.pins.get(id) ?? 0) + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      for (const id of wanted) {
        const left = (this.pins.get(id) ?? 1) - 1;
        if (left > 0) this.pins.set(id, left);
        else this.pins.delete(id);
      }
      this.evict();
    };
    try {
      const missing = wanted.filter((id) => {
        const hit = this.get(id) !== undefined;
        this.options.onLookup?.(hit ? 'hit' : 'miss');
        return !hit;
      });
      const concurrency = Math.max(1, this.options.concurrency ?? 4);
      for (let i = 0; i < missing.length; i += concurrency)
        await Promise.all(missing.slice(i, i + concurrency).map((id) => this.load(id)));
      return release;
    } catch (error) {
      release();
      throw error;
    }
  }

  private load(id: number): Promise<WriterEntry> {
    let loading = this.inFlight.get(id);
    if (!loading) {
      loading = this.fetchSchema(id)
        .then(
          (writer): WriterEntry => ({ kind: 'schema', schemaId: id, writer, readers: new Map() }),
          (error: unknown): WriterEntry => {
            if (error instanceof UnknownSchemaIdError) return { kind: 'unknown', schemaId: id };
            throw error;
          },
        )
        .then((entry) => {
          this.entries.set(id, entry);
          this.evict();
          return entry;
        })
        .finally(() => this.inFlight.delete(id));
      this.inFlight.set(id, loading);
    }
    return loading;
  }

  /** Least recently used first; pinned ids stay (the cache may exceed its size while they are). */
  private evict(): void {
    if (this.entries.size <= this.options.maxEntries) return;
    for (const id of this.entries.keys()) {
      if (this.entries.size <= this.options.maxEntries) return;
      if (!this.pins.has(id)) this.entries.delete(id);
    }
  }
}
