import { readFileSync } from 'node:fs';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VALUE_SEGMENTATION } from '../../services/value-segmentation/worker.js';
import { connectRedis, openRedis } from '../../shared/redis/connection.js';
import { partitionKeys, populationViewKey } from '../../shared/redis/keys.js';
import { runCommand } from '../support/cluster-stack.js';
import { waitFor } from '../support/kafka-test-client.js';
import { type OwnRedisCluster, ownRedisCluster } from '../support/redis-cluster.js';
import {
  appliedOffsets,
  compareScenarioWithOracle,
  PARTITIONS,
  produceStream,
  type Scenario,
  scenarioStream,
  startScenarioWorker,
  useScenarioFile,
  waitCommittedToEnd,
} from '../support/scenario.js';
import { startWorkerProcess } from '../support/worker-process.js';

// The value-segmentation worker on a real Redis Cluster (three primaries, three replicas):
// REDIS_CLUSTER_NODES instead of REDIS_URL, nothing else changed. Its decisions and the state
// it leaves equal the oracle's, and the partitions' keys spread over the three primaries.

const file = useScenarioFile();
let cluster: OwnRedisCluster;
let client: Cluster;
/** The first test's scenario; its worker keeps running for the balance test. */
let running: Scenario | undefined;

beforeAll(async () => {
  cluster = await ownRedisCluster(3, 1);
  client = cluster.client();
}, 120_000);

afterAll(async () => {
  client?.disconnect();
  await cluster?.destroy();
});

/** Where each partition's keys live: primary port → the partitions whose hash tag's slot it owns. */
async function partitionsByPrimary(keyPrefix: string): Promise<Map<number, number[]>> {
  const primaries = (await cluster.roles()).filter((r) => r.role === 'primary');
  expect(primaries).toHaveLength(3);
  const byPrimary = new Map<number, number[]>(primaries.map((r) => [r.port, []]));
  for (let p = 0; p < PARTITIONS; p++) {
    const slot = Number(
      await client.call('CLUSTER', 'KEYSLOT', partitionKeys(keyPrefix, VALUE_SEGMENTATION, p).meta),
    );
    const owner = primaries.find((r) =>
      r.slots.some((range) => {
        const [from, to = from] = range.split('-').map(Number);
        return slot >= from! && slot <= to!;
      }),
    )!;
    byPrimary.get(owner.port)!.push(p);
  }
  return byPrimary;
}

