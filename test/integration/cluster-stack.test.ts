import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Cluster, Redis } from 'ioredis';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allTopicNames } from '../../shared/topics.js';
import {
  clusterStackEnv,
  processAlive,
  readStackEnvFile,
  runStack,
  type StackRun,
} from '../support/cluster-stack.js';

// `deploy/stack.sh up --cluster` for real: six redis-server processes forming a Redis Cluster and
// three Kafka brokers with a KRaft quorum, in a stack dir and on ports of this test's own, so the
// stack the other tests use is not touched. Three JVMs on two cores take a while: the timeouts
// below are minutes, not the default seconds.

const UP_TIMEOUT_MS = 300_000;

function hostPort(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i), port: Number(address.slice(i + 1)) };
}

/** Every pid file under the stack dir (the nodes and brokers the script started). */
function recordedPids(stackDir: string, env: Record<string, string>): number[] {
  const files = [
    ...env
      .REDIS_CLUSTER_NODES!.split(',')
      .map((node) => path.join(stackDir, 'redis-cluster', String(hostPort(node).port), 'redis.pid')),
    ...[1, 2, 3].map((n) => path.join(stackDir, 'kafka-cluster', String(n), 'kafka.pid')),
  ];
  return files.map((file) => Number(readFileSync(file, 'utf8').trim()));
}

async function withNode<T>(address: string, use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({ ...hostPort(address), lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

interface NodeLine {
  readonly id: string;
  readonly address: string;
  readonly flags: string[];
  readonly primaryId: string;
  /** Slot ranges, inclusive. */
  readonly slots: [number, number][];
}

/** CLUSTER NODES: id, address@bus, flags, primary id, ..., then the slot ranges of a primary. */
function parseClusterNodes(text: string): NodeLine[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id, address, flags, primaryId, , , , , ...ranges] = line.trim().split(' ');
      const slots = ranges
        .filter((r) => !r.startsWith('['))
        .map((r): [number, number] => {
          const [from, to] = r.split('-').map(Number);
          return [from!, to ?? from!];
        });
      return {
        id: id!,
        address: address!.replace(/@.*/, ''),
        flags: flags!.split(','),
        primaryId: primaryId!,
        slots,
      };
    });
}

const slotCount = (node: NodeLine) => node.slots.reduce((sum, [from, to]) => sum + to - from + 1, 0);
const ownsSlot = (node: NodeLine, slot: number) =>
  node.slots.some(([from, to]) => slot >= from && slot <= to);

