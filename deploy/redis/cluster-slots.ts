// Slots of a live Redis Cluster: who owns them, and moving one with its keys the way
// `redis-cli --cluster reshard` does (IMPORTING/MIGRATING, MIGRATE key by key, SETSLOT NODE on
// every primary). Workers keep running meanwhile: their client follows ASK and MOVED, and a step
// that meets a half-moved partition (TRYAGAIN) is retried under its guard (the fault scenario
// cluster-slot-migration).

import type { Cluster, Redis } from 'ioredis';

export interface Primary {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly client: Redis;
}

/** The primaries the Cluster client knows, each with its node id. */
export async function primariesWithIds(cluster: Cluster): Promise<Primary[]> {
  return Promise.all(
    cluster.nodes('master').map(async (client) => ({
      id: String(await client.call('CLUSTER', 'MYID')),
      host: client.options.host ?? '127.0.0.1',
      port: client.options.port ?? 6379,
      client,
    })),
  );
}

/** Slot → node id of its primary, as CLUSTER SLOTS answers. */
export async function slotOwners(client: Redis): Promise<Map<number, string>> {
  const ranges = (await client.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number, string]]>;
  const owners = new Map<number, string>();
  for (const [low, high, [, , id]] of ranges)
    for (let slot = low; slot <= high; slot += 1) owners.set(slot, id);
  return owners;
}

export interface MigrateOptions {
  /** Pause between keys (tests use it so that clients meet the slot half moved). */
  readonly pauseMs?: number;
  /** Keys per MIGRATE. */
  readonly batch?: number;
  /** Credentials MIGRATE passes to the target (AUTH2), when the nodes ask for them. */
  readonly auth?: { readonly username?: string; readonly password: string };
}

/** Moves `slot` and its keys from `source` to `target`; returns the number of keys moved. */
export async function migrateSlot(
  slot: number,
  source: Primary,
  target: Primary,
  primaries: readonly Primary[],
  options: MigrateOptions = {},
): Promise<number> {
  if (source.id === target.id) return 0;
  await target.client.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', source.id);
  await source.client.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', target.id);
  const auth =
    options.auth === undefined
      ? []
      : options.auth.username === undefined
        ? ['AUTH', options.auth.password]
        : ['AUTH2', options.auth.username, options.auth.password];
  let moved = 0;
  for (;;) {
    const keys = (await source.client.call(
      'CLUSTER',
      'GETKEYSINSLOT',
      slot,
      options.batch ?? 100,
    )) as string[];
    if (keys.length === 0) break;
    await source.client.call('MIGRATE', target.host, target.port, '', 0, 10_000, ...auth, 'KEYS', ...keys);
    moved += keys.length;
    if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
  }
  // The target first (it stops answering ASK-only), then the source and the others.
  await target.client.call('CLUSTER', 'SETSLOT', slot, 'NODE', target.id);
  await source.client.call('CLUSTER', 'SETSLOT', slot, 'NODE', target.id);
  for (const primary of primaries)
    if (primary.id !== source.id && primary.id !== target.id)
      await primary.client.call('CLUSTER', 'SETSLOT', slot, 'NODE', target.id);
  return moved;
}