describe('value segmentation on a Redis Cluster', () => {
  it('decides as the oracle does, its partitions spread over the three primaries', async () => {
    const scenario = await file.createScenario('redis-cluster');
    const { count } = await produceStream(scenario, { ...scenarioStream, events: 3000, seed: 12 });
    const worker = await startScenarioWorker(scenario, 'redis-cluster', {
      REDIS_CLUSTER_NODES: cluster.seeds,
      REDIS_URL: 'redis://127.0.0.1:1',
    });
    file.workers.push(worker);
    await waitCommittedToEnd(scenario, 120_000);
    const comparison = await compareScenarioWithOracle(scenario, client);
    expect(comparison.outputs).toBeGreaterThan(0);

    const applied = await appliedOffsets(client, scenario.keyPrefix);
    expect(applied.every((offset) => offset !== null)).toBe(true);

    const byPrimary = await partitionsByPrimary(scenario.keyPrefix);
    // Twelve hash tags over three primaries: none holds all of them.
    expect([...byPrimary.values()].filter((ps) => ps.length > 0).length).toBeGreaterThan(1);
    running = scenario;
    // The views all partitions agreed on (one slot of their own) are read through the Cluster.
    const viewBoundary = await client.hget(
      partitionKeys(scenario.keyPrefix, VALUE_SEGMENTATION, 0).meta,
      'viewBoundary',
    );
    expect(viewBoundary).not.toBeNull();
    expect(
      await client.get(populationViewKey(scenario.keyPrefix, VALUE_SEGMENTATION, Number(viewBoundary))),
    ).not.toBeNull();
    console.log(
      `redis cluster: ${count} purchases, ${comparison.outputs} decisions equal to the oracle; partitions per primary ${[
        ...byPrimary.values(),
      ]
        .map((ps) => `[${ps.join(',')}]`)
        .join(' ')}`,
    );
  }, 240_000);

  it('npm run redis:balance spreads the partitions 4/4/4 under the running worker, state intact', async () => {
    const scenario = running!;
    expect(
      [...(await partitionsByPrimary(scenario.keyPrefix)).values()].map((ps) => ps.length).sort(),
    ).toEqual([3, 3, 6]);
    const balance = (...args: string[]) =>
      runCommand('npx', ['tsx', 'deploy/redis/balance-cli.ts', ...args], {
        ...process.env,
        REDIS_CLUSTER_NODES: cluster.seeds,
      });
    const dry = await balance('--dry-run');
    expect(dry.code, dry.output).toBe(0);
    expect(dry.output).toMatch(/would move slot/);
    expect(
      [...(await partitionsByPrimary(scenario.keyPrefix)).values()].map((ps) => ps.length).sort(),
    ).toEqual([3, 3, 6]);
    const moved = await balance();
    expect(moved.code, moved.output).toBe(0);
    expect(moved.output).toMatch(/\| value-segmentation \| 4 \| 4 \| 4 \|/);
    expect(
      [...(await partitionsByPrimary(scenario.keyPrefix)).values()].map((ps) => ps.length).sort(),
    ).toEqual([4, 4, 4]);
    // The state moved with its slots, and the worker goes on where it left off.
    await produceStream(scenario, {
      ...scenarioStream,
      events: 1500,
      seed: 13,
      startTime: Date.parse('2024-06-01T00:00:00Z'),
    });
    await waitCommittedToEnd(scenario, 120_000);
    const comparison = await compareScenarioWithOracle(scenario, client);
    expect(comparison.outputs).toBeGreaterThan(0);
    const again = await balance();
    expect(again.output).toContain('already even: nothing to move');
    console.log(
      `redis:balance: ${moved.output.split('\n').filter((l) => l.startsWith('moved')).length} slots moved`,
    );
  }, 240_000);

  it('stops start-up naming REDIS_CLUSTER_NODES when REDIS_URL reaches a Cluster node', async () => {
    const scenario = await file.createScenario('redis-cluster-url');
    const worker = await startWorkerProcess(
      'services/value-segmentation/main.ts',
      {
        KAFKA_BROKERS: scenario.brokers,
        REDIS_URL: `redis://${cluster.nodes[0]!.address}`,
        TOPIC_PREFIX: scenario.topicPrefix,
        KEY_PREFIX: scenario.keyPrefix,
        CONSUMER_GROUP_PREFIX: scenario.groupPrefix,
        TOPIC_PARTITIONS: String(PARTITIONS),
      },
      'redis-cluster-url',
    );
    file.workers.push(worker);
    const exit = await worker.exited;
    expect(exit.code).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(readFileSync(worker.logFile, 'utf8')).toContain('REDIS_CLUSTER_NODES');
  }, 60_000);

  it('connects while a primary fails over (cluster_state:fail at the first ready check) once a replica took over', async () => {
    const primaries = (await cluster.roles()).filter((r) => r.role === 'primary');
    const victim = primaries[0]!.port;
    const witness = primaries[1]!.port;
    cluster.signal(victim, 'SIGKILL');
    await waitFor(
      'the Cluster to see the primary failed',
      async () => {
        const node = cluster.node(witness);
        try {
          return /cluster_state:fail/.test(String(await node.call('CLUSTER', 'INFO')));
        } finally {
          node.disconnect();
        }
      },
      { timeoutMs: 30_000, intervalMs: 50 },
    );
    const redis = connectRedis({
      url: 'redis://127.0.0.1:1',
      clusterNodes: cluster.seeds.split(','),
      commandTimeoutMs: 2000,
      connectionName: 'failover-open',
    });
    redis.on('error', () => undefined);
    try {
      // ioredis's connect() never settled here: its ready check failed and it reconnected alone.
      await openRedis(redis, 60_000);
      expect(redis.status).toBe('ready');
      expect(await redis.set('{failover-open}:k', 'v')).toBe('OK');
    } finally {
      redis.disconnect();
      await cluster.restart(victim);
      await cluster.waitSettled();
    }
  }, 120_000);
});
