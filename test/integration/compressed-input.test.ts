import { describe, expect, it } from 'vitest';
import { generatePurchaseStream } from '../../services/pos-simulator/generate.js';
import { produceWithJavaClient } from '../support/java-producer.js';
import {
  compareScenarioWithOracle,
  scenarioStream,
  startScenarioWorker,
  useScenarioFile,
  waitCommittedToEnd,
} from '../support/scenario.js';

// Point-of-sale systems produce with the Java client or librdkafka, whose common defaults are
// lz4, snappy or zstd. kafkajs reads none of them by itself: the worker crashed on the first such
// batch, and again on every restart. Here Apache Kafka's own Java producer writes a third of the
// purchases with each codec, and the worker applies all of them exactly as the oracle does.

const file = useScenarioFile();

describe('input compressed by a Java producer', () => {
  it('applies purchases compressed with lz4, snappy and zstd equal to the oracle', async () => {
    const scenario = await file.createScenario('compressed');
    const records = [...generatePurchaseStream({ ...scenarioStream, events: 3000, seed: 31 })];
    const third = Math.ceil(records.length / 3);
    let sent = 0;
    for (const [i, codec] of (['lz4', 'snappy', 'zstd'] as const).entries()) {
      const part = records.slice(i * third, (i + 1) * third).map((r) => ({ key: r.key, value: r.value }));
      sent += await produceWithJavaClient(scenario.brokers, scenario.purchases, codec, part);
    }
    expect(sent).toBe(records.length);
    const worker = await startScenarioWorker(scenario, 'compressed');
    file.workers.push(worker);
    await waitCommittedToEnd(scenario);
    const comparison = await compareScenarioWithOracle(scenario, file.redis);
    expect(comparison.outputs).toBeGreaterThan(50);
  }, 180_000);
});
