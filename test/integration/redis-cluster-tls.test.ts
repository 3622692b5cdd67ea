import { readFileSync, rmSync } from 'node:fs';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../support/cluster-stack.js';
import { waitFor } from '../support/kafka-test-client.js';
import { type OwnRedisCluster, ownRedisCluster } from '../support/redis-cluster.js';
import {
  appliedOffsets,
  compareScenarioWithOracle,
  produceStream,
  scenarioStream,
  startScenarioWorker,
  useScenarioFile,
  waitCommittedToEnd,
} from '../support/scenario.js';
import { makeTestCertificates, type TestCertificates } from '../support/test-certificates.js';

// The value-segmentation worker on a Redis Cluster that speaks only TLS (clients, cluster bus and
// replication; client certificates required): REDIS_CLUSTER_TLS=true and the REDIS_TLS_* files,
// nothing else changed. Its decisions and state equal the oracle's.

const file = useScenarioFile();
let certificates: TestCertificates;
let cluster: OwnRedisCluster;
let client: Cluster;

beforeAll(async () => {
  certificates = await makeTestCertificates();
  cluster = await ownRedisCluster(3, 0, { tls: certificates });
  client = cluster.client();
}, 120_000);

afterAll(async () => {
  client?.disconnect();
  await cluster?.destroy();
  if (certificates) rmSync(certificates.dir, { recursive: true, force: true });
});

describe('value segmentation on a TLS-only Redis Cluster', () => {
  it('decides as the oracle does over mutual TLS to every node', async () => {
    const scenario = await file.createScenario('redis-cluster-tls');
    await produceStream(scenario, { ...scenarioStream, events: 2000, seed: 31 });
    const worker = await startScenarioWorker(scenario, 'redis-cluster-tls', {
      REDIS_CLUSTER_NODES: cluster.seeds,
      REDIS_CLUSTER_TLS: 'true',
      REDIS_TLS_CA_FILE: certificates.ca,
      REDIS_TLS_CERT_FILE: certificates.clientCert,
      REDIS_TLS_KEY_FILE: certificates.clientKey,
      REDIS_URL: 'redis://127.0.0.1:1',
    });
    file.workers.push(worker);
    await waitCommittedToEnd(scenario, 120_000);
    const comparison = await compareScenarioWithOracle(scenario, client);
    expect(comparison.outputs).toBeGreaterThan(0);
    expect((await appliedOffsets(client, scenario.keyPrefix)).every((offset) => offset !== null)).toBe(true);

    // npm run redis:balance reads the same variables: it plans over TLS (and refuses without).
    const balance = (extra: Record<string, string>) =>
      runCommand(
        'npx',
        ['tsx', 'deploy/redis/balance-cli.ts', '--dry-run', '--workers', 'value-segmentation'],
        {
          ...process.env,
          REDIS_CLUSTER_NODES: cluster.seeds,
          ...extra,
        },
      );
    const planned = await balance({
      REDIS_CLUSTER_TLS: 'true',
      REDIS_TLS_CA_FILE: certificates.ca,
      REDIS_TLS_CERT_FILE: certificates.clientCert,
      REDIS_TLS_KEY_FILE: certificates.clientKey,
    });
    expect(planned.code, planned.output).toBe(0);
    expect(planned.output).toMatch(/\| value-segmentation \|/);
    const refused = await balance({ REDIS_TLS_CA_FILE: certificates.ca });
    expect(refused.code, refused.output).toBe(2);
    expect(refused.output).toMatch(/REDIS_TLS_CA_FILE.*REDIS_CLUSTER_TLS/);
  }, 240_000);

  it('without REDIS_CLUSTER_TLS the worker stops start-up with REDIS_UNAVAILABLE instead of hanging', async () => {
    const scenario = await file.createScenario('redis-cluster-plain-to-tls');
    const worker = await startScenarioWorker(scenario, 'redis-cluster-plain-to-tls', {
      REDIS_CLUSTER_NODES: cluster.seeds,
      REDIS_URL: 'redis://127.0.0.1:1',
    });
    file.workers.push(worker);
    const exit = await Promise.race([
      worker.exited,
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 90_000)),
    ]);
    expect(exit, 'the worker should stop by itself').not.toBeNull();
    expect(exit!.code).toBe(1);
    await waitFor(
      'the fatal line',
      async () => /REDIS_UNAVAILABLE/.test(readFileSync(worker.logFile, 'utf8')),
      { timeoutMs: 5000, intervalMs: 100 },
    );
  }, 120_000);
});
