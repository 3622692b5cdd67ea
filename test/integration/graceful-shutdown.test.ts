import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { generatePurchaseStream } from '../../services/pos-simulator/generate.js';
import { testEndpoints } from '../support/endpoints.js';
import { produceRecords, testKafka, waitFor } from '../support/kafka-test-client.js';
import {
  appliedOffsets,
  commitsAheadOfRedis,
  committedOffsets,
  compareScenarioWithOracle,
  createScenario,
  idFreeName,
  ownRedisServer,
  produceStream,
  scenarioStream,
  startScenarioWorker,
  useScenarioFile,
  waitCommittedToEnd,
  waitMetricAtLeast,
} from '../support/scenario.js';
import { metricSum, startWorkerProcess } from '../support/worker-process.js';

// SIGTERM in the middle of a stream: the worker finishes (or abandons) the step in flight, commits
// only what Redis holds, leaves the group and exits 0 within SHUTDOWN_TIMEOUT_MS; the next process
// takes over from Redis's applied offsets and the run equals the oracle. A bad configuration stops
// the process at start with exit code 2 and the variable's name.

const SHUTDOWN_TIMEOUT_MS = 10_000;

const file = useScenarioFile();
const { workers } = file;

describe('graceful shutdown', () => {
  it('exits 0 on SIGTERM mid-stream, commits nothing Redis lacks, and a second process finishes equal to the oracle', async () => {
    const scenario = await file.createScenario('shutdown');
    const { redis } = file;
    const { count } = await produceStream(scenario, {
      ...scenarioStream,
      seed: 23,
      customers: 2000,
      events: 24_000,
    });
    // Small Redis steps: SIGTERM lands between the steps of a batch as well as between batches.
    const extra = { SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS), MAX_BATCH_RECORDS: '150' };
    const first = await startScenarioWorker(scenario, 'shutdown-first', extra);
    workers.push(first);
    const appliedAtSignal = await waitMetricAtLeast(first, 'vs_records_applied_total', count / 5, metricSum);
    const signalledAt = Date.now();
    first.kill('SIGTERM');
    const exit = await first.exited;
    const shutdownMs = Date.now() - signalledAt;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(shutdownMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    const log = readFileSync(first.logFile, 'utf8');
    expect(log).toContain('"signal":"SIGTERM"');
    expect(log).toContain('"msg":"stopped"');

    // Kafka's committed offsets never pass Redis's applied offset + 1.
    const admin = testKafka(scenario.brokers).admin();
    await admin.connect();
    const committed = await committedOffsets(admin, scenario.groupId, scenario.purchases);
    const ends = await admin.fetchTopicOffsets(scenario.purchases);
    await admin.disconnect();
    const applied = await appliedOffsets(redis, scenario.keyPrefix);
    expect(commitsAheadOfRedis(committed, applied)).toEqual([]);
    // It stopped mid-stream, having committed something.
    expect(committed.some((c) => c !== null && c > 0n)).toBe(true);
    const remaining = ends.reduce((sum, e) => {
      const c = committed[e.partition] ?? 0n;
      return sum + Number(BigInt(e.high) - c);
    }, 0);
    expect(remaining).toBeGreaterThan(0);

    const second = await startScenarioWorker(scenario, 'shutdown-second', extra);
    workers.push(second);
    await waitCommittedToEnd(scenario);
    second.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
    const comparison = await compareScenarioWithOracle(scenario, redis);
    expect(comparison.outputs).toBeGreaterThan(100);
    process.stdout.write(
      `graceful-shutdown: ${count} records, SIGTERM after ${appliedAtSignal} applied, exit 0 in ${shutdownMs} ms, ` +
        `${remaining} left for the second process, ${comparison.outputs} segment changes (${comparison.duplicates} repeated)\n`,
    );
  });

  it('exits 0 on a SIGTERM that comes while it still starts, once started (Node killed it mid-start before)', async () => {
    const scenario = await file.createScenario('shutdown-early');
    const worker = await startScenarioWorker(scenario, 'shutdown-early', {
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    });
    workers.push(worker);
    // Its first line: signals are handled from here on; Redis, the registry and Kafka come after
    // (a fault-suite worker on a busy CI machine was told to stop there, and died of the signal).
    await waitFor(
      'the worker to begin starting',
      async () => readFileSync(worker.logFile, 'utf8').includes('"msg":"connection security"'),
      { timeoutMs: 60_000, intervalMs: 10 },
    );
    worker.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    const log = readFileSync(worker.logFile, 'utf8');
    expect(log).toContain('"signal":"SIGTERM"');
    expect(log).toContain('"msg":"stopped"');
  });

  it('exits 0 on SIGTERM while Redis is down and its batch is retrying, committing nothing Redis lacks', async () => {
    const own = await ownRedisServer();
    try {
      const outage = await createScenario('shutdown-outage', { redisUrl: own.url });
      const records = [...generatePurchaseStream({ ...scenarioStream, seed: 29 })];
      const half = Math.floor(records.length / 2);
      const toKafka = (from: number, to: number) =>
        produceRecords(
          outage.brokers,
          outage.purchases,
          records.slice(from, to).map((r) => ({ key: r.key, value: r.value })),
        );
      await toKafka(0, half);
      const worker = await startScenarioWorker(outage, 'shutdown-outage', {
        SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      });
      workers.push(worker);
      await waitMetricAtLeast(worker, 'vs_records_applied_total', 300, metricSum);
      // Something committed before the outage (commits follow applies by up to COMMIT_INTERVAL_MS):
      // what the worker commits after must still never pass what Redis holds.
      await waitMetricAtLeast(worker, 'vs_offset_commits_total', 1, metricSum);
      await own.stop();
      await toKafka(half, records.length);
      // The batch in flight fails on Redis and retries (with heartbeats) while Redis is down.
      await waitMetricAtLeast(worker, 'vs_redis_errors_total', 1, metricSum);
      const signalledAt = Date.now();
      worker.kill('SIGTERM');
      const exit = await worker.exited;
      const shutdownMs = Date.now() - signalledAt;
      expect(exit).toEqual({ code: 0, signal: null });
      expect(shutdownMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS);

      await own.start();
      const client = new Redis(own.url);
      const applied = await appliedOffsets(client, outage.keyPrefix);
      client.disconnect();
      const admin = testKafka(outage.brokers).admin();
      await admin.connect();
      const committed = await committedOffsets(admin, outage.groupId, outage.purchases);
      await admin.disconnect();
      expect(commitsAheadOfRedis(committed, applied)).toEqual([]);
      expect(committed.some((c) => c !== null && c > 0n)).toBe(true);
    } finally {
      await own.destroy();
    }
  });

  it('exits with code 2 naming the variable when the configuration is bad', async () => {
    const { kafkaBrokers, redisUrl } = testEndpoints();
    const worker = await startWorkerProcess(
      'services/value-segmentation/main.ts',
      { KAFKA_BROKERS: kafkaBrokers, REDIS_URL: redisUrl, TOPIC_PARTITIONS: 'zero' },
      'bad-config',
    );
    workers.push(worker);
    const exit = await worker.exited;
    expect(exit.code).toBe(2);
    // The child's output reaches the log file asynchronously after the exit.
    const output = await waitFor(
      'the configuration error in the log',
      async () => {
        const text = readFileSync(worker.logFile, 'utf8');
        return /TOPIC_PARTITIONS/.test(text) ? text : false;
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    expect(output).toMatch(/configuration error/);
  });
});

describe('start-up without its input topics', () => {
  it('exits with code 1 naming the missing topics in one fatal line, not a kafkajs stack trace', async () => {
    const { kafkaBrokers, redisUrl } = testEndpoints();
    const prefix = `${idFreeName('notopics')}.`;
    const worker = await startWorkerProcess(
      'services/share-of-wallet/main.ts',
      { KAFKA_BROKERS: kafkaBrokers, REDIS_URL: redisUrl, TOPIC_PREFIX: prefix, KEY_PREFIX: prefix },
      'no-topics',
    );
    workers.push(worker);
    expect((await worker.exited).code).toBe(1);
    const fatal = await waitFor(
      'the fatal line in the log',
      async () =>
        readFileSync(worker.logFile, 'utf8')
          .split('\n')
          .find((line) => line.includes('"level":"fatal"')) ?? false,
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    expect(fatal).toContain('"reasonCode":"INPUT_TOPICS_MISSING"');
    expect(fatal).toContain(`${prefix}purchases`);
    expect(readFileSync(worker.logFile, 'utf8')).not.toContain('KafkaJSProtocolError');
  });
});
