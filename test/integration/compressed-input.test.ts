import { describe, expect, it } from 'vitest';
import { generatePurchaseStream } from '../../services/pos-simulator/generate.js';
import { produceWithJavaClient } from '../support/java-producer.js';
import { compareWithoutResentCopies, withResentCopies } from '../support/resent-copies.js';
import {
  scenarioStream,
  startScenarioWorker,
  useScenarioFile,
  waitCommittedToEnd,
} from '../support/scenario.js';

// Point-of-sale systems produce with the Java client or librdkafka, whose common defaults are
// lz4, snappy or zstd. kafkajs reads none of them by itself: the worker crashed on the first such
// batch, and again on every restart. Here Apache Kafka's own Java producer writes a fifth of the
// purchases with each codec Kafka has, some of them sent twice (a retry without idempotence), and
// the worker applies every purchase once, exactly as the oracle does over the topic without the
// copies.

const file = useScenarioFile();
const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

describe('input compressed by a Java producer', () => {
  it('applies purchases compressed with none, gzip, snappy, lz4 and zstd, re-sent ones once, equal to the oracle', async () => {
    const scenario = await file.createScenario('compressed');
    const records = [...generatePurchaseStream({ ...scenarioStream, events: 3000, seed: 31 })];
    const { sequence, copies } = withResentCopies(records, scenario.settings.allowedLatenessMs, 25);
    const fifth = Math.ceil(sequence.length / CODECS.length);
    let sent = 0;
    for (const [i, codec] of CODECS.entries())
      sent += await produceWithJavaClient(
        scenario.brokers,
        scenario.purchases,
        codec,
        sequence.slice(i * fifth, (i + 1) * fifth),
      );
    expect(sent).toBe(sequence.length);
    const worker = await startScenarioWorker(scenario, 'compressed');
    file.workers.push(worker);
    await waitCommittedToEnd(scenario);
    const { comparison, copies: removed } = await compareWithoutResentCopies(scenario, file.redis);
    expect(removed).toBe(copies);
    expect(comparison.outputs).toBeGreaterThan(50);
    console.log(
      `compressed input: ${sequence.length} records by the Java producer (${CODECS.join(', ')}), ${copies} re-sent applied once, ${comparison.outputs} segment changes equal to the oracle`,
    );
  }, 180_000);
});
