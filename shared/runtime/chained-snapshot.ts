// A partition passing many population instants in one step (hourly refresh over a year of
// history: 8,760 a year) took a snapshot object of its whole histogram at each instant that moved,
// a thousand fields or so, of which a handful had changed. Built and then collected by the
// hundred thousand, those objects cost a tenth of the hourly replay in building and most of its
// garbage collection. A chained snapshot holds only the fields that moved since the snapshot
// before it, down to a whole one at most MAX_CHAIN links back (the owner builds one then), and reads as the same record: a
// merge that follows the lineage (snapshot-lineage.ts) reads the few fields that moved; one that
// reads every field gets them all (the chain is flattened once, then). Never written to.

import type { Counters } from './snapshot-codec.js';

/** Links between two whole snapshots: a read walks at most this many change sets. */
export const MAX_CHAIN = 16;

class ChainLink {
  /** The whole record, once a reader asked for every field. */
  flat: Record<string, number> | null = null;
  constructor(
    /** The snapshot before: a whole record or another link. */
    readonly previous: ChainLink | Counters,
    /** Each field that moved since `previous`, at its value now; 0 when gone. */
    readonly changes: ReadonlyMap<string, number>,
    /** Links from here back to the whole record. */
    readonly links: number,
    /** Fields the links hold in all (a read may walk each of them). */
    readonly fields: number,
  ) {}
}

const links = new WeakMap<object, ChainLink>();
const WHOLE = Object.freeze({ links: 0, fields: 0 });

function valueIn(snapshot: ChainLink | Counters, field: string): number | undefined {
  let at = snapshot;
  while (at instanceof ChainLink) {
    if (at.flat !== null) return at.flat[field];
    const value = at.changes.get(field);
    if (value !== undefined) return value === 0 ? undefined : value;
    at = at.previous;
  }
  return at[field];
}

function flatten(link: ChainLink): Record<string, number> {
  if (link.flat !== null) return link.flat;
  const chain: ChainLink[] = [];
  let at: ChainLink | Counters = link;
  while (at instanceof ChainLink && at.flat === null) {
    chain.push(at);
    at = at.previous;
  }
  const base = at instanceof ChainLink ? at.flat! : at;
  const flat: Record<string, number> = Object.create(null);
  for (const field in base) flat[field] = base[field]!;
  for (let i = chain.length - 1; i >= 0; i -= 1)
    for (const [field, value] of chain[i]!.changes) {
      if (value === 0) delete flat[field];
      else flat[field] = value;
    }
  link.flat = flat;
  return flat;
}

// The proxy's target is the link itself: its own properties are ordinary (writable,
// configurable), so reporting snapshot fields instead breaks none of a proxy's invariants.
const reading: ProxyHandler<ChainLink> = {
  get: (link, field) => (typeof field === 'string' ? valueIn(link, field) : undefined),
  has: (link, field) => typeof field === 'string' && valueIn(link, field) !== undefined,
  ownKeys: (link) => Object.keys(flatten(link)),
  getOwnPropertyDescriptor: (link, field) => {
    const value = typeof field === 'string' ? valueIn(link, field) : undefined;
    return value === undefined ? undefined : { value, writable: false, enumerable: true, configurable: true };
  },
  getPrototypeOf: () => null,
  set: () => false,
  defineProperty: () => false,
  deleteProperty: () => false,
  setPrototypeOf: () => false,
  preventExtensions: () => false,
};

/** How far `snapshot` is from a whole record: its links and the fields they hold (0, 0: it is one). */
export function chainOf(snapshot: Counters): { readonly links: number; readonly fields: number } {
  const link = links.get(snapshot);
  return link === undefined ? WHOLE : { links: link.links, fields: link.fields };
}

/**
 * `previous` with the fields in `changes` set to their values (0: gone), as a record holding
 * only `changes` (see chainOf: the caller builds a whole one every MAX_CHAIN links).
 */
export function chainSnapshot(previous: Counters, changes: ReadonlyMap<string, number>): Counters {
  const before = links.get(previous) ?? previous;
  const link =
    before instanceof ChainLink
      ? new ChainLink(before, changes, before.links + 1, before.fields + changes.size)
      : new ChainLink(before, changes, 1, changes.size);
  const snapshot = new Proxy(link, reading) as unknown as Counters;
  links.set(snapshot, link);
  return snapshot;
}

/** The snapshot as a plain record (itself when it is one), for a reader of every field. */
export function plainSnapshot(snapshot: Counters): Counters {
  const link = links.get(snapshot);
  return link === undefined ? snapshot : flatten(link);
}
