import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePurchaseStream } from '../../services/pos-simulator/generate.js';
import { VALUE_SEGMENTATION } from '../../services/value-segmentation/worker.js';
import { ConfigError } from '../../shared/errors.js';
import { resolveDurability } from '../../shared/redis/connection.js';
import { buildFunctionLibrary } from '../../shared/redis/functions.js';
import { partitionKeys, populationViewKey } from '../../shared/redis/keys.js';
import { deadLetterTopicOf, topicCatalogue } from '../../shared/topics.js';
import { waitFor } from '../support/kafka-test-client.js';
import {
  compareScenarioWithOracle,
  idFreeName,
  killWorker,
  PARTITIONS,
  type Scenario,
  scenarioSettings,
  scenarioStream,
  startScenarioWorker,
  waitCommittedToEnd,
} from '../support/scenario.js';
import { produceSecurely, type SecureStack, startSecureStack } from '../support/secure-stack.js';
import { metricSum, type WorkerProcess } from '../support/worker-process.js';

// The worker against a Kafka that only speaks SASL_SSL with SCRAM-SHA-512 and a Redis that only
// speaks TLS, requires client certificates and knows the worker as an ACL user limited to the
// commands and keys it needs (deploy/redis/worker-acl.ts). The worker gets nothing but the
// secure-connection variables; its run must equal the oracle, and its log must name no customer.
// Wrong credentials, a missing CA file and commands outside the ACL must fail, visibly.

const repoRoot = new URL('../../', import.meta.url).pathname;
let stack: SecureStack;
let scenario: Scenario;
let admin: Redis;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  const keyPrefix = idFreeName('secure');
  stack = await startSecureStack(keyPrefix);
  const topicPrefix = `${idFreeName('secure')}.`;
  const groupPrefix = idFreeName('secure');
  scenario = {
    // The test reads results through the broker's loopback observer listener; the worker and
    // every write below use the SASL_SSL listener only.
    brokers: stack.observerBrokers,
    redisUrl: stack.connectionEnv.REDIS_URL!,
    topicPrefix,
    keyPrefix,
    groupPrefix,
    groupId: `${groupPrefix}.${VALUE_SEGMENTATION}`,
    purchases: topicPrefix + topicCatalogue.purchases.name,
    deadLetters: topicPrefix + deadLetterTopicOf(topicCatalogue.purchases.name),
    segmentChanges: topicPrefix + topicCatalogue.segmentChanges.name,
    settings: scenarioSettings,
  };
  admin = stack.redis();
}, 120_000);

afterAll(async () => {
  for (const worker of workers) await killWorker(worker);
  await stack?.stop();
});

function workerRedisUser(): Record<string, string> {
  const user = stack.redisUser(VALUE_SEGMENTATION);
  return { REDIS_USERNAME: user.username, REDIS_PASSWORD_FILE: user.passwordFile };
}

/** The secure variables only: TLS + SCRAM for Kafka, TLS + client certificate + ACL user for Redis. */
function secureWorkerEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...stack.connectionEnv,
    ...workerRedisUser(),
    // Redis 7.0 has no WAITAOF and the ACL user may not read CONFIG: the operator declares it.
    REDIS_DURABILITY: 'fsync-always',
    ...extra,
  };
}

