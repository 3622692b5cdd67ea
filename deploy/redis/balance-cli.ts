// Spreads every worker's partitions evenly over the primaries of a Redis Cluster by moving the
// slots of their hash tags (cluster-balance.ts plans, cluster-slots.ts moves), online:
//
//   REDIS_CLUSTER_NODES=host:port[,host:port] npm run redis:balance -- [--dry-run] \
//     [--workers value-segmentation,share-of-wallet,retention,next-best-offer] [--partitions 12]
//
// REDIS_USERNAME / REDIS_PASSWORD(_FILE) when the nodes need credentials (MIGRATE passes them
// on); REDIS_CLUSTER_TLS and REDIS_TLS_* as the workers read them.
// Prints each worker's tags per primary before and after, and the slots moved. Exit code 2 on a
// usage error, 1 when Redis fails.
import { parseArgs } from 'node:util';
import { Cluster } from 'ioredis';
import { env, parseEnv } from '../../shared/config/env.js';
import { redisSecurityEnvSpec, runtimeEnvSpec } from '../../shared/config/runtime-config.js';
import {
  type RedisSecurity,
  redisConnectionOptions,
  resolveRedisSecurity,
} from '../../shared/config/secure-connections.js';
import { ConfigError } from '../../shared/errors.js';
import { openRedis } from '../../shared/redis/connection.js';
import { planBalance, type SlotGroup, spreadOf, workerSlotGroups } from './cluster-balance.js';
import { migrateSlot, primariesWithIds, slotOwners } from './cluster-slots.js';

const ALL_WORKERS = ['value-segmentation', 'share-of-wallet', 'retention', 'next-best-offer'];

function fail(message: string): never {
  process.stderr.write(`redis:balance: ${message}\n`);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: ALL_WORKERS.join(',') },
    partitions: { type: 'string', default: process.env.TOPIC_PARTITIONS || '12' },
    'dry-run': { type: 'boolean', default: false },
  },
});
const workers = values.workers!.split(',').filter((w) => w !== '');
const partitions = Number(values.partitions);
if (workers.length === 0) fail('--workers names no worker');
if (!Number.isInteger(partitions) || partitions < 1)
  fail(`--partitions must be a positive integer, got ${values.partitions}`);
const seeds = env.hostPorts().safeParse(process.env.REDIS_CLUSTER_NODES ?? '');
if (!seeds.success) fail(`REDIS_CLUSTER_NODES: ${seeds.error.issues[0]?.message ?? 'invalid'}`);
if (seeds.data.length === 0) fail('REDIS_CLUSTER_NODES: set it to host:port[,host:port] of the Cluster');
const nodes = seeds.data.map((seed) => {
  const at = seed.lastIndexOf(':');
  return { host: seed.slice(0, at), port: Number(seed.slice(at + 1)) };
});
let security: RedisSecurity;
try {
  security = resolveRedisSecurity({
    ...parseEnv(
      { REDIS_CLUSTER_TLS: runtimeEnvSpec.REDIS_CLUSTER_TLS, ...redisSecurityEnvSpec },
      process.env,
    ),
    REDIS_URL: 'redis://unused',
    REDIS_CLUSTER_NODES: seeds.data,
  });
} catch (error) {
  fail(error instanceof ConfigError ? error.message : String(error));
}
const { password, username } = security;

const cluster = new Cluster(nodes, { lazyConnect: true, redisOptions: redisConnectionOptions(security) });

function table(
  groups: readonly SlotGroup[],
  owners: ReadonlyMap<number, string>,
  ids: readonly string[],
  names: Map<string, string>,
): string {
  const header = `| tags | ${ids.map((id) => names.get(id)).join(' | ')} |`;
  const rule = `|---|${ids.map(() => '--:').join('|')}|`;
  const rows = groups.map((g) => `| ${g.name} | ${[...spreadOf(g, owners, ids).values()].join(' | ')} |`);
  return [header, rule, ...rows].join('\n');
}

try {
  await openRedis(cluster);
  const primaries = await primariesWithIds(cluster);
  const ids = primaries.map((p) => p.id).sort();
  const names = new Map(primaries.map((p) => [p.id, `${p.host}:${p.port}`]));
  const owners = await slotOwners(primaries[0]!.client);
  const groups = workerSlotGroups(workers, partitions);
  process.stdout.write(`before:\n${table(groups, owners, ids, names)}\n`);
  const moves = planBalance(ids, owners, groups);
  if (moves.length === 0) process.stdout.write('already even: nothing to move\n');
  const after = new Map(owners);
  for (const move of moves) {
    const byId = (id: string) => primaries.find((p) => p.id === id)!;
    const keys = values['dry-run']
      ? 0
      : await migrateSlot(move.slot, byId(move.from), byId(move.to), primaries, {
          ...(password === undefined
            ? {}
            : { auth: { password, ...(username === undefined ? {} : { username }) } }),
        });
    after.set(move.slot, move.to);
    process.stdout.write(
      `${values['dry-run'] ? 'would move' : 'moved'} slot ${move.slot} ${names.get(move.from)} -> ${names.get(move.to)}${values['dry-run'] ? '' : ` (${keys} keys)`}\n`,
    );
  }
  process.stdout.write(`after:\n${table(groups, after, ids, names)}\n`);
  await cluster.quit();
} catch (error) {
  process.stderr.write(`redis:balance: ${(error as Error).message}\n`);
  cluster.disconnect();
  process.exit(1);
}
