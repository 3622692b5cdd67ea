import { readFileSync } from 'node:fs';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VALUE_SEGMENTATION } from '../../services/value-segmentation/worker.js';
import { partitionKeys, populationViewKey } from '../../shared/redis/keys.js';
import { type OwnRedisCluster, ownRedisCluster } from '../support/redis-cluster.js';
import {
  appliedOffsets,
  compareScenarioWithOracle,
  PARTITIONS,
  produceStream,
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

beforeAll(async () => {
  cluster = await ownRedisCluster(3, 1);
  client = cluster.client();
}, 120_000);

afterAll(async () => {
  client?.disconnect();
  await cluster?.destroy();
});

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

    // Where each partition's keys live: the primary that owns its hash tag's slot.
    const primaries = (await cluster.roles()).filter((r) => r.role === 'primary');
    expect(primaries).toHaveLength(3);
    const byPrimary = new Map<number, number[]>();
    for (let p = 0; p < PARTITIONS; p++) {
      const slot = Number(
        await client.call(
          'CLUSTER',
          'KEYSLOT',
          partitionKeys(scenario.keyPrefix, VALUE_SEGMENTATION, p).meta,
        ),
      );
      const owner = primaries.find((r) =>
        r.slots.some((range) => {
          const [from, to = from] = range.split('-').map(Number);
          return slot >= from! && slot <= to!;
        }),
      )!;
      byPrimary.set(owner.port, [...(byPrimary.get(owner.port) ?? []), p]);
    }
    // Twelve hash tags over three primaries: none holds all of them.
    expect(byPrimary.size).toBeGreaterThan(1);
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
});
