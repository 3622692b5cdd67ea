import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePurchaseStream } from '../../services/pos-simulator/generate.js';
import { testEndpoints } from '../support/endpoints.js';
import { produceRecords, waitFor } from '../support/kafka-test-client.js';
import {
  createScenario,
  deleteKeys,
  killWorker,
  type Scenario,
  scenarioStream,
  startScenarioWorker,
} from '../support/scenario.js';
import { metricSum, type WorkerProcess } from '../support/worker-process.js';

// What an SRE sees of a running value-segmentation worker: the metrics the brief asks for, no
// customer id in any metric label or log line, and health and readiness while it consumes.

let redis: Redis;
let scenario: Scenario | undefined;
let worker: WorkerProcess | undefined;

beforeAll(() => {
  redis = new Redis(testEndpoints().redisUrl);
});
afterAll(async () => {
  await killWorker(worker);
  if (scenario) await deleteKeys(redis, scenario.keyPrefix);
  await redis.quit();
});

async function probe(port: number, path: string): Promise<number> {
  return (await fetch(`http://127.0.0.1:${port}${path}`)).status;
}

/** Every label value of a Prometheus text exposition. */
function labelValues(text: string): string[] {
  const values: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const labels = /^[a-zA-Z_:][a-zA-Z0-9_:]*\{(.*)\}\s/.exec(line)?.[1];
    if (!labels) continue;
    for (const m of labels.matchAll(/[a-zA-Z_][a-zA-Z0-9_]*="((?:[^"\\]|\\.)*)"/g)) values.push(m[1]!);
  }
  return values;
}

describe('observability of a running worker', () => {
  it('exposes the metrics, keeps customer ids out of labels and logs, and answers its probes', async () => {
    scenario = await createScenario('obs');
    const records = [...generatePurchaseStream({ ...scenarioStream, seed: 41 })];
    const customerIds = new Set(records.map((r) => r.key));
    // A field of the worker's own logs could only leak an id if something logs one: run at debug.
    worker = await startScenarioWorker(scenario, 'observability', { LOG_LEVEL: 'debug' });
    const w = worker;
    await waitFor(
      'readiness 200 once in the group',
      async () => (await probe(w.metricsPort, '/readyz').catch(() => 0)) === 200,
      {
        timeoutMs: 60_000,
        intervalMs: 100,
      },
    );

    // The stream arrives in chunks while the worker runs: after each chunk, the probes answer 200
    // although records are still being applied.
    const chunks = 6;
    const size = Math.ceil(records.length / chunks);
    let readyWhileConsuming = 0;
    for (let i = 0; i < records.length; i += size) {
      await produceRecords(
        scenario.brokers,
        scenario.purchases,
        records.slice(i, i + size).map((r) => ({ key: r.key, value: r.value })),
      );
      // Let the worker take some of the chunk (it may still be waiting for a view of it).
      const before = metricSum(await w.metrics(), 'vs_records_applied_total');
      await waitFor(
        'the worker to apply more',
        async () => metricSum(await w.metrics(), 'vs_records_applied_total') > before,
        { timeoutMs: 10_000, intervalMs: 50 },
      ).catch(() => undefined);
      const ready = await probe(w.metricsPort, '/readyz');
      const healthy = await probe(w.metricsPort, '/healthz');
      const applied = metricSum(await w.metrics(), 'vs_records_applied_total');
      expect(healthy).toBe(200);
      expect(ready).toBe(200);
      if (applied > 0 && applied < records.length) readyWhileConsuming += 1;
    }
    expect(readyWhileConsuming).toBeGreaterThan(0);
    expect(metricSum(await w.metrics(), 'vs_ready')).toBe(1);

    // Once decisions, dead letters and a thresholds view exist, every metric of the brief is there.
    // Wait for every expected series (the stream's dead letters of each reason arrive in any order).
    const expectedSeries = [
      /^vs_records_consumed_total(\{[^}]*\})? [1-9]/m,
      /^vs_records_applied_total(\{[^}]*\})? [1-9]/m,
      /^vs_dead_letters_total\{[^}]*reason="AVRO_DECODE"[^}]*\} \d+/m,
      /^vs_decisions_total\{[^}]*kind="[^"]+"[^}]*\} \d+/m,
      /^vs_end_to_end_latency_seconds_bucket\{[^}]*le="\+Inf"[^}]*\} \d+/m,
      /^vs_consumer_lag\{[^}]*partition="\d+"[^}]*\} \d+/m,
      /^vs_value_tier_customers\{[^}]*tier="(top2|top|middle|bottom|lapsed)"[^}]*\} \d+/m,
      /^vs_value_skew_share\{[^}]*segment="top20"[^}]*\} [\d.e-]+/m,
    ];
    const text = await waitFor(
      'decisions, dead letters, latency, tiers and skew in /metrics',
      async () => {
        const t = await w.metrics();
        return expectedSeries.every((series) => series.test(t)) ? t : false;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    for (const series of expectedSeries) expect(text).toMatch(series);
    expect(await probe(w.metricsPort, '/healthz')).toBe(200);

    // No label value is (or contains) a customer id of the stream.
    const values = labelValues(text);
    expect(values.length).toBeGreaterThan(50);
    const leaked = values.filter((v) => /^c-\d+$/.test(v) || [...customerIds].some((id) => v.includes(id)));
    expect(leaked).toEqual([]);
    const idsInText = [...text.matchAll(/c-\d+/g)].map((m) => m[0]).filter((id) => customerIds.has(id));
    expect(idsInText).toEqual([]);

    // Stop it gracefully (so the log is complete), then search the whole log for customer ids.
    w.kill('SIGTERM');
    expect((await w.exited).code).toBe(0);
    const log = readFileSync(w.logFile, 'utf8');
    const lines = log.split('\n').filter((l) => l.trim().length > 0);
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    const idsInLog = [...log.matchAll(/c-\d+/g)].map((m) => m[0]).filter((id) => customerIds.has(id));
    expect(idsInLog).toEqual([]);
  });
});
