import { describe, expect, it } from 'vitest';
import { partitionKeys } from '../../shared/redis/keys.js';
import { RedisPartitionStore } from '../../shared/redis/partition-store.js';
import { eventKey, RecentEvents } from '../../shared/runtime/recent-events.js';
import { uniqueName } from '../support/endpoints.js';
import { useRedisFunctions } from '../support/redis-functions.js';
import { segmentWrite } from '../support/segment-write.js';

// Customers idle beyond the dedupe horizon must keep no event ids although no record or timer of
// theirs is ever read again (a year of customers who bought a few times each kept 85 B apiece in
// the recent-events hash). The apply script sweeps the hash a few fields a step; on real Redis,
// both encodings (a small listpack hash is returned whole by HSCAN, a large hashtable in cursor
// steps), ids of several entries, and a customer whose newest id is exactly at the floor.

const WORKER = 'recent-sweep';
const DAY = 86_400_000;
const HORIZON = 7 * DAY;

const run = useRedisFunctions();

/** A customer's stored ids, applied at the given stream times. */
function idsAppliedAt(customerId: string, times: readonly number[]): string {
  const recent = RecentEvents.empty();
  for (const [n, time] of times.entries()) recent.add(eventKey(`${customerId}-${n}`), time, 0, 64);
  return recent.encode()!;
}

async function sweepScenario(customers: number, fieldsPerStep: number) {
  const prefix = uniqueName('recent-sweep');
  const store = new RedisPartitionStore(run.redis, run.functions, prefix, WORKER, 0, 'none', 5_000);
  const keys = partitionKeys(prefix, WORKER, 0);
  const now = 400 * DAY;
  const floor = now - HORIZON;
  // Every third customer active within the horizon (its newest id at or after the floor, one of
  // them exactly at it); the others idle for longer, some with an id of each kind.
  const expectedKept: string[] = [];
  const puts = new Map<string, string>();
  for (let c = 0; c < customers; c++) {
    const id = `c-${String(c).padStart(6, '0')}`;
    const active = c % 3 === 0;
    const newest = active ? (c === 0 ? floor : now - (c % 5) * DAY) : floor - 1 - (c % 40) * DAY;
    puts.set(id, idsAppliedAt(id, c % 2 === 0 ? [newest - 30 * DAY, newest] : [newest]));
    if (active) expectedKept.push(id);
  }
  const claimed = await store.claim();
  let version = claimed.meta.version;
  const apply = async (parts: Parameters<typeof segmentWrite>[2]) => {
    version = (await store.apply(segmentWrite(claimed.epoch, version, parts))).version;
  };
  await apply({ recentEvents: { puts, deletes: [] }, metaSets: new Map([['streamTime', String(now)]]) });
  const encoding = await run.redis.object('ENCODING', keys.recentEvents);
  let steps = 0;
  let full = false;
  for (; steps < 10 * Math.ceil(customers / fieldsPerStep) && !full; steps++) {
    await apply({
      metaSets: new Map([['streamTime', String(now + steps)]]),
      recentEventsSweep: { floor, fields: fieldsPerStep },
    });
    full = (await run.redis.hget(keys.meta, 'recentEventsSweep')) === '0';
  }
  const kept = (await run.redis.hkeys(keys.recentEvents)).sort();
  await run.redis.del(...Object.values(keys));
  return { encoding, steps, full, kept, expectedKept };
}

describe('the recent-events sweep (apply script, real Redis)', () => {
  it('deletes, in one step, the ids of every idle customer of a small hash', async () => {
    const { encoding, steps, kept, expectedKept } = await sweepScenario(60, 64);
    expect(encoding).toBe('listpack');
    expect(steps).toBe(1);
    expect(kept).toEqual(expectedKept);
  });

  it('goes round a large hash a few fields a step and keeps exactly the customers active within the horizon', async () => {
    const { encoding, steps, full, kept, expectedKept } = await sweepScenario(5_000, 256);
    expect(encoding).toBe('hashtable');
    expect(full).toBe(true);
    // One round: about customers ÷ fields steps (HSCAN's COUNT is a hint), not one.
    expect(steps).toBeGreaterThan(5);
    expect(kept).toEqual(expectedKept);
    expect(kept).toHaveLength(1_667);
  });
});