function runCli(
  entry: string,
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, entry)], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe('secure connections', () => {
  it('creates the topics over SASL_SSL with the workers’ variables', async () => {
    const result = await runCli('shared/kafka/create-topics-cli.ts', {
      ...stack.connectionEnv,
      TOPIC_PREFIX: scenario.topicPrefix,
      TOPIC_PARTITIONS: String(PARTITIONS),
    });
    expect(result.output).toContain(`created ${scenario.purchases}`);
    expect(result.code).toBe(0);
    const admin = stack.kafka().admin();
    await admin.connect();
    try {
      expect(await admin.listTopics()).toEqual(
        expect.arrayContaining([scenario.purchases, scenario.deadLetters, scenario.segmentChanges]),
      );
    } finally {
      await admin.disconnect();
    }
  });

  it('runs a worker over SCRAM + TLS and a TLS Redis ACL user, equal to the oracle, with no customer id in its log', async () => {
    const records = [
      ...generatePurchaseStream({ ...scenarioStream, seed: 41, customers: 300, events: 3000 }),
    ];
    await produceSecurely(stack.kafka(), scenario.purchases, records);
    const worker = await startScenarioWorker(scenario, 'secure-worker', secureWorkerEnv());
    workers.push(worker);

    // The worker's Redis connection is the ACL user's, not some other login.
    const connection = await waitFor(
      'the worker’s Redis connection',
      async () =>
        String(await admin.call('CLIENT', 'LIST'))
          .split('\n')
          .find((line) => line.includes(`name=valuestream-${VALUE_SEGMENTATION}`)),
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    expect(connection).toContain(`user=${stack.redisUser(VALUE_SEGMENTATION).username}`);

    await waitCommittedToEnd(scenario, 120_000);
    // Every Redis call the worker makes (steps, timer counts, scrape-time gauges) runs as the
    // ACL user: none may have been refused.
    const metrics = await worker.metrics();
    expect(metricSum(metrics, 'vs_records_applied_total')).toBeGreaterThan(0);
    expect(metricSum(metrics, 'vs_redis_errors_total')).toBe(0);
    expect(metricSum(metrics, 'vs_metric_collect_errors_total')).toBe(0);
    expect(metricSum(metrics, 'vs_ready')).toBe(1);

    const comparison = await compareScenarioWithOracle(scenario, admin);
    expect(comparison.outputs).toBeGreaterThan(0);

    worker.kill('SIGTERM');
    expect((await worker.exited).code).toBe(0);

    const log = readFileSync(worker.logFile, 'utf8');
    const security = log.split('\n').find((line) => line.includes('"connection security"'));
    expect(JSON.parse(security!)).toMatchObject({
      kafka: { tls: true, privateCa: true, saslMechanism: 'scram-sha-512', username: 'vs-worker' },
      redis: {
        tlsFiles: true,
        clientCertificate: true,
        username: 'vs-value-segmentation',
        passwordSet: true,
      },
    });
    expect(log).toContain('"durabilityChecked":false');
    expect(log).not.toMatch(/NOPERM/);
    const customerIds = [...new Set(records.map((r) => r.key))].filter((id) => /\d{3}/.test(id));
    expect(customerIds.length).toBeGreaterThan(250);
    const leaked = customerIds.filter((id) => log.includes(id));
    expect(leaked, 'customer ids in the worker log').toEqual([]);
    for (const secret of ['kafka-worker.password', `redis-${VALUE_SEGMENTATION}.password`]) {
      const value = readFileSync(join(stack.dir, 'secrets', secret), 'utf8').trim();
      expect(log).not.toContain(value);
    }
  });

  it('exits non-zero at once, naming the cause, when Kafka refuses the SCRAM password', async () => {
    const worker = await startScenarioWorker(
      scenario,
      'secure-wrong-password',
      secureWorkerEnv({ KAFKA_SASL_PASSWORD_FILE: '', KAFKA_SASL_PASSWORD: 'not-the-password' }),
    );
    workers.push(worker);
    const started = Date.now();
    const exit = await Promise.race([
      worker.exited,
      new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 60_000)),
    ]);
    expect(exit).not.toBe('still running');
    expect((exit as { code: number | null }).code).toBe(1);
    expect(Date.now() - started).toBeLessThan(60_000);
    const lines = readFileSync(worker.logFile, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '');
    // JSON lines only (no stack dump of an unhandled rejection), one of them fatal.
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    const fatal = lines.filter((line) => line.includes('"level":"fatal"'));
    expect(fatal).toHaveLength(1);
    expect(JSON.parse(fatal[0]!)).toMatchObject({
      reasonCode: 'KAFKA_AUTHENTICATION_FAILED',
      step: 'kafka',
      err: expect.stringMatching(/SASL SCRAM SHA512 authentication failed/),
    });
  });

  it('refuses the worker’s ACL user every command and key outside its list', async () => {
    const user = stack.redis(stack.redisUser(VALUE_SEGMENTATION));
    const own = partitionKeys(scenario.keyPrefix, VALUE_SEGMENTATION, 0);
    // Positive controls: its own keys and commands work on this very connection.
    expect(await user.hget(own.meta, 'epoch')).not.toBeNull();
    expect(await user.get(populationViewKey(scenario.keyPrefix, VALUE_SEGMENTATION, 0))).toBeNull();

    const other = partitionKeys(scenario.keyPrefix, 'share-of-wallet', 0);
    const library = buildFunctionLibrary();
    const refused: Array<[string, () => Promise<unknown>]> = [
      ['FLUSHALL', () => user.flushall()],
      ['KEYS', () => user.keys('*')],
      ['SCAN', () => user.scan('0')],
      ['DEL of its own key', () => user.del(own.meta)],
      ['CONFIG GET', () => user.config('GET', 'appendfsync')],
      ['FUNCTION FLUSH', () => user.call('FUNCTION', 'FLUSH')],
      ['EVAL', () => user.eval('return 1', 0)],
      ['ACL LIST', () => user.call('ACL', 'LIST')],
      ['a key outside the prefix', () => user.get('somebody-else:key')],
      ['another worker’s keys', () => user.hget(other.meta, 'epoch')],
      ['HSET on another worker’s key', () => user.hset(other.meta, 'epoch', '1')],
      // FCALL is allowed, but only on keys the user may touch.
      [
        'FCALL on another worker’s keys',
        () => user.call('FCALL', library.functionNames.claimPartition, '2', other.meta, other.outbox),
      ],
    ];
    for (const [what, command] of refused) {
      await expect(command(), what).rejects.toThrow(/NOPERM/);
    }
    expect(await admin.hget(own.meta, 'epoch'), 'the refused DEL removed nothing').not.toBeNull();

    // Without CONFIG the durability cannot be checked: auto stops with a ConfigError naming
    // REDIS_DURABILITY; an explicit fsync-always is taken as declared.
    const error = await resolveDurability(user, 'auto').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe('REDIS_DURABILITY');
    expect(await resolveDurability(user, 'fsync-always')).toMatchObject({
      mode: 'fsync-always',
      checked: false,
    });
  });

  it.each([['KAFKA_SSL_CA_FILE'], ['REDIS_TLS_CA_FILE']])(
    'exits 2 naming %s when the CA file does not exist',
    async (variable) => {
      const missing = join(stack.dir, 'tls', 'no-such-ca.pem');
      const worker = await startScenarioWorker(
        scenario,
        'secure-missing-ca',
        secureWorkerEnv({ [variable]: missing }),
      );
      workers.push(worker);
      expect((await worker.exited).code).toBe(2);
      const log = readFileSync(worker.logFile, 'utf8');
      expect(log).toContain(`configuration error: ${variable}: cannot read ${missing} (ENOENT)`);
    },
  );
});