describe('bash deploy/stack.sh up --cluster', () => {
  const stackDir = mkdtempSync(path.join(tmpdir(), 'valuestream-cluster-'));
  // Next to the defaults (17000, 19192), not on them, and below Linux's ephemeral range (32768
  // and up), where an outgoing connection can hold a port for a while.
  const env = clusterStackEnv(stackDir, { redis: 17100, kafka: 19300 });
  let up: StackRun;
  let upSeconds = 0;
  let written: Record<string, string> = {};
  let pids: number[] = [];
  let downDone = false;

  beforeAll(async () => {
    const started = Date.now();
    up = await runStack(env, 'up', '--cluster');
    upSeconds = (Date.now() - started) / 1000;
    process.stderr.write(`[cluster-stack] up --cluster: exit ${up.code} in ${upSeconds.toFixed(1)} s\n`);
    if (up.code === 0) {
      written = readStackEnvFile(stackDir);
      pids = recordedPids(stackDir, written);
    }
  }, UP_TIMEOUT_MS);

  afterAll(async () => {
    if (!downDone) await runStack(env, 'down', '--purge');
    rmSync(stackDir, { recursive: true, force: true });
  }, 180_000);

  it('comes up and writes three brokers and six Redis nodes to its env file, with no REDIS_URL', () => {
    expect(up.code, up.output).toBe(0);
    expect(written.KAFKA_BROKERS!.split(',')).toHaveLength(3);
    expect(written.REDIS_CLUSTER_NODES!.split(',')).toHaveLength(6);
    expect(written).not.toHaveProperty('REDIS_URL');
    for (const address of [
      ...written.KAFKA_BROKERS!.split(','),
      ...written.REDIS_CLUSTER_NODES!.split(','),
    ]) {
      expect(hostPort(address).host).toBe('127.0.0.1');
    }
  });

  it('runs a Redis Cluster of three primaries owning all 16384 slots, each with one replica in sync', async () => {
    const nodes = written.REDIS_CLUSTER_NODES!.split(',');
    for (const address of nodes) {
      const info = await withNode(address, (redis) => redis.cluster('INFO'));
      expect(info, address).toMatch(/^cluster_state:ok\r?$/m);
      expect(info, address).toMatch(/^cluster_known_nodes:6\r?$/m);
    }

    const view = parseClusterNodes(
      await withNode(nodes[0]!, (redis) => redis.cluster('NODES') as Promise<string>),
    );
    expect(view.map((n) => n.address).sort()).toEqual([...nodes].sort());
    const primaries = view.filter((n) => n.flags.includes('master'));
    const replicas = view.filter((n) => n.flags.includes('slave'));
    expect(primaries).toHaveLength(3);
    expect(replicas).toHaveLength(3);
    for (const primary of primaries) expect(slotCount(primary), primary.address).toBeGreaterThan(0);
    expect(primaries.reduce((sum, p) => sum + slotCount(p), 0)).toBe(16384);
    // One replica per primary, not two on one and none on another.
    expect(new Set(replicas.map((r) => r.primaryId))).toEqual(new Set(primaries.map((p) => p.id)));

    for (const replica of replicas) {
      const role = (await withNode(replica.address, (redis) => redis.call('ROLE'))) as unknown[];
      expect(role[0], replica.address).toBe('slave');
      expect(role[3], replica.address).toBe('connected');
      // AOF on every node, as the single Redis: the runtime's durability rests on it.
      const aof = await withNode(replica.address, (redis) => redis.config('GET', 'appendfsync'));
      expect(aof).toEqual(['appendfsync', 'always']);
    }

    // A cluster client reaches all three shards (these six hash tags fall on all three), and on
    // each primary a write is acknowledged by its replica (WAIT 1).
    const cluster = new Cluster(nodes.map(hostPort), { lazyConnect: true });
    const ownerOf = new Map<string, string>();
    try {
      await cluster.connect();
      for (const tag of ['a', 'b', 'c', 'd', 'e', 'f']) {
        const key = `{${tag}}:cluster-stack-test`;
        await cluster.set(key, tag);
        expect(await cluster.get(key)).toBe(tag);
        const slot = (await cluster.cluster('KEYSLOT', key)) as number;
        ownerOf.set(primaries.find((p) => ownsSlot(p, slot))!.id, key);
      }
    } finally {
      cluster.disconnect();
    }
    expect(ownerOf.size).toBe(3);
    for (const primary of primaries) {
      const key = ownerOf.get(primary.id)!;
      const acked = await withNode(primary.address, async (redis) => {
        await redis.set(key, 'replicated');
        return redis.call('WAIT', '1', '5000');
      });
      expect(acked, primary.address).toBe(1);
    }
  });

  it('runs three Kafka brokers; every catalogue topic has replication factor 3 and min.insync.replicas 2', async () => {
    const brokers = written.KAFKA_BROKERS!.split(',');
    const kafka = new kafkajs.Kafka({
      clientId: 'cluster-stack-test',
      brokers,
      logLevel: kafkajs.logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const described = await admin.describeCluster();
      expect(described.brokers.map((b) => `${b.host}:${b.port}`).sort()).toEqual([...brokers].sort());
      expect(described.brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3]);

      const metadata = await admin.fetchTopicMetadata({ topics: allTopicNames() });
      for (const topic of metadata.topics) {
        for (const partition of topic.partitions) {
          expect(partition.replicas, `${topic.name}/${partition.partitionId}`).toHaveLength(3);
        }
      }

      const configs = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [
          {
            type: kafkajs.ConfigResourceTypes.TOPIC,
            name: 'purchases',
            configNames: ['min.insync.replicas'],
          },
        ],
      });
      const entry = configs.resources[0]!.configEntries.find((e) => e.configName === 'min.insync.replicas');
      expect(entry?.configValue).toBe('2');
    } finally {
      await admin.disconnect();
    }

    // acks=all is answered only when two of three replicas have the record.
    const producer = kafka.producer();
    await producer.connect();
    try {
      const [sent] = await producer.send({
        topic: 'purchases',
        acks: -1,
        messages: [{ key: 'c-1', value: 'x' }],
      });
      expect(sent!.errorCode).toBe(0);
    } finally {
      await producer.disconnect();
    }
  });

  it('status lists the six Redis nodes and three brokers and exits 0', async () => {
    const status = await runStack(env, 'status');
    expect(status.code, status.output).toBe(0);
    expect(status.output.match(/^redis {2}primary /gm)).toHaveLength(3);
    expect(status.output.match(/^redis {2}replica /gm)).toHaveLength(3);
    expect(status.output.match(/^kafka {2}running {3}node \d /gm)).toHaveLength(3);
  });

  it('up --cluster again finds it running and starts nothing', async () => {
    const again = await runStack(env, 'up', '--cluster');
    expect(again.code, again.output).toBe(0);
    expect(again.output).toMatch(/Redis Cluster already running/);
    expect(again.output).toMatch(/Kafka cluster already running/);
    expect(recordedPids(stackDir, readStackEnvFile(stackDir))).toEqual(pids);
  });

  it('down --purge stops every node and broker and deletes their data', async () => {
    expect(pids).toHaveLength(9);
    expect(pids.filter(processAlive)).toHaveLength(9);
    const down = await runStack(env, 'down', '--purge');
    downDone = true;
    expect(down.code, down.output).toBe(0);
    expect(pids.filter(processAlive)).toEqual([]);
    expect(existsSync(path.join(stackDir, 'redis-cluster'))).toBe(false);
    expect(existsSync(path.join(stackDir, 'kafka-cluster'))).toBe(false);
    expect(existsSync(path.join(stackDir, 'env'))).toBe(false);
    expect((await runStack(env, 'status')).code).toBe(3);
  }, 180_000);
});
